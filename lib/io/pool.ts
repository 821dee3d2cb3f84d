/**
 * One worker pool for every stage that works on many items at once (generation jobs, filter measurements): items are
 * taken in order by at most `concurrency` workers; the first failure stops new items from starting, the items already
 * started finish, and the failure is thrown.
 *
 * @module
 */

/** Options of {@linkcode runPool}. */
export interface PoolOptions {
  /** When aborted, no new item starts (those started finish); `runPool` then resolves normally. */
  signal?: AbortSignal;
}

/**
 * Run `work` on every item with at most `concurrency` items in flight, in order of `items`. Resolves when every
 * started item is done; rejects with the first error once the items in flight have settled (no new item starts after
 * a failure).
 *
 * @example
 * ```ts
 * import { runPool } from "./pool.ts";
 * const sizes: number[] = [];
 * await runPool(["a.mp4", "bb.mp4"], 2, async (name, index) => {
 *   sizes[index] = name.length;
 * });
 * ```
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
  options: PoolOptions = {},
): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(
      `Cannot run a worker pool as concurrency must be an integer >= 1: current value is ${concurrency}`,
    );
  }
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && failure === undefined && !options.signal?.aborted) {
      const index = next++;
      try {
        await work(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}

/**
 * A limit on how many calls of an async function run at once (e.g. downloads beside submissions): `limit(fn)` waits
 * for a free slot, runs `fn` and frees the slot when it settles.
 *
 * @example
 * ```ts
 * import { createLimiter } from "./pool.ts";
 * const limit = createLimiter(2);
 * const texts = await Promise.all(["a", "b", "c"].map((x) => limit(() => Promise.resolve(x.toUpperCase()))));
 * ```
 */
export function createLimiter(concurrency: number): <R>(fn: () => Promise<R>) => Promise<R> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(
      `Cannot create a limiter as concurrency must be an integer >= 1: current value is ${concurrency}`,
    );
  }
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <R>(fn: () => Promise<R>): Promise<R> => {
    while (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
