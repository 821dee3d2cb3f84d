/**
 * Merges async generators: yields items as each source produces them; ending early (or an error) returns every
 * source that is still open.
 * @module
 */
export async function* mergeAsync<T>(sources: AsyncGenerator<T>[]): AsyncGenerator<T> {
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<T> }>>();
  const pull = (index: number) => pending.set(index, sources[index].next().then((result) => ({ index, result })));
  sources.forEach((_, index) => pull(index));
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(index);
        continue;
      }
      pull(index);
      yield result.value;
    }
  } finally {
    const open = [...pending.keys()];
    pending.clear();
    await Promise.allSettled(open.map((index) => sources[index].return(undefined)));
  }
}
