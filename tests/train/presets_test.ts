import * as tf from "@tensorflow/tfjs-core";
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { activateBackend } from "../../lib/train/backend.ts";
import { DEFAULT_LOSS_OPTIONS } from "../../lib/train/loss.ts";
import { Detector, type DropoutSource } from "../../lib/train/model.ts";
import { AdamL2 } from "../../lib/train/optimizer.ts";
import { DETECTOR_PRESETS, GVVAD_SEGMENTS, PRESETS, RTFM_SEGMENTS } from "../../lib/train/presets.ts";
import { SeededRandom } from "../../lib/train/random.ts";
import { trainStep } from "../../lib/train/step.ts";
import { resolveTrainOptions } from "../../lib/train/train.ts";

Deno.test("PRESETS define segments, loss terms, SSLS mode and text use as the reference runs do", async (t) => {
  const on = (name: keyof typeof PRESETS) =>
    Object.entries(PRESETS[name].loss)
      .filter(([k, v]) => k.endsWith("Weight") && v !== 0)
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join(",");
  await t.step("mil: BCE only, 64 segments, per-sample SSLS", () => {
    strictEqual(on("mil"), "bceWeight=1");
    strictEqual(PRESETS.mil.segments, GVVAD_SEGMENTS);
    strictEqual(PRESETS.mil.ssls, "per-sample");
  });
  await t.step("rtfm: RTFM's 32 segments and BCE + 1e-4·RTFM + 8e-3·sparsity + 8e-4·smoothness", () => {
    strictEqual(PRESETS.rtfm.segments, RTFM_SEGMENTS);
    strictEqual(RTFM_SEGMENTS, 32);
    strictEqual(on("rtfm"), "bceWeight=1,magnitudeWeight=0.0001,smoothnessWeight=0.0008,sparsityWeight=0.008");
    strictEqual(PRESETS.rtfm.ssls, "per-sample");
    strictEqual(PRESETS.rtfm.usesText, false);
  });
  await t.step("gvvad-rtfm: GV-VAD's RTFM runs, BCE + 1e-4·RTFM only, 64 segments, batch-fraction SSLS", () => {
    strictEqual(on("gvvad-rtfm"), "bceWeight=1,magnitudeWeight=0.0001");
    strictEqual(PRESETS["gvvad-rtfm"].segments, 64);
    strictEqual(PRESETS["gvvad-rtfm"].ssls, "batch-fraction");
    strictEqual(PRESETS["gvvad-rtfm"].usesText, false);
    deepStrictEqual(PRESETS["gvvad-rtfm"].model, PRESETS.rtfm.model);
  });
  await t.step("gvvad: rtfm's terms + 1e-3·PAL + 0.01·triplet with bank-size triplets, 64 segments, text", () => {
    strictEqual(
      on("gvvad"),
      "bceWeight=1,magnitudeWeight=0.0001,palWeight=0.001,smoothnessWeight=0.0008,sparsityWeight=0.008," +
        "tripletWeight=0.01",
    );
    strictEqual(PRESETS.gvvad.loss.tripletClips, 0);
    strictEqual(PRESETS.gvvad.loss.tripletMargin, 1);
    strictEqual(PRESETS.gvvad.loss.pseudoLabelDeviations, 1);
    strictEqual(PRESETS.gvvad.segments, 64);
    strictEqual(PRESETS.gvvad.ssls, "per-sample");
    strictEqual(PRESETS.gvvad.usesText, true);
  });
  await t.step("every preset keeps the reference's defaults for what it does not override", () => {
    for (const name of DETECTOR_PRESETS) {
      strictEqual(PRESETS[name].loss.magnitudeMargin, DEFAULT_LOSS_OPTIONS.magnitudeMargin, name);
      strictEqual(PRESETS[name].loss.logClamp, DEFAULT_LOSS_OPTIONS.logClamp, name);
      ok(PRESETS[name].description.length > 0, name);
    }
  });
});

Deno.test("resolveTrainOptions() takes segments and SSLS mode from the preset unless given", () => {
  strictEqual(resolveTrainOptions({ preset: "rtfm" }).segments, 32);
  strictEqual(resolveTrainOptions({}).segments, 32);
  strictEqual(resolveTrainOptions({ preset: "gvvad" }).segments, 64);
  strictEqual(resolveTrainOptions({ preset: "gvvad-rtfm" }).ssls, "batch-fraction");
  strictEqual(resolveTrainOptions({ preset: "rtfm" }).ssls, "per-sample");
  strictEqual(resolveTrainOptions({ preset: "rtfm", segments: 64, ssls: "off" }).segments, 64);
  strictEqual(resolveTrainOptions({ preset: "gvvad-rtfm", ssls: "per-sample" }).ssls, "per-sample");
});

Deno.test("deno task train --help lists every preset with what it is and the per-preset defaults", async () => {
  const { main } = await import("../../tasks/train.ts");
  const log = console.log;
  let printed = "";
  console.log = (text: string) => (printed += text);
  try {
    strictEqual(await main(["--help"]), 0);
  } finally {
    console.log = log;
  }
  for (const name of DETECTOR_PRESETS) ok(printed.includes(PRESETS[name].description), name);
  ok(printed.includes("rtfm 32"), printed);
  ok(printed.includes("gvvad-rtfm batch-fraction"), printed);
});

