import type { EntityManager } from 'typeorm';
import { FirstRefusals } from './first-refusals';

const SOLD_OUT = { status: 409, body: { code: 'SOLD_OUT', message: 'Not enough tickets left for final' } };

/** A Postgres stand-in for the one INSERT: `taken` keys conflict, every statement is kept. */
function fakeDb(taken: string[] = [], failure?: Error) {
  const statements: Array<{ sql: string; parameters: unknown[] }> = [];
  const manager = {
    query: async (sql: string, parameters: unknown[]) => {
      statements.push({ sql, parameters });
      if (failure) throw failure;
      const keys = parameters.filter((_, i) => i % 5 === 0) as string[];
      return keys.filter((key) => !taken.includes(key)).map((key) => ({ key }));
    },
  } as unknown as EntityManager;
  return { manager, statements };
}

/**
 * A Postgres stand-in with a table: the INSERT stores its rows unless a row is refused (then none, as one statement),
 * and a SELECT reads rows back. `loseAnswer` drops the answer of that many INSERTs after they took effect.
 */
function fakeTable({ taken = [] as string[], refuse = [] as string[], loseAnswer = 0 } = {}) {
  const rows = new Map<string, string>(taken.map((key) => [key, 'someone-else']));
  const manager = {
    query: async (sql: string, parameters: unknown[]) => {
      if (sql.trim().startsWith('SELECT')) {
        const keys = parameters[0] as string[];
        return keys.filter((key) => rows.has(key)).map((key) => ({ key, resource_id: rows.get(key) }));
      }
      const batch = [];
      for (let i = 0; i < parameters.length; i += 5)
        batch.push({ key: parameters[i] as string, id: parameters[i + 2] });
      const refused = batch.find((row) => refuse.includes(row.key));
      if (refused)
        throw Object.assign(new Error(`invalid byte sequence in ${refused.key}`), { code: '22021' });
      const inserted = batch.filter((row) => !rows.has(row.key));
      for (const row of inserted) rows.set(row.key, row.id as string);
      if (loseAnswer-- > 0) throw new Error('Connection terminated unexpectedly');
      return inserted.map((row) => ({ key: row.key }));
    },
  } as unknown as EntityManager;
  return { manager, rows };
}

