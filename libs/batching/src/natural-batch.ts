/** What a batch function answers for each of its items, in their order: `Promise.allSettled`'s own shape. */
export type ItemOutcome<R> = PromiseSettledResult<R>;

/** Does the work of many items at once; one item's failure is its outcome, a throw fails the whole batch. */
export type BatchFunction<I, R> = (items: I[]) => Promise<ItemOutcome<R>[]>;

export interface NaturalBatchOptions {
  /** The most items one batch takes; the rest wait for the next round. */
  maxSize: number;
  /** How many batches may be in flight at once (1: strictly one after the other). */
  concurrency?: number;
  /** Told each batch's size as it goes (a metric of how much each round trip carries). */
  onBatch?: (size: number) => void;
}

interface Waiting<I, R> {
  item: I;
  resolve: (value: R) => void;
  reject: (reason: unknown) => void;
}

/**
 * Natural (smart) batching, as LMAX's and Aeron's consumers and a database's group commit do it: an item submitted
 * while no batch is in flight goes at once, alone; items submitted while one is in flight gather, and go together
 * (up to `maxSize`) as soon as it returns. No timer: a lone item waits for nothing, a storm shares each round trip.
 */
export class NaturalBatch<I, R> {
  private readonly waiting: Waiting<I, R>[] = [];
  private inFlight = 0;
  private readonly maxSize: number;
  private readonly concurrency: number;
  private readonly onBatch?: (size: number) => void;

  constructor(
    private readonly run: BatchFunction<I, R>,
    { maxSize, concurrency = 1, onBatch }: NaturalBatchOptions,
  ) {
    if (!Number.isInteger(maxSize) || maxSize < 1) throw new Error(`maxSize must be >= 1 (got ${maxSize})`);
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new Error(`concurrency must be >= 1 (got ${concurrency})`);
    }
    this.maxSize = maxSize;
    this.concurrency = concurrency;
    this.onBatch = onBatch;
  }

  /** This item's own result: its outcome in its batch, or the batch's error if the batch function threw. */
  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.next();
    });
  }

  /** Items submitted and not yet in a batch. */
  get pending(): number {
    return this.waiting.length;
  }

  private next(): void {
    while (this.inFlight < this.concurrency && this.waiting.length > 0) {
      this.inFlight++;
      const batch = this.waiting.splice(0, this.maxSize);
      this.onBatch?.(batch.length);
      void this.send(batch);
    }
  }

  /** Runs one batch; the next round starts as soon as it returns, before its items' callers resume. */
  private async send(batch: Waiting<I, R>[]): Promise<void> {
    let outcomes: ItemOutcome<R>[] | undefined;
    let failure: unknown;
    try {
      outcomes = await this.run(batch.map(({ item }) => item));
      if (outcomes.length !== batch.length) {
        throw new Error(`the batch function answered ${outcomes.length} outcomes for ${batch.length} items`);
      }
    } catch (error) {
      outcomes = undefined;
      failure = error;
    }
    this.inFlight--;
    this.next();
    batch.forEach((waiting, index) => {
      const outcome = outcomes?.[index];
      if (!outcome) waiting.reject(failure);
      else if (outcome.status === 'fulfilled') waiting.resolve(outcome.value);
      else waiting.reject(outcome.reason);
    });
  }
}