// ---------------------------------------------------------------------------------------------------------------
// The gvvad text branch against PyTorch (fixtures/train/make_text_branch_golden.py), which tiles the captions over the
// crops before the text Aggregate (the Detector runs it once per video and tiles its output: the same values up to
// rounding), one dropout mask per crop copy, BatchNorm's running variance over V·C·T rows.

interface Packed {
  shape: number[];
  data: number[];
}
interface TextGolden {
  x: Packed;
  text: Packed;
  visionMask: Packed;
  textMask: Packed;
  features: Packed;
  scores: Packed;
  params: Record<string, Packed>;
  runningVar: Record<string, Packed>;
  grads: Record<string, Packed>;
}

const golden: TextGolden = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/train/text_branch_golden.json", import.meta.url)),
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

/** Our parameter name → rtfm_reference.py's, for one Aggregate (prefix "vision" or "text"). */
function aggregateMap(prefix: string): [string, string, "conv" | "vector"][] {
  const rows: [string, string, "conv" | "vector"][] = [];
  for (const i of [1, 2, 3]) {
    rows.push([`${prefix}.conv${i}.weight`, `c${i}.0.weight`, "conv"], [
      `${prefix}.conv${i}.bias`,
      `c${i}.0.bias`,
      "vector",
    ]);
    rows.push([`${prefix}.bn${i}.gamma`, `c${i}.2.weight`, "vector"], [
      `${prefix}.bn${i}.beta`,
      `c${i}.2.bias`,
      "vector",
    ]);
  }
  rows.push([`${prefix}.conv4.weight`, "c4.0.weight", "conv"], [`${prefix}.conv5.weight`, "c5.0.weight", "conv"]);
  rows.push([`${prefix}.bn5.gamma`, "c5.2.weight", "vector"], [`${prefix}.bn5.beta`, "c5.2.bias", "vector"]);
  for (const part of ["g", "theta", "phi"]) {
    rows.push([`${prefix}.nonLocal.${part}.weight`, `nl.${part}.weight`, "conv"]);
    rows.push([`${prefix}.nonLocal.${part}.bias`, `nl.${part}.bias`, "vector"]);
  }
  rows.push([`${prefix}.nonLocal.w.weight`, "nl.W.0.weight", "conv"], [
    `${prefix}.nonLocal.w.bias`,
    "nl.W.0.bias",
    "vector",
  ]);
  rows.push([`${prefix}.nonLocal.bn.gamma`, "nl.W.1.weight", "vector"]);
  rows.push([`${prefix}.nonLocal.bn.beta`, "nl.W.1.bias", "vector"]);
  return rows.map(([ours, theirs, kind]) => [ours, `${prefix}.${theirs}`, kind]);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  strictEqual(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function closeAll(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, relative: number): void {
  const scale = Math.max(1, ...Array.from(expected, Math.abs));
  const diff = maxDiff(actual, expected);
  ok(diff <= relative * scale, `${what}: max abs diff ${diff} (scale ${scale})`);
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`gvvad's text branch equals PyTorch's GV-VAD (captions tiled before the Aggregate) on ${backend}`, async () => {
    await activateBackend(backend);
    const before = tf.memory().numTensors;
    const [v, c, t, d] = golden.x.shape;
    const dt = golden.text.shape[2];
    const detector = new Detector({
      featureDim: d,
      textDim: dt,
      aggregate: true,
      hidden: [6, 3],
      dropout: 0,
      featureDropout: 0.5,
      magnitudeDropout: 0,
    }, 0);
    try {
      const map = [
        ...aggregateMap("vision"),
        ...aggregateMap("text"),
        ...[1, 2, 3].flatMap((i) => [
          [`head.fc${i}.weight`, `fc${i}.weight`, "linear"],
          [`head.fc${i}.bias`, `fc${i}.bias`, "vector"],
        ]),
      ] as [string, string, "conv" | "linear" | "vector"][];
      strictEqual(detector.params.size, map.length);
      for (const [ours, theirs, kind] of map) {
        const p = golden.params[theirs];
        const data = kind === "conv" ? convWeight(p) : kind === "linear" ? linearWeight(p) : Float32Array.from(p.data);
        const variable = detector.params.get(ours)!;
        strictEqual(data.length, variable.size, ours);
        tf.tidy(() => variable.assign(tf.tensor(data, variable.shape)));
      }
      const shapes: number[][] = [];
      const masks = [golden.visionMask, golden.textMask];
      const dropout: DropoutSource = {
        mask: (shape) => {
          shapes.push(shape);
          const m = masks[shapes.length - 1];
          return tf.tensor(Float32Array.from(m.data), m.shape);
        },
      };
      const vision = tf.tensor(Float32Array.from(golden.x.data), [v * c, t, d]);
      const text = tf.tensor(Float32Array.from(golden.text.data), [v, t, dt]);
      const weights = tf.tensor(Float32Array.from({ length: v * t }, (_, i) => i + 1), [v, t]);
      let features: Float32Array | undefined;
      let scores: Float32Array | undefined;
      const conv1 = detector.params.get("text.conv1.weight")!;
      const { value, grads } = tf.valueAndGrads((x: tf.Tensor, w: tf.Tensor) => {
        // the parameter enters through the detector; `w` only anchors its gradient
        const out = detector.forward({ vision, text: x, videos: v, crops: c }, true, dropout);
        features = out.features.dataSync() as Float32Array;
        scores = out.clipScores.dataSync() as Float32Array;
        return tf.add(tf.sum(tf.mul(out.clipScores, weights)), tf.mul(tf.sum(w), 0)) as tf.Scalar;
      })([text, conv1]);
      deepStrictEqual(shapes, [[v * c, t, d], [v * c, t, dt]], "one feature-dropout mask per crop copy of the text");
      closeAll(features!, golden.features.data, "features", 1e-4);
      closeAll(scores!, golden.scores.data, "scores", 1e-5);
      closeAll(await grads[0].data(), golden.grads.text.data, "d loss / d text", 1e-4);
      const { value: paramLoss, grads: paramGrads } = tf.variableGrads(() => {
        const out = detector.forward({ vision, text, videos: v, crops: c }, true, {
          mask: (shape) => {
            const m = masks[shape[2] === d ? 0 : 1];
            return tf.tensor(Float32Array.from(m.data), m.shape);
          },
        });
        return tf.sum(tf.mul(out.clipScores, weights)) as tf.Scalar;
      }, [conv1]);
      closeAll(
        await paramGrads[conv1.name].data(),
        convWeight(golden.grads["text.c1.0.weight"]),
        "d loss / d text.conv1.weight",
        1e-3,
      );
      detector.discardBuffers();
      // One more forward to update the running statistics once, as PyTorch's single training forward did.
      tf.tidy(() => {
        detector.forward({ vision, text, videos: v, crops: c }, true, {
          mask: (shape) => {
            const m = masks[shape[2] === d ? 0 : 1];
            return tf.tensor(Float32Array.from(m.data), m.shape);
          },
        });
      });
      detector.updateBuffers();
      closeAll(
        await detector.buffers.get("text.bn5.runningVar")!.data(),
        golden.runningVar["text.c5.2"].data,
        "text bn5 running variance (unbiased over V·C·T rows)",
        1e-5,
      );
      closeAll(
        await detector.buffers.get("text.bn1.runningVar")!.data(),
        golden.runningVar["text.c1.2"].data,
        "text bn1 running variance",
        1e-5,
      );
      tf.dispose([vision, text, weights, value, paramLoss, ...grads, ...Object.values(paramGrads)]);
    } finally {
      detector.dispose();
    }
    strictEqual(tf.memory().numTensors, before, "tensors leaked");
  });
}

// ---------------------------------------------------------------------------------------------------------------

Deno.test("trainStep() of every preset leaks no tensors after a burn-in step (whole batch and micro-batches)", async () => {
  await activateBackend("cpu");
  const b = 2;
  const segments = 6;
  const dim = 8;
  const crops = 2;
  const random = new SeededRandom(3, 0);
  const vision = random.fillUniform(new Float32Array(2 * b * crops * segments * dim), 0, 1);
  const textValues = random.fillUniform(new Float32Array(2 * b * segments * dim), -1, 1);
  const promptBank = tf.tensor(random.fillUniform(new Float32Array(3 * dim), -1, 1), [3, dim]);
  const dropout: DropoutSource = {
    mask: (shape, p) =>
      tf.tensor(new SeededRandom(1, 2).fillDropoutMask(new Float32Array(shape.reduce((x, y) => x * y, 1)), p), shape),
  };
  try {
    for (const name of DETECTOR_PRESETS) {
      const preset = PRESETS[name];
      const textDim = preset.usesText ? dim : 0;
      const detector = new Detector({ ...preset.model, featureDim: dim, textDim }, 0);
      const optimizer = new AdamL2();
      const step = (microBatches: number) => {
        const { loss, terms } = trainStep(
          {
            detector,
            optimizer,
            dropout,
            loss: preset.loss,
            ssls: preset.ssls,
            lambda: 0.5,
            lambdaMax: 1,
            promptBank: textDim > 0 ? promptBank : undefined,
          },
          {
            vision,
            text: textDim > 0 ? textValues : undefined,
            sources: Float32Array.from([0, 1, 1, 0]),
            videos: 2 * b,
            crops,
            segments,
            dim,
            textDim,
          },
          true,
          microBatches,
        );
        ok(Number.isFinite(loss.dataSync()[0]), `${name}: loss not finite`);
        if (textDim > 0) ok("triplet" in terms && "pal" in terms, `${name}: ${Object.keys(terms)}`);
        tf.dispose([loss, ...Object.values(terms)]);
      };
      try {
        step(1);
        const before = tf.memory().numTensors;
        step(1);
        step(2);
        strictEqual(tf.memory().numTensors, before, `${name}: tensors leaked`);
      } finally {
        optimizer.dispose();
        detector.dispose();
      }
    }
  } finally {
    promptBank.dispose();
  }
});
