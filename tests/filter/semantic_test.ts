import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { embedVideo, type FrameEncoder, sampleFrameIndices } from "../../lib/filter/mod.ts";
import { createClipPreprocessor, decodeFrames } from "../../lib/video/mod.ts";

const VIDEO = new URL("../../fixtures/videos/car-3s.mp4", import.meta.url).pathname;

Deno.test("sampleFrameIndices() spreads frames evenly over the video", async (t) => {
  const cases: [number, number, number[]][] = [
    [49, 4, [6, 18, 30, 42]],
    [48, 8, [3, 9, 15, 21, 27, 33, 39, 45]],
    [3, 8, [0, 1, 2]],
    [1, 1, [0]],
  ];
  for (const [frames, count, expected] of cases) {
    await t.step(
      `${frames} frames, ${count} samples`,
      () => deepStrictEqual(sampleFrameIndices(frames, count), expected),
    );
  }
  throws(() => sampleFrameIndices(0, 4), RangeError);
  throws(() => sampleFrameIndices(10, 0), RangeError);
});

Deno.test("embedVideo() encodes the sampled CLIP-preprocessed frames and returns a unit mean", async () => {
  const calls: number[] = [];
  const seen: Float32Array[] = [];
  const encoder: FrameEncoder = {
    imageSize: 224,
    dim: 3,
    encode(pixels: Float32Array, count: number): Promise<Float32Array> {
      calls.push(count);
      strictEqual(pixels.length, count * 3 * 224 * 224);
      seen.push(pixels.slice());
      // Row i = (0, 2(i + 1), 0): the frame normalisation removes the scale, so the mean is (0, 1, 0).
      const rows = new Float32Array(count * 3);
      for (let i = 0; i < count; i++) {
        rows[i * 3] = 0;
        rows[i * 3 + 1] = (i + 1) * 2;
        rows[i * 3 + 2] = 0;
      }
      return Promise.resolve(rows);
    },
  };
  const v = await embedVideo(VIDEO, encoder, { sampleFrames: 4, frames: 37 });
  deepStrictEqual(calls, [4]);
  deepStrictEqual(Array.from(v), [0, 1, 0]);
  // The second sampled frame went through CLIP's preprocessing exactly.
  const second = sampleFrameIndices(37, 4)[1];
  let compared = false;
  for await (const frame of decodeFrames(VIDEO)) {
    if (frame.index !== second) continue;
    const expected = new Float32Array(3 * 224 * 224);
    createClipPreprocessor(frame.width, frame.height).process(frame.data, expected);
    const got = seen[0].subarray(expected.length, 2 * expected.length);
    let differences = 0;
    for (let i = 0; i < expected.length; i++) if (got[i] !== expected[i]) differences++;
    strictEqual(differences, 0);
    compared = true;
    break;
  }
  ok(compared);
  const counted = await embedVideo(VIDEO, encoder, { sampleFrames: 2 });
  deepStrictEqual(Array.from(counted), [0, 1, 0]);
  ok(calls.length === 2 && calls[1] === 2);
});
