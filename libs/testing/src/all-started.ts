/**
 * Like `Promise.all`, but waits for every start, the failed ones too, before it throws the first failure: with
 * `Promise.all` the others would still be starting, unseen by the dispose that follows, their processes left
 * running. Services start side by side this way: one compiles and boots while another waits on its database.
 */
export async function allStarted<T extends readonly unknown[] | []>(
  starts: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled<readonly unknown[]>(starts);
  const failed = settled.find((start) => start.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((start) => (start as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}
