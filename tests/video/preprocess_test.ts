import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  clipResizeSize,
  createBicubicResizer,
  createClipPreprocessor,
  cropBoxes,
  decodeFrames,
  resizeBicubic,
  roundHalfEven,
} from "../../lib/video/mod.ts";

interface GoldenCase {
  name: string;
  width: number;
  height: number;
  source: "synthetic" | "video";
  seed?: number;
  pattern?: "noise" | "gradient";
  video?: string;
  frame?: number;
  inputSha256: string;
  resized: [number, number];
  resizedSha256: string;
  resizedSamples: [number, number][];
  centerBox: [number, number];
  centerSha256: string;
  tenCropSha256: string;
  centerSamples: [number, number][];
  tenCropSamples: [number, number][];
}

const ROOT = new URL("../../", import.meta.url);
const GOLDEN: { cases: GoldenCase[] } = JSON.parse(
  await Deno.readTextFile(new URL("fixtures/video/preprocess_golden.json", ROOT)),
);
/** Stated tolerance: uint8 after resize exact; float32 after normalisation |Δ| ≤ 1e-6 (observed: bit-identical). */
const FLOAT_TOLERANCE = 1e-6;

async function sha256(bytes: ArrayBufferView): Promise<string> {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const digest = await crypto.subtle.digest("SHA-256", view.slice());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Same integer hash as make_preprocess_golden.py's synthetic_rgb(). */
function syntheticRgb(width: number, height: number, seed: number, pattern: string): Uint8Array {
  const n = width * height * 3;
  const out = new Uint8Array(n);
  const seedTerm = Math.imul(seed, 0x85EBCA77) >>> 0;
  for (let i = 0; i < n; i++) {
    let h = (Math.imul(i, 0x9E3779B1) + seedTerm) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    h = Math.imul(h, 0x85EBCA6B) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xC2B2AE35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    if (pattern === "noise") {
      out[i] = h & 255;
    } else {
      const c = i % 3;
      const p = Math.floor(i / 3);
      const x = p % width;
      const y = Math.floor(p / width);
      const v = ((7 * x + 3 * y + 50 * c) & 255) + (h & 127) - 64;
      out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

const frameCache = new Map<string, Uint8Array[]>();
async function videoFrame(video: string, index: number): Promise<Uint8Array> {
  if (!frameCache.has(video)) {
    const frames: Uint8Array[] = [];
    for await (const frame of decodeFrames(new URL(video, ROOT).pathname)) frames.push(frame.data);
    frameCache.set(video, frames);
  }
  return frameCache.get(video)![index];
}

async function inputOf(c: GoldenCase): Promise<Uint8Array> {
  if (c.source === "synthetic") return syntheticRgb(c.width, c.height, c.seed!, c.pattern!);
  return await videoFrame(c.video!, c.frame!);
}

function assertSamples(
  actual: Float32Array | Uint8Array,
  samples: [number, number][],
  tolerance: number,
  what: string,
) {
  let worst = 0;
  for (const [index, value] of samples) worst = Math.max(worst, Math.abs(actual[index] - value));
  ok(worst <= tolerance, `${what}: max |Δ| ${worst} > ${tolerance}`);
}

Deno.test("createClipPreprocessor() matches Pillow + torch CLIP preprocessing on golden images", async (t) => {
  for (const c of GOLDEN.cases) {
    await t.step(c.name, async () => {
      const rgb = await inputOf(c);
      strictEqual(await sha256(rgb), c.inputSha256, "input pixels differ from the golden's (ffmpeg decode changed?)");
      deepStrictEqual(clipResizeSize(c.width, c.height, 224), { width: c.resized[0], height: c.resized[1] });
      const resized = resizeBicubic(rgb, c.width, c.height, { width: c.resized[0], height: c.resized[1] });
      assertSamples(resized, c.resizedSamples, 0, "resized uint8");
      strictEqual(await sha256(resized), c.resizedSha256, "resized uint8 image is not byte-identical to Pillow's");

      const center = createClipPreprocessor(c.width, c.height);
      deepStrictEqual([center.boxes[0].x, center.boxes[0].y], c.centerBox);
      const centerOut = new Float32Array(center.imageSize);
      center.process(rgb, centerOut);
      assertSamples(centerOut, c.centerSamples, FLOAT_TOLERANCE, "centre crop");
      strictEqual(await sha256(centerOut), c.centerSha256, "centre crop float32 tensor is not bit-identical");

      const ten = createClipPreprocessor(c.width, c.height, { crops: "ten" });
      const tenOut = new Float32Array(ten.imageSize * 10);
      ten.process(rgb, tenOut);
      assertSamples(tenOut, c.tenCropSamples, FLOAT_TOLERANCE, "ten-crop");
      strictEqual(await sha256(tenOut), c.tenCropSha256, "ten-crop float32 tensor is not bit-identical");
    });
  }
});

Deno.test("createBicubicResizer() region equals the same pixels of the full resize", () => {
  const rgb = syntheticRgb(123, 77, 9, "noise");
  for (const [w, h] of [[60, 40], [224, 140], [123, 30], [50, 77]]) {
    const resizer = createBicubicResizer(123, 77, w, h);
    const full = resizer.resize(rgb);
    const region = { x: Math.floor(w / 3), y: Math.floor(h / 4), width: Math.ceil(w / 2), height: Math.ceil(h / 2) };
    const part = resizer.resize(rgb, region);
    for (let y = 0; y < region.height; y++) {
      for (let x = 0; x < region.width * 3; x++) {
        strictEqual(part[y * region.width * 3 + x], full[(y + region.y) * w * 3 + region.x * 3 + x]);
      }
    }
  }
});

Deno.test("roundHalfEven() rounds like Python's round()", async (t) => {
  for (const [value, expected] of [[74.5, 74], [75.5, 76], [0.5, 0], [1.5, 2], [87, 87], [2.4999, 2], [2.5001, 3]]) {
    await t.step(`${value}`, () => strictEqual(roundHalfEven(value), expected));
  }
});

Deno.test("cropBoxes() orders ten crops centre, corners, then their flips", () => {
  const boxes = cropBoxes(398, 224, 224, "ten");
  deepStrictEqual(boxes.map((b) => b.name), [
    "center",
    "top_left",
    "top_right",
    "bottom_left",
    "bottom_right",
    "center_flip",
    "top_left_flip",
    "top_right_flip",
    "bottom_left_flip",
    "bottom_right_flip",
  ]);
  deepStrictEqual(boxes.slice(0, 5).map((b) => [b.x, b.y]), [[87, 0], [0, 0], [174, 0], [0, 0], [174, 0]]);
  throws(() => cropBoxes(200, 300, 224, "center"), RangeError);
});
