/**
 * Writes every item, at most `limit` at a time, and gives back each write's outcome. On the first
 * failure, or once `signal` aborts (the function's time is nearly up, and `timeUp` names the
 * error), no further write starts; those in flight are waited for (or aborted), and the first
 * error is thrown: what was written stays written, so a retry resumes where this one stopped.
 */
export async function eachAtMost<Item, Outcome>(
  limit: number,
  items: readonly Item[],
  options: { write: (item: Item) => Promise<Outcome>; signal?: AbortSignal; timeUp: () => Error },
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let failure: { error: unknown } | undefined;
  let next = 0;
  const worker = async () => {
    while (!failure && next < items.length) {
      if (options.signal?.aborted) {
        failure = { error: options.timeUp() };
        break;
      }
      const item = items[next] as Item;
      next += 1;
      try {
        outcomes.push(await options.write(item));
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return outcomes;
}
