import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { VideoProgress } from "../../lib/cli/video_progress.ts";

Deno.test("VideoProgress prints frames within a video with rate and ETA, throttled, when not on a terminal", () => {
  const out: string[] = [];
  let clock = 0;
  const progress = new VideoProgress("extract", { write: (s) => out.push(s), now: () => clock, lineIntervalMs: 5000 });
  progress.update({ type: "plan", todo: 2 });
  progress.update({ type: "start", id: "long", expectedFrames: 3180 });
  // 100 frames per second, an event every 320 ms (one encoder batch of 32 frames).
  for (let decoded = 32; decoded <= 3180; decoded += 32) {
    clock += 320;
    progress.update({ type: "frames", frames: 32, id: "long", decoded, expectedFrames: 3180 });
  }
  strictEqual(out.length, 6, out.join("")); // one line per 5 s of a 31.8 s video
  ok(out.every((l) => l.endsWith("\n") && !l.includes("\r")));
  strictEqual(
    out[0],
    "extract 0/2 videos · long 512/3180 frames (16.1%) · 100 frames/s · eta 27s this video, 58s all\n",
  );
  progress.update({ type: "video", id: "long", status: "ok" });
  progress.update({ type: "start", id: "short" }); // no frame count in the container
  clock += 6000;
  progress.update({ type: "frames", frames: 10, id: "short", decoded: 10 });
  ok(out[out.length - 1].startsWith("extract 1/2 videos · short 10 frames · "), out[out.length - 1]);
  progress.update({ type: "video", id: "short", status: "failed" });
  // The last planned video ends the display with one summary line; done() afterwards adds nothing.
  progress.done();
  strictEqual(out[out.length - 1], "extract 2/2 videos (1 failed) · 3178 frames in 38s (84 frames/s)\n");
  strictEqual(out.filter((l) => l.includes("frames in")).length, 1);
});

Deno.test("VideoProgress redraws one line in place on a terminal, at most every redrawIntervalMs", () => {
  const out: string[] = [];
  let clock = 0;
  const progress = new VideoProgress("infer", { write: (s) => out.push(s), isTerminal: true, now: () => clock });
  progress.update({ type: "plan", todo: 1 });
  progress.update({ type: "start", id: "cam", expectedFrames: 100 });
  for (let decoded = 10; decoded <= 100; decoded += 10) {
    clock += 100;
    progress.update({ type: "frames", frames: 10, id: "cam", decoded, expectedFrames: 100 });
  }
  progress.update({ type: "video", id: "cam", status: "ok" });
  ok(out.length >= 4 && out.length <= 6, String(out.length)); // 1 s of updates at most every 250 ms, + the summary
  ok(out.every((l) => l.startsWith("\r\x1b[2K")));
  ok(out.slice(0, -1).every((l) => !l.endsWith("\n")));
  ok(out[out.length - 1].endsWith("\n") && out[out.length - 1].includes("1/1 videos · 100 frames in 1s"));
});

Deno.test("VideoProgress starts a new display for each plan and prints nothing when nothing was to do", () => {
  const out: string[] = [];
  const progress = new VideoProgress("infer", { write: (s) => out.push(s), now: () => 0 });
  progress.done();
  deepStrictEqual(out, []);
  for (const id of ["a", "b"]) {
    progress.update({ type: "plan", todo: 1 });
    progress.update({ type: "frames", frames: 5, id, decoded: 5 });
    progress.update({ type: "video", id, status: "ok" });
  }
  deepStrictEqual(out, [
    "infer 1/1 videos · 5 frames in 0s (0.0 frames/s)\n",
    "infer 1/1 videos · 5 frames in 0s (0.0 frames/s)\n",
  ]);
});
