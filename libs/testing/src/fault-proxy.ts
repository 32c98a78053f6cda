import { AddressInfo, createServer, Server, Socket } from 'node:net';

/** Ports a target URL means when it names none, so that `FaultProxy.open(TEST_AMQP_URL)` needs no port. */
const DEFAULT_PORTS: Record<string, number> = {
  'amqp:': 5672,
  'postgres:': 5432,
  'postgresql:': 5432,
  'redis:': 6379,
  'http:': 80,
};

/**
 * A TCP proxy in front of a real server (RabbitMQ, Postgres, a service...), so that a test can cut one client
 * off from it, let it back, or slow it down, without touching the server that other test runs share.
 */
export class FaultProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private latencyMs = 0;
  private disposed = false;
  /** Where the proxy listens (127.0.0.1); it stays the same across cut() and restore(). */
  port = 0;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** A proxy to the host and port of `targetUrl`, listening at once on a free port of 127.0.0.1. */
  static async open(targetUrl: string): Promise<FaultProxy> {
    const target = new URL(targetUrl);
    const port = Number(target.port) || DEFAULT_PORTS[target.protocol];
    if (!port) throw new Error(`FaultProxy: no port in ${targetUrl}`);
    const proxy = new FaultProxy(target.hostname.replace(/^\[|\]$/g, ''), port);
    await proxy.listen();
    return proxy;
  }

  /** `baseUrl` with its host and port replaced by the proxy's: credentials, path (a vhost, a database) kept. */
  url(baseUrl: string): string {
    const url = new URL(baseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    // URL adds a '/' to a bare origin; an origin stays one, for clients that append paths to it.
    const text = url.toString();
    return text.endsWith('/') && !baseUrl.endsWith('/') ? text.slice(0, -1) : text;
  }

  /** Refuses new connections and destroys the open ones, as a dead server or a pulled cable would. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Accepts connections again, on the same port, so that clients reconnect to the address they know. */
  async restore(): Promise<void> {
    if (this.server || this.disposed) return;
    await this.listen();
  }

  /** Holds every chunk `ms` ms in both directions (0: no delay); chunks keep their order. */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.cut();
  }

  private async listen(): Promise<void> {
    const server = createServer((client) => this.connect(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  private connect(client: Socket): void {
    const upstream = new Socket();
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    // Writes to a socket still connecting are buffered by Node, so relaying can start at once.
    upstream.connect(this.targetPort, this.targetHost);
    relay(client, upstream, () => this.latencyMs);
    relay(upstream, client, () => this.latencyMs);
  }
}

/**
 * Copies `from` to `to`, each chunk held for the latency current when it arrived. A chunk never overtakes an
 * earlier one, even when the latency drops meanwhile: a byte stream reordered would be garbage, not slowness.
 * Once `from` is gone and what it sent is delivered, `to` is ended (after a clean end) or destroyed.
 */
function relay(from: Socket, to: Socket, latencyMs: () => number): void {
  const queue: Array<{ chunk: Buffer; due: number }> = [];
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  let closed = false;
  const flush = (): void => {
    timer = undefined;
    if (to.destroyed) return void (queue.length = 0);
    while (queue.length > 0 && queue[0].due <= performance.now()) to.write(queue.shift()!.chunk);
    // A timer may fire a little early: then it is simply set again for the rest.
    if (queue.length > 0) timer = setTimeout(flush, Math.max(1, queue[0].due - performance.now()));
    else if (ended) to.end();
    else if (closed) to.destroy();
  };
  from.on('data', (chunk: Buffer) => {
    queue.push({ chunk, due: performance.now() + latencyMs() });
    if (!timer) flush();
  });
  from.on('end', () => {
    ended = true;
    if (!timer) flush();
  });
  from.on('close', () => {
    closed = true;
    if (!timer) flush();
  });
}