describe('FirstRefusals: keys claimed with their refusal, batched', () => {
  afterEach(() => jest.useRealTimers());

  it('given three refusals in one event-loop turn, when stored, then one INSERT stores all three', async () => {
    // given
    const db = fakeDb();
    const refusals = new FirstRefusals(() => db.manager);

    // when
    const stored = await Promise.all(
      ['k1', 'k2', 'k3'].map((key) => refusals.store(key, 'h', `o-${key}`, SOLD_OUT)),
    );

    // then
    expect(stored).toEqual([true, true, true]);
    expect(db.statements).toHaveLength(1);
    expect(db.statements[0].sql).toMatch(
      /INSERT INTO idempotency_keys .* ON CONFLICT \(key\) DO NOTHING RETURNING key/s,
    );
    expect(db.statements[0].parameters).toEqual([
      'k1',
      'h',
      'o-k1',
      409,
      JSON.stringify(SOLD_OUT.body),
      'k2',
      'h',
      'o-k2',
      409,
      JSON.stringify(SOLD_OUT.body),
      'k3',
      'h',
      'o-k3',
      409,
      JSON.stringify(SOLD_OUT.body),
    ]);
  });

  it('given a key claimed before, when its refusal is stored, then it says false and the others true', async () => {
    // given
    const db = fakeDb(['k2']);
    const refusals = new FirstRefusals(() => db.manager);

    // when
    const stored = await Promise.all(['k1', 'k2'].map((key) => refusals.store(key, 'h', 'o', SOLD_OUT)));

    // then
    expect(stored).toEqual([true, false]);
  });

  it('given one key twice in a batch, when stored, then the first stores it and the second is told it was claimed', async () => {
    // given
    const db = fakeDb();
    const refusals = new FirstRefusals(() => db.manager);

    // when
    const stored = await Promise.all([
      refusals.store('k1', 'h', 'o1', SOLD_OUT),
      refusals.store('k1', 'h', 'o2', SOLD_OUT),
    ]);

    // then
    expect(stored).toEqual([true, false]);
    expect(db.statements[0].parameters).toHaveLength(5);
  });

  it('given a refusal stored before the next one comes, when both are stored, then each has its own INSERT', async () => {
    // given
    const db = fakeDb();
    const refusals = new FirstRefusals(() => db.manager);

    // when
    await refusals.store('k1', 'h', 'o', SOLD_OUT);
    await refusals.store('k2', 'h', 'o', SOLD_OUT);

    // then
    expect(db.statements).toHaveLength(2);
  });

  it('given 1,200 refusals in one turn, when stored, then they go in INSERTs of at most 500 rows', async () => {
    // given
    const db = fakeDb();
    const refusals = new FirstRefusals(() => db.manager);

    // when
    await Promise.all(Array.from({ length: 1200 }, (_, i) => refusals.store(`k${i}`, 'h', 'o', SOLD_OUT)));

    // then
    expect(db.statements.map((s) => s.parameters.length / 5)).toEqual([500, 500, 200]);
  });

  it('given refusals a few milliseconds apart, when stored, then they share one INSERT', async () => {
    // given
    jest.useFakeTimers();
    const db = fakeDb();
    const refusals = new FirstRefusals(() => db.manager);

    // when
    const first = refusals.store('k1', 'h', 'o', SOLD_OUT);
    await jest.advanceTimersByTimeAsync(3);
    const second = refusals.store('k2', 'h', 'o', SOLD_OUT);
    await jest.advanceTimersByTimeAsync(2);

    // then
    expect(await Promise.all([first, second])).toEqual([true, true]);
    expect(db.statements).toHaveLength(1);
  });

  it('given an INSERT in flight, when more refusals come in several turns, then they wait and go in one INSERT', async () => {
    // given: Postgres answers only when told to
    jest.useFakeTimers();
    const answers: Array<() => void> = [];
    const statements: unknown[][] = [];
    const manager = {
      query: (_sql: string, parameters: unknown[]) => {
        statements.push(parameters);
        const keys = parameters.filter((_, i) => i % 5 === 0);
        return new Promise((resolve) => answers.push(() => resolve(keys.map((key) => ({ key })))));
      },
    } as unknown as EntityManager;
    const refusals = new FirstRefusals(() => manager);
    const first = refusals.store('k1', 'h', 'o', SOLD_OUT);
    await jest.advanceTimersByTimeAsync(10);
    expect(statements).toHaveLength(1);

    // when
    const waiting = [];
    for (const key of ['k2', 'k3', 'k4']) {
      waiting.push(refusals.store(key, 'h', 'o', SOLD_OUT));
      await jest.advanceTimersByTimeAsync(10);
    }
    expect(statements).toHaveLength(1);
    answers[0]();
    await first;

    // then
    await jest.advanceTimersByTimeAsync(10);
    expect(statements).toHaveLength(2);
    expect(statements[1].filter((_, i) => i % 5 === 0)).toEqual(['k2', 'k3', 'k4']);
    answers[1]();
    expect(await Promise.all(waiting)).toEqual([true, true, true]);
  });

  it('given Postgres failing, when refusals are stored, then every one of the batch fails with its error', async () => {
    // given
    const down = new Error('connection refused');
    const db = fakeDb([], down);
    const refusals = new FirstRefusals(() => db.manager);

    // when
    const outcomes = await Promise.allSettled(
      ['k1', 'k2'].map((key) => refusals.store(key, 'h', 'o', SOLD_OUT)),
    );

    // then
    expect(outcomes).toEqual([
      { status: 'rejected', reason: down },
      { status: 'rejected', reason: down },
    ]);
  });

  it('given the INSERT took effect but its answer was lost, when stored, then each request is answered as what was stored', async () => {
    // given
    const db = fakeTable({ taken: ['k2'], loseAnswer: 1 });
    const refusals = new FirstRefusals(() => db.manager);

    // when
    const stored = await Promise.all(
      ['k1', 'k2', 'k3'].map((key) => refusals.store(key, 'h', `o-${key}`, SOLD_OUT)),
    );

    // then: k1 and k3 hold this request's refusal, k2 was someone else's
    expect(stored).toEqual([true, false, true]);
    expect([...db.rows]).toEqual([
      ['k2', 'someone-else'],
      ['k1', 'o-k1'],
      ['k3', 'o-k3'],
    ]);
  });

  it('given one row Postgres refuses, when stored with others, then only that one fails and the others are stored', async () => {
    // given
    const db = fakeTable({ taken: ['k4'], refuse: ['bad'] });
    const refusals = new FirstRefusals(() => db.manager);

    // when
    const outcomes = await Promise.allSettled(
      ['k1', 'bad', 'k3', 'k4'].map((key) => refusals.store(key, 'h', `o-${key}`, SOLD_OUT)),
    );

    // then
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: true },
      { status: 'rejected', reason: expect.objectContaining({ code: '22021' }) },
      { status: 'fulfilled', value: true },
      { status: 'fulfilled', value: false },
    ]);
    expect(db.rows.get('k1')).toBe('o-k1');
    expect(db.rows.has('bad')).toBe(false);
  });
});
