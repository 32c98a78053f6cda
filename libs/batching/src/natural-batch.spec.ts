import { NaturalBatch, type ItemOutcome } from './natural-batch';

/** A batch function whose batches the test ends by hand, recording what each one held. */
function heldBatches<I>() {
  const batches: { items: I[]; answer: (outcomes: ItemOutcome<I>[] | Error) => void }[] = [];
  const run = (items: I[]) =>
    new Promise<ItemOutcome<I>[]>((resolve, reject) =>
      batches.push({
        items,
        answer: (outcomes) => (outcomes instanceof Error ? reject(outcomes) : resolve(outcomes)),
      }),
    );
  return { batches, run };
}

const echo = <I>(items: I[]): ItemOutcome<I>[] => items.map((value) => ({ status: 'fulfilled', value }));
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('NaturalBatch (unit)', () => {
  it('given nothing in flight, when one item is submitted, then it goes at once, alone, and gets its own result', async () => {
    // given
    const { batches, run } = heldBatches<string>();
    const batch = new NaturalBatch(run, { maxSize: 10 });

    // when
    const result = batch.submit('a');

    // then: sent synchronously, no timer
    expect(batches.map(({ items }) => items)).toEqual([['a']]);
    batches[0].answer(echo(['a']));
    await expect(result).resolves.toBe('a');
  });

  it('given a batch in flight, when items arrive, then they gather and go together when it returns, up to maxSize, the rest in the next round', async () => {
    // given
    const { batches, run } = heldBatches<number>();
    const sizes: number[] = [];
    const batch = new NaturalBatch(run, { maxSize: 3, onBatch: (size) => sizes.push(size) });
    const first = batch.submit(0);

    // when
    const later = [1, 2, 3, 4, 5].map((item) => batch.submit(item));
    expect(batches).toHaveLength(1);
    expect(batch.pending).toBe(5);
    batches[0].answer(echo([0]));
    await first;

    // then
    expect(batches.map(({ items }) => items)).toEqual([[0], [1, 2, 3]]);
    batches[1].answer(echo([1, 2, 3]));
    await settle();
    expect(batches.map(({ items }) => items)).toEqual([[0], [1, 2, 3], [4, 5]]);
    batches[2].answer(echo([4, 5]));
    await expect(Promise.all(later)).resolves.toEqual([1, 2, 3, 4, 5]);
    expect(sizes).toEqual([1, 3, 2]); // each batch's size told as it went
  });

  it('given a batch whose function answers one item failed, when it returns, then only that item fails and its neighbours get their values', async () => {
    // given
    const { batches, run } = heldBatches<string>();
    const batch = new NaturalBatch(run, { maxSize: 10 });
    batch.submit('first').catch(() => undefined);
    const items = ['a', 'b', 'c'].map((item) => batch.submit(item));
    batches[0].answer(echo(['first']));
    await settle();

    // when
    const refused = new Error('b refused');
    batches[1].answer([
      { status: 'fulfilled', value: 'a' },
      { status: 'rejected', reason: refused },
      { status: 'fulfilled', value: 'c' },
    ]);

    // then
    const outcomes = await Promise.allSettled(items);
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: 'a' },
      { status: 'rejected', reason: refused },
      { status: 'fulfilled', value: 'c' },
    ]);
  });

  it('given a batch function that throws, when it does, then the items of that batch fail with its error and the next batch still goes', async () => {
    // given
    const { batches, run } = heldBatches<string>();
    const batch = new NaturalBatch(run, { maxSize: 2 });
    const doomed = [batch.submit('a')];
    const after = batch.submit('b');

    // when
    const down = new Error('database down');
    batches[0].answer(down);

    // then
    await expect(doomed[0]).rejects.toBe(down);
    await settle();
    expect(batches.map(({ items }) => items)).toEqual([['a'], ['b']]);
    batches[1].answer(echo(['b']));
    await expect(after).resolves.toBe('b');
  });

  it("given a batch function that answers the wrong number of outcomes, when it returns, then its items fail rather than get a neighbour's result", async () => {
    // given
    const batch = new NaturalBatch<string, string>(async () => [], { maxSize: 5 });

    // when / then
    await expect(batch.submit('a')).rejects.toThrow('0 outcomes for 1 items');
  });

  it('given a concurrency of 2, when items arrive, then a second batch goes while the first is in flight, and a third waits', async () => {
    // given
    const { batches, run } = heldBatches<number>();
    const batch = new NaturalBatch(run, { maxSize: 10, concurrency: 2 });

    // when
    const results = [batch.submit(1), batch.submit(2), batch.submit(3), batch.submit(4)];

    // then
    expect(batches.map(({ items }) => items)).toEqual([[1], [2]]);
    batches[1].answer(echo([2]));
    await results[1];
    expect(batches.map(({ items }) => items)).toEqual([[1], [2], [3, 4]]);
    batches[0].answer(echo([1]));
    batches[2].answer(echo([3, 4]));
    await expect(Promise.all(results)).resolves.toEqual([1, 2, 3, 4]);
  });
});
