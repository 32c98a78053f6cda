import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { eventually } from './eventually';
import { FaultProxy } from './fault-proxy';

const LATENCY_MS = 150;

/** Connects to the proxy; rejects with the socket's error (ECONNREFUSED when nothing listens). */
function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.once('error', reject);
    socket.connect(port, '127.0.0.1', () => {
      socket.removeListener('error', reject);
      socket.on('error', () => undefined); // a cut comes as a reset: the test looks at 'close'
      resolve(socket);
    });
  });
}

/** Resolves with the next `length` characters the socket receives. */
function received(socket: Socket, length: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.length < length) return;
      socket.removeListener('data', onData);
      resolve(text);
    };
    socket.on('data', onData);
  });
}

/** Sends `text` and waits for all of it to come back from the echo server; returns what came back. */
function roundTrip(socket: Socket, text: string): Promise<string> {
  const echoed = received(socket, text.length);
  socket.write(text);
  return echoed;
}

async function timedRoundTrip(socket: Socket, text: string): Promise<number> {
  const started = performance.now();
  expect(await roundTrip(socket, text)).toBe(text);
  return performance.now() - started;
}

/** Resolves after two turns of the event loop, so that the proxy (in this process) has read what was written. */
async function twoTurns(): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
}

describe('FaultProxy (e2e: real sockets to an echo server)', () => {
  let echo: Server;
  /** What the echo server received on each connection, and whether the client ended it. */
  const served: Array<{ received: string; ended: boolean }> = [];
  let proxy: FaultProxy;
  const sockets: Socket[] = [];
  const open = async () => {
    const socket = await connectTo(proxy.port);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    echo = createServer((socket) => {
      const connection = { received: '', ended: false };
      served.push(connection);
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => (connection.received += chunk.toString('utf8')));
      socket.on('end', () => (connection.ended = true));
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
    proxy = await FaultProxy.open(`tcp://127.0.0.1:${(echo.address() as AddressInfo).port}`);
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
    proxy.setLatency(0);
  });
  afterAll(async () => {
    await proxy?.dispose();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  });

  it('given an open connection, when the proxy is cut, then it is dropped and new ones are refused; restored, it accepts again on the same port', async () => {
    const before = await open();
    expect(await roundTrip(before, 'hello')).toBe('hello');
    const port = proxy.port;
    let dropped = false;
    before.on('close', () => (dropped = true));

    await proxy.cut();
    await proxy.cut(); // cutting twice is harmless

    await eventually(() => dropped, { what: 'the open connection dropped' });
    await expect(connectTo(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await proxy.restore();
    await proxy.restore(); // and so is restoring twice

    expect(proxy.port).toBe(port);
    expect(await roundTrip(await open(), 'again')).toBe('again');
  });

  it('given an open connection, when the proxy refuses, then new ones are refused and the open one goes on; restored, it accepts again on the same port', async () => {
    const before = await open();
    const port = proxy.port;

    proxy.refuse();

    await expect(connectTo(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await roundTrip(before, 'still')).toBe('still');

    await proxy.restore();

    expect(proxy.port).toBe(port);
    expect(await roundTrip(await open(), 'again')).toBe('again');
  });

  it('given a latency, when a message goes through and back, then it takes at least the latency each way, and the bytes keep their order', async () => {
    const socket = await open();
    // The quickest of three: one round trip stalled by a busy machine must not look slower than the latency.
    let direct = Infinity;
    for (let i = 0; i < 3; i++) direct = Math.min(direct, await timedRoundTrip(socket, 'ping'));

    proxy.setLatency(LATENCY_MS);
    const delayed = await timedRoundTrip(socket, 'ping');

    expect(delayed).toBeGreaterThanOrEqual(2 * LATENCY_MS);
    expect(delayed).toBeGreaterThan(direct);

    // A chunk sent after the latency dropped to 0 still comes after the one sent before it.
    const echoed = received(socket, 'first|second'.length);
    // Two turns of the event loop after the write (the proxy lives in this process and its read comes in the
    // next poll phase), so that it reads the two as separate chunks. Were they read as one, the test would only
    // check less, never fail wrongly.
    await new Promise<void>((resolve) => socket.write('first|', () => resolve()));
    await twoTurns();
    proxy.setLatency(0);
    socket.write('second');
    expect(await echoed).toBe('first|second');
  });

  it('given a trap for BEGIN then COMMIT, when a client sends them (COMMIT split over two writes), then the server gets every byte up to COMMIT and then the end, the client is cut without the answer, and only that once', async () => {
    const bystander = await open();
    const trapped = await open();
    let heard = '';
    let cut = false;
    trapped.on('data', (chunk: Buffer) => (heard += chunk.toString('utf8')));
    trapped.on('close', () => (cut = true));
    const sprung = proxy.cutAfterClientSends('BEGIN', 'COMMIT');

    // COMMIT without BEGIN first is not the trap's order of markers.
    expect(await roundTrip(bystander, 'COMMIT;')).toBe('COMMIT;');
    trapped.write('BEGIN;');
    await eventually(() => heard === 'BEGIN;', { what: 'BEGIN echoed' });
    await new Promise<void>((resolve) => trapped.write('COM', () => resolve()));
    await twoTurns(); // so that COMMIT comes to the proxy split in two chunks (were it one, the test checks less)
    trapped.write('MIT;');

    await sprung;
    await eventually(() => cut, { what: 'the trapped client cut' });
    const server = served.find((connection) => connection.received.startsWith('BEGIN'))!;
    await eventually(() => server.ended, { what: 'the server saw the connection end' });
    expect(server.received).toBe('BEGIN;COMMIT;');
    expect(heard).not.toContain('MIT;');
    // Other connections go on, and the trap fired once: the same markers again pass.
    expect(await roundTrip(bystander, 'still here')).toBe('still here');
    const after = await open();
    expect(await roundTrip(after, 'BEGIN;COMMIT;')).toBe('BEGIN;COMMIT;');
  });

  it('given a stall on INSERT, when a client sends it, then the server never gets it nor anything after, the client stays connected, and the server sees the end once the client goes', async () => {
    const bystander = await open();
    const stalled = await open();
    let closed = false;
    stalled.on('close', () => (closed = true));
    const sprung = proxy.stallWhenClientSends('INSERT');

    expect(await roundTrip(stalled, 'OPEN;')).toBe('OPEN;');
    stalled.write('INSERT;');
    await sprung;
    stalled.write('COMMIT;');
    expect(await roundTrip(bystander, 'still here')).toBe('still here');
    const server = served.find((connection) => connection.received.startsWith('OPEN'))!;
    expect([server.received, server.ended, closed]).toEqual(['OPEN;', false, false]);

    stalled.destroy();
    await eventually(() => server.ended, { what: 'the server saw the connection end' });
    expect(server.received).toBe('OPEN;');
  });
});
