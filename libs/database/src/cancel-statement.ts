import { connect } from 'node:net';
import type { Client } from 'pg';

/** The CancelRequest's code in Postgres's protocol (1234 in the high 16 bits, 5678 in the low). */
const CANCEL_REQUEST_CODE = 80_877_102;
/** A server that does not take the request within this is not waited for (it cancels nothing, then). */
const GIVE_UP_MS = 1000;

/**
 * Asks Postgres to cancel what `client`'s connection runs now, as psql's Ctrl-C does: a CancelRequest on a connection
 * of its own, none of the pool's. The statement fails with 57014 and its transaction is aborted; with nothing running,
 * nothing happens. Resolves once the request is delivered, or given up (it never throws). The connection should not
 * go back to the pool after: a request that arrives late could cancel its next user's statement.
 */
export function cancelStatementOf(client: Client): Promise<void> {
  const { processID, secretKey } = client as unknown as {
    processID: number | null;
    secretKey: number | null;
  };
  if (processID === null || secretKey === null) return Promise.resolve();
  const request = Buffer.alloc(16);
  request.writeInt32BE(16, 0);
  request.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  request.writeInt32BE(processID, 8);
  request.writeInt32BE(secretKey, 12);
  return new Promise((resolve) => {
    const socket = client.host.startsWith('/')
      ? connect(`${client.host}/.s.PGSQL.${client.port}`)
      : connect(client.port, client.host);
    socket.setTimeout(GIVE_UP_MS, () => socket.destroy());
    socket.once('connect', () => socket.end(request));
    // The server closes it once it has read the request and signalled the backend.
    socket.once('close', () => resolve());
    socket.once('error', () => undefined);
  });
}
