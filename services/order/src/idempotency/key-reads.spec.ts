import type { EntityManager } from 'typeorm';
import { KeyReads } from './key-reads';

/** A Postgres stand-in for the one SELECT: it answers when told to, and keeps every statement's keys. */
function fakeDb(stored: string[]) {
  const selects: string[][] = [];
  const answers: Array<() => void> = [];
  const manager = {
    query: (_sql: string, [keys]: [string[]]) => {
      selects.push(keys);
      const rows = keys.filter((key) => stored.includes(key)).map((key) => row(key));
      return new Promise((resolve) => answers.push(() => resolve(rows)));
    },
  } as unknown as EntityManager;
  return { manager, selects, answerNext: () => answers.shift()!() };
}

const row = (key: string) => ({ key, request_hash: 'h', resource_id: `o-${key}`, response_status: null });
const turns = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyReads: reads of Idempotency-Keys, batched while one SELECT runs', () => {
  it('given a lone read, when asked, then its SELECT goes at once, without waiting for company', async () => {
    const db = fakeDb(['k1']);
    const reads = new KeyReads(() => db.manager);

    const read = reads.read('k1');

    expect(db.selects).toEqual([['k1']]);
    db.answerNext();
    expect(await read).toMatchObject({ key: 'k1', resourceId: 'o-k1' });
  });

  it('given a SELECT running, when three more keys are read (one twice), then they share the next SELECT and each gets its own answer', async () => {
    // given
    const db = fakeDb(['k2', 'k3']);
    const reads = new KeyReads(() => db.manager);
    const first = reads.read('k1');

    // when
    const later = ['k2', 'k3', 'k4', 'k2'].map((key) => reads.read(key));
    db.answerNext();
    await turns();

    // then
    expect(db.selects).toEqual([['k1'], ['k2', 'k3', 'k4']]);
    db.answerNext();
    expect(await first).toBeNull();
    const answers = await Promise.all(later);
    expect(answers.map((answer) => answer?.resourceId ?? null)).toEqual(['o-k2', 'o-k3', null, 'o-k2']);
  });

  it('given a SELECT that fails, when its keys are read, then each read fails, and the next read asks again', async () => {
    const manager = {
      query: jest.fn().mockRejectedValueOnce(new Error('Connection terminated')).mockResolvedValue([]),
    } as unknown as EntityManager;
    const reads = new KeyReads(() => manager);

    await expect(reads.read('k1')).rejects.toThrow('Connection terminated');

    expect(await reads.read('k1')).toBeNull();
  });
});
