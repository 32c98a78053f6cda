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
  private trap?: Trap;
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

  /** Refuses new connections and leaves the open ones be, as a server that stopped accepting; restore() undoes it. */
  refuse(): void {
    // close() stops listening at once; its callback would wait for the open connections to end.
    this.server?.close();
    this.server = undefined;
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

  /**
   * Arms a one-shot fault: the first connection whose client sends `markers` in this order (any bytes between, on
   * connections open now or later) has the chunk completing the last marker delivered to the server, then is cut:
   * the client loses the connection and never hears the answer, as when a reply is lost in transit. The server
   * keeps what it received and sees the connection end after it. Other connections are untouched. Resolves when
   * the cut happened.
   */
  cutAfterClientSends(...markers: string[]): Promise<void> {
    return this.arm('cut', markers);
  }

  /**
   * Arms a one-shot stall: the first connection whose client sends `markers` in this order has the chunk completing
   * the last marker, and all it sends after, held back from the server for good, the connection left open: the
   * client waits on a statement the server never got, as when a network path hangs. Once the client goes away, the
   * server's side is closed too. Resolves when the stall began (a test can then kill the client in that window).
   */
  stallWhenClientSends(...markers: string[]): Promise<void> {
    return this.arm('stall', markers);
  }

  private arm(fault: Trap['fault'], markers: string[]): Promise<void> {
    if (markers.length === 0) throw new Error(`FaultProxy: a ${fault} with no marker`);
    return new Promise((resolve) => {
      this.trap = { fault, markers: markers.map((marker) => Buffer.from(marker)), sprung: resolve };
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.trap = undefined;
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
    const latencyMs = () => this.latencyMs;
    relay(client, upstream, latencyMs, this.trapWatch());
    relay(upstream, client, latencyMs);
  }

  /** A connection's way through the trap's markers: for the chunk that springs it, what to call once cut. */
  private trapWatch(): LastChunk {
    let watching: Trap | undefined;
    let next = 0;
    let seen = Buffer.alloc(0);
    return (chunk) => {
      const trap = this.trap;
      if (!trap) return undefined;
      if (watching !== trap) [watching, next, seen] = [trap, 0, Buffer.alloc(0)];
      seen = Buffer.concat([seen, chunk]);
      for (let at = seen.indexOf(trap.markers[next]); at >= 0; at = seen.indexOf(trap.markers[next])) {
        seen = seen.subarray(at + trap.markers[next].length);
        if (++next < trap.markers.length) continue;
        this.trap = undefined;
        return { fault: trap.fault, sprung: trap.sprung };
      }
      // Only a marker's worth of bytes can still matter: a marker may be split between chunks.
      seen = seen.subarray(Math.max(0, seen.length - trap.markers[next].length + 1));
      return undefined;
    };
  }
}

interface Trap {
  fault: 'cut' | 'stall';
  markers: Buffer[];
  sprung: () => void;
}

/** Says whether a chunk springs a trap: the last to pass before a cut, or the first held back by a stall. */
type LastChunk = (chunk: Buffer) => Pick<Trap, 'fault' | 'sprung'> | undefined;

/**
 * Copies `from` to `to`, each chunk held for the latency current when it arrived. A chunk never overtakes an
 * earlier one, even when the latency drops meanwhile: a byte stream reordered would be garbage, not slowness.
 * Once `from` is gone and what it sent is delivered, `to` is ended (after a clean end) or destroyed. The chunk
 * `lastChunk` picks is delivered, `to` ended after it, and only then `from` destroyed (see cutAfterClientSends); one
 * that stalls is held back, with all after it (see stallWhenClientSends).
 */
function relay(
  from: Socket,
  to: Socket,
  latencyMs: () => number,
  lastChunk: LastChunk = () => undefined,
): void {
  const queue: Array<{ chunk: Buffer; due: number; cut?: () => void }> = [];
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  let closed = false;
  let sealed = false;
  const flush = (): void => {
    timer = undefined;
    if (to.destroyed) return void (queue.length = 0);
    while (queue.length > 0 && queue[0].due <= performance.now()) {
      const { chunk, cut } = queue.shift()!;
      if (!cut) {
        to.write(chunk);
        continue;
      }
      // The server gets every byte before the client is cut, so what it does with them is certain.
      return void to.end(chunk, () => (from.destroy(), cut()));
    }
    // A timer may fire a little early: then it is simply set again for the rest.
    if (queue.length > 0) timer = setTimeout(flush, Math.max(1, queue[0].due - performance.now()));
    else if (sealed) return;
    else if (ended) to.end();
    else if (closed) to.destroy();
  };
  let stalled = false;
  from.on('data', (chunk: Buffer) => {
    if (sealed || stalled) return;
    const trap = lastChunk(chunk);
    if (trap?.fault === 'stall') {
      stalled = true;
      return trap.sprung();
    }
    sealed = trap !== undefined;
    queue.push({ chunk, due: performance.now() + latencyMs(), cut: trap?.sprung });
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
