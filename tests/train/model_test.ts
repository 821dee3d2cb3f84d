import * as tf from "@tensorflow/tfjs-core";
import { ok, strictEqual } from "node:assert/strict";
import { activateBackend } from "../../lib/train/backend.ts";
import { Detector } from "../../lib/train/model.ts";

interface Packed {
  shape: number[];
  data: number[];
}
interface Golden {
  x: Packed;
  features: Packed;
  scores: Packed;
  params: Record<string, Packed>;
  grads: Record<string, Packed>;
}

const golden: Golden = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/train/aggregate_golden.json", import.meta.url)),
);

/** PyTorch Conv1d weight [Cout, Cin, k] → ours [Cin, k·Cout] (tap-major columns). */
function convWeight(p: Packed): Float32Array {
  const [cout, cin, k] = p.shape;
  const out = new Float32Array(cin * k * cout);
  for (let co = 0; co < cout; co++) {
    for (let ci = 0; ci < cin; ci++) {
      for (let j = 0; j < k; j++) out[ci * k * cout + j * cout + co] = p.data[(co * cin + ci) * k + j];
    }
  }
  return out;
}

/** PyTorch Linear weight [out, in] → ours [in, out]. */
function linearWeight(p: Packed): Float32Array {
  const [o, i] = p.shape;
  const out = new Float32Array(i * o);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) out[b * o + a] = p.data[a * i + b];
  return out;
}

const MAP: [string, string, "conv" | "linear" | "vector"][] = [
  ["vision.conv1.weight", "c1.0.weight", "conv"],
  ["vision.conv1.bias", "c1.0.bias", "vector"],
  ["vision.bn1.gamma", "c1.2.weight", "vector"],
  ["vision.bn1.beta", "c1.2.bias", "vector"],
  ["vision.conv2.weight", "c2.0.weight", "conv"],
  ["vision.conv2.bias", "c2.0.bias", "vector"],
  ["vision.bn2.gamma", "c2.2.weight", "vector"],
  ["vision.bn2.beta", "c2.2.bias", "vector"],
  ["vision.conv3.weight", "c3.0.weight", "conv"],
  ["vision.conv3.bias", "c3.0.bias", "vector"],
  ["vision.bn3.gamma", "c3.2.weight", "vector"],
  ["vision.bn3.beta", "c3.2.bias", "vector"],
  ["vision.conv4.weight", "c4.0.weight", "conv"],
  ["vision.conv5.weight", "c5.0.weight", "conv"],
  ["vision.bn5.gamma", "c5.2.weight", "vector"],
  ["vision.bn5.beta", "c5.2.bias", "vector"],
  ["vision.nonLocal.g.weight", "nl.g.weight", "conv"],
  ["vision.nonLocal.g.bias", "nl.g.bias", "vector"],
  ["vision.nonLocal.theta.weight", "nl.theta.weight", "conv"],
  ["vision.nonLocal.theta.bias", "nl.theta.bias", "vector"],
  ["vision.nonLocal.phi.weight", "nl.phi.weight", "conv"],
  ["vision.nonLocal.phi.bias", "nl.phi.bias", "vector"],
  ["vision.nonLocal.w.weight", "nl.W.0.weight", "conv"],
  ["vision.nonLocal.w.bias", "nl.W.0.bias", "vector"],
  ["vision.nonLocal.bn.gamma", "nl.W.1.weight", "vector"],
  ["vision.nonLocal.bn.beta", "nl.W.1.bias", "vector"],
  ["head.fc1.weight", "fc1.weight", "linear"],
  ["head.fc1.bias", "fc1.bias", "vector"],
  ["head.fc2.weight", "fc2.weight", "linear"],
  ["head.fc2.bias", "fc2.bias", "vector"],
  ["head.fc3.weight", "fc3.weight", "linear"],
  ["head.fc3.bias", "fc3.bias", "vector"],
];

function convert(kind: "conv" | "linear" | "vector", p: Packed): Float32Array {
  return kind === "conv" ? convWeight(p) : kind === "linear" ? linearWeight(p) : Float32Array.from(p.data);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  strictEqual(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`Detector Aggregate + head match PyTorch's RTFM modules (forward and gradients) on ${backend}`, async () => {
    await activateBackend(backend);
    const [n, t, d] = golden.x.shape;
    const detector = new Detector({
      featureDim: d,
      aggregate: true,
      hidden: [8, 4],
      dropout: 0,
      featureDropout: 0,
      magnitudeDropout: 0,
    }, 0);
    try {
      strictEqual(detector.params.size, MAP.length);
      for (const [ours, theirs, kind] of MAP) {
        const v = detector.params.get(ours)!;
        const data = convert(kind, golden.params[theirs]);
        strictEqual(data.length, v.size, ours);
        tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
      }
      const x = tf.tensor(Float32Array.from(golden.x.data), [n, t, d]);
      const weights = tf.tensor(Float32Array.from({ length: n * t }, (_, i) => i + 1), [n, t]);
      const noDropout = { mask: (shape: number[]) => tf.ones(shape) };
      let features: Float32Array | undefined;
      let scores: Float32Array | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const out = detector.forward({ vision: x, videos: n, crops: 1 }, true, noDropout);
        features = out.features.dataSync() as Float32Array;
        scores = out.clipScores.dataSync() as Float32Array;
        return tf.sum(tf.mul(out.clipScores, weights)) as tf.Scalar;
      }, [...detector.params.values()]);
      detector.discardBuffers();
      ok(
        maxDiff(features!, golden.features.data) < 1e-4,
        `features differ by ${maxDiff(features!, golden.features.data)}`,
      );
      ok(maxDiff(scores!, golden.scores.data) < 1e-5, `scores differ by ${maxDiff(scores!, golden.scores.data)}`);
      for (
        const [ours, theirs] of [
          ["vision.conv1.weight", "c1.0.weight"],
          ["vision.conv5.weight", "c5.0.weight"],
          ["vision.nonLocal.theta.weight", "nl.theta.weight"],
        ]
      ) {
        const g = await grads[detector.params.get(ours)!.name].data();
        const expected = convWeight(golden.grads[theirs]);
        const scale = Math.max(...Array.from(expected, Math.abs));
        ok(maxDiff(g, expected) <= 1e-3 * Math.max(1, scale), `${ours} gradient differs by ${maxDiff(g, expected)}`);
      }
      tf.dispose([value, x, weights, ...Object.values(grads)]);
    } finally {
      detector.dispose();
    }
  });
}

Deno.test("Detector fuses a caption-text branch of another dimension (gvvad) and scores clips", async () => {
  await activateBackend("cpu");
  const detector = new Detector({ featureDim: 16, textDim: 8, hidden: [8, 4] }, 0);
  try {
    const out = tf.tidy(() => {
      const o = detector.forward({ vision: tf.ones([4, 5, 16]), text: tf.ones([2, 5, 8]), videos: 2, crops: 2 }, false);
      return [o.clipScores, o.features];
    });
    strictEqual(JSON.stringify(out[0].shape), JSON.stringify([2, 5]));
    strictEqual(JSON.stringify(out[1].shape), JSON.stringify([2, 2, 5, 24]));
    ok(Array.from(await out[0].data()).every((s) => s > 0 && s < 1));
    tf.dispose(out);
  } finally {
    detector.dispose();
  }
});
