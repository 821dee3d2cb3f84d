import { deepStrictEqual, rejects, strictEqual, throws } from "node:assert/strict";
import { createLimiter, runPool } from "../../lib/io/pool.ts";

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

Deno.test("runPool() keeps at most `concurrency` items in flight and visits every item once, in order of start", async () => {
  let active = 0;
  let peak = 0;
  const started: number[] = [];
  await runPool([5, 1, 3, 2, 4], 2, async (_item, index) => {
    started.push(index);
    active++;
    peak = Math.max(peak, active);
    await tick();
    active--;
  });
  deepStrictEqual(started, [0, 1, 2, 3, 4]);
  strictEqual(peak, 2);
  await runPool([], 3, () => Promise.reject(new Error("never called")));
});

Deno.test("runPool() starts nothing after a failure, lets started items finish, then throws the first error", async () => {
  const finished: number[] = [];
  await rejects(
    runPool([0, 1, 2, 3, 4, 5], 2, async (item) => {
      await tick();
      if (item === 1) throw new Error("item 1 failed");
      finished.push(item);
    }),
    /item 1 failed/,
  );
  deepStrictEqual(finished, [0, 2], "item 2 had started beside the failure; 3 to 5 never started");
});

Deno.test("runPool() starts no new item once its signal aborts and resolves", async () => {
  const controller = new AbortController();
  const done: number[] = [];
  await runPool([0, 1, 2, 3], 1, async (item) => {
    done.push(item);
    if (item === 1) controller.abort();
    await tick();
  }, { signal: controller.signal });
  deepStrictEqual(done, [0, 1]);
});

Deno.test("runPool() and createLimiter() refuse a concurrency that is not an integer >= 1", async () => {
  await rejects(runPool([1], 0, () => Promise.resolve()), /concurrency must be an integer >= 1: current value is 0/);
  throws(() => createLimiter(1.5), /current value is 1.5/);
});

Deno.test("createLimiter() runs at most `concurrency` calls at once and passes results and errors through", async () => {
  const limit = createLimiter(2);
  let active = 0;
  let peak = 0;
  const call = (value: number) =>
    limit(async () => {
      active++;
      peak = Math.max(peak, active);
      await tick();
      active--;
      if (value < 0) throw new Error(`negative ${value}`);
      return value * 2;
    });
  const results = await Promise.allSettled([call(1), call(2), call(-3), call(4), call(5)]);
  strictEqual(peak, 2);
  deepStrictEqual(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message)), [
    2,
    4,
    "negative -3",
    8,
    10,
  ]);
});
