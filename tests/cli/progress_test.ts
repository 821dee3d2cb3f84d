import { ok, strictEqual } from "node:assert/strict";
import { formatDuration, ProgressBar } from "../../lib/cli/progress.ts";

Deno.test("ProgressBar prints occasional lines with rate and ETA when not on a terminal", () => {
  const out: string[] = [];
  let clock = 0;
  const bar = new ProgressBar("extract", 100, { write: (s) => out.push(s), now: () => clock });
  for (let i = 0; i < 100; i++) {
    clock += 500;
    bar.tick(1, `v${i}`);
  }
  bar.done("finished");
  strictEqual(out.length, 10); // 9 deciles before the end + the final line
  ok(out.every((l) => l.endsWith("\n") && !l.includes("\r")));
  ok(out[0].startsWith("extract 10/100 10.0% 2.00/s elapsed 5s eta 45s v9"), out[0]);
  ok(out[9].startsWith("extract 100/100 100.0% 2.00/s elapsed 50s eta 0s finished"), out[9]);
});

Deno.test("ProgressBar redraws in place on a terminal, at most every redrawIntervalMs", () => {
  const out: string[] = [];
  let clock = 0;
  const bar = new ProgressBar("train", 10, { write: (s) => out.push(s), isTerminal: true, now: () => clock });
  for (let i = 0; i < 10; i++) {
    clock += 30;
    bar.tick();
  }
  bar.done();
  bar.done(); // idempotent
  ok(out.length >= 3 && out.length <= 5, String(out.length));
  ok(out.every((l) => l.startsWith("\r\x1b[2K")));
  ok(out[out.length - 1].includes("10/10") && out[out.length - 1].endsWith("\n"));
  ok(out[0].includes("[") && out[0].includes("#"));
});

Deno.test("formatDuration() formats seconds, minutes and hours", () => {
  strictEqual(formatDuration(12.4), "12s");
  strictEqual(formatDuration(185), "3m05s");
  strictEqual(formatDuration(3725), "1h02m");
  strictEqual(formatDuration(NaN), "?");
});
