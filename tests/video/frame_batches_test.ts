import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { frameBatches, frameBatchesInWorker, type FrameEvent } from "../../lib/video/mod.ts";

const VIDEOS = new URL("../../fixtures/videos/", import.meta.url).pathname;
const INPUT = [
  { path: `${VIDEOS}car-3s.mp4`, video: 0 },
  { path: `${VIDEOS}missing.mp4`, video: 1 },
  { path: `${VIDEOS}person-3s.mp4`, video: 2 },
];

function summary(events: FrameEvent[]) {
  let checksum = 0;
  const kinds: string[] = [];
  const images = new Map<number, number>();
  for (const e of events) {
    if (e.type === "batch") {
      for (let i = 0; i < e.pixels.length; i += 997) checksum += e.pixels[i];
      for (const v of e.videos) images.set(v, (images.get(v) ?? 0) + 1);
      kinds.push(`batch:${e.count}`);
    } else kinds.push(`${e.type}:${e.video}`);
  }
  return { kinds, checksum, images: [...images.entries()] };
}

async function collect(events: AsyncIterable<FrameEvent>): Promise<FrameEvent[]> {
  const out: FrameEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

Deno.test("frameBatches() batches across clips and videos, pads tails and reports failures", async () => {
  const events = await collect(
    frameBatches(INPUT, { batchSize: 20, pooling: { kind: "stride", stride: 4 }, tail: "pad" }),
  );
  const s = summary(events);
  // car: 37 frames -> positions 0,4,8,12 of clips 0..2 (clip 2 has frames 32..36: positions 0,4 + pad weight 2)
  // person: 30 frames -> clip 0: 4 images, clip 1 (frames 16..29): positions 0,4,8,12 -> 4 images
  deepStrictEqual(s.images, [[0, 11], [2, 8]]);
  const end0 = events.find((e) => e.type === "end" && e.video === 0);
  deepStrictEqual(end0, { type: "end", video: 0, frames: 37, images: 11 });
  const failure = events.find((e) => e.type === "error");
  ok(failure && failure.type === "error" && failure.video === 1 && failure.message.includes("missing.mp4"));
  const pad = events.flatMap((e) => e.type === "batch" ? Array.from(e.weights) : []);
  strictEqual(pad.filter((w) => w === 2).length, 1);
  strictEqual(s.kinds.at(-1), "batch:19");
});

Deno.test("frameBatchesInWorker() yields the same events as frameBatches()", async () => {
  const options = { batchSize: 9, pooling: { kind: "center" as const }, crops: "ten" as const };
  const inline = summary(await collect(frameBatches(INPUT, options)));
  const worker = summary(await collect(frameBatchesInWorker(INPUT, { ...options, prefetch: 1 })));
  deepStrictEqual(worker, inline);
});

Deno.test("frameBatchesInWorker() stops the worker and ffmpeg when the consumer breaks", async () => {
  let batches = 0;
  for await (const e of frameBatchesInWorker(INPUT, { batchSize: 2 })) {
    if (e.type === "batch" && ++batches === 2) break;
  }
  strictEqual(batches, 2);
});

Deno.test("frameBatchesInWorker() reports a failure inside the worker and shuts it down", async () => {
  await rejects(
    async () => {
      for await (const _ of frameBatchesInWorker(INPUT, { batchSize: 0 })) {
        // no event comes before the failure
      }
    },
    /frame worker failed: current value is RangeError: Cannot batch frames as batchSize must be a positive integer/,
  );
});
