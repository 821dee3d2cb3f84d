/**
 * `deno task infer` extracts new videos the way the detector's training features were extracted: the checkpoint's
 * recipe by default, a different explicit setting or encoder refused (unless `--allow-recipe-mismatch`), the
 * fallback defaults with a warning for a checkpoint without a recipe, and every recipe flag of extract on infer.
 * Each refusal leaves no output behind.
 */
import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_EXTRACT_OPTIONS, extractFeatures } from "../../lib/encode/mod.ts";
import { sha256File } from "../../lib/io/hash.ts";
import { type VideoRecord, writeManifest } from "../../lib/io/manifest.ts";
import {
  DEFAULT_PIPELINE_CONFIG,
  FALLBACK_INFER_RECIPE,
  inferVideo,
  inferVideoFolder,
  resolveInferRecipe,
} from "../../lib/pipeline/mod.ts";
import { type FeatureRecipe, trainDetector } from "../../lib/train/mod.ts";
import { main as extractMain } from "../../tasks/extract.ts";
import { main } from "../../tasks/infer.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { captureTask, exists } from "../_helpers/capture.ts";
import { writeSyntheticSet } from "../train/_synthetic.ts";

const ROOT = new URL("../../", import.meta.url);
const MODEL = new URL("fixtures/models/tiny_image_encoder.onnx", ROOT).pathname;
const OTHER_MODEL = new URL("fixtures/models/fixed_batch_image_encoder.onnx", ROOT).pathname;
const CAR = new URL("fixtures/videos/car-3s.mp4", ROOT).pathname;

/** Fields of an extract record that describe its recipe. */
const RECIPE_KEYS = [
  "encoderModel",
  "modelSha256",
  "recipeHash",
  "preprocessing",
  "framesPerClip",
  "tail",
  "pooling",
  "normalize",
  "crops",
  "fps",
  "sourceFps",
];

/**
 * A checkpoint whose training features carry a real extraction's recipe (the fixture clip through the tiny
 * encoder with the ffmpeg resizer, as the pipeline's demo extracts): 32-dim synthetic features for the detector, the
 * recipe fields of the real record on each.
 */
async function checkpointWithRecipe(dir: string): Promise<string> {
  const extracted = await extractFeatures([{ id: "car", path: CAR, label: "normal", source: "real" }], {
    model: MODEL,
    outDir: join(dir, "extract"),
    resizeEngine: DEFAULT_PIPELINE_CONFIG.extract.resizeEngine,
  });
  const template = extracted.records[0];
  const fields = Object.fromEntries(RECIPE_KEYS.map((k) => [k, template[k]]));
  const records = (await writeSyntheticSet(join(dir, "features"), { dim: 32, normal: 3, anomalous: 3 }))
    .map((r): VideoRecord => ({ ...r, ...fields }));
  await writeManifest(join(dir, "features", "train.jsonl"), records);
  const out = join(dir, "train");
  const r = await trainDetector(records, [], {
    backend: "cpu",
    preset: "mil",
    iterations: 2,
    batchSize: 2,
    segments: 4,
    outDir: out,
  });
  r.detector.dispose();
  return out;
}

const infer = (args: string[]) => captureTask(main, args);

Deno.test("infer task uses the checkpoint's recipe and refuses a different one naming each field", async (t) => {
  await withTempDir(async (dir) => {
    const checkpoint = await checkpointWithRecipe(dir);
    const stored = JSON.parse(await Deno.readTextFile(join(checkpoint, "checkpoints", "last", "checkpoint.json")));
    strictEqual(stored.recipe.resizeEngine, "ffmpeg");
    const base = [CAR, "--checkpoint", checkpoint, "--model", MODEL];

    await t.step("no recipe flag: the checkpoint's settings (ffmpeg resizer, centre crop)", async () => {
      const out = join(dir, "default");
      const r = await infer([...base, "--out", out]);
      strictEqual(r.code, 0, r.err);
      ok(r.out.includes("--resize-engine ffmpeg") && r.out.includes("the checkpoint's recipe"), r.out);
      const scores = JSON.parse(await Deno.readTextFile(join(out, "scores.json")));
      strictEqual(scores.recipeSource, "checkpoint");
      deepStrictEqual(scores.warnings, []);
      strictEqual(scores.recipe.resizeEngine, "ffmpeg");
      strictEqual(scores.recipe.crops, "center");
      const features = (await Deno.readTextFile(join(out, "features", "manifest.jsonl"))).trim();
      ok(JSON.parse(features).preprocessing.resizeEngine.startsWith("ffmpeg"), features);
    });
    await t.step("an explicit setting equal to the checkpoint's is accepted", async () => {
      const r = await infer([...base, "--resize-engine", "ffmpeg", "--crops", "center", "--out", join(dir, "same")]);
      strictEqual(r.code, 0, r.err);
    });
    for (
      const [flags, needles] of [
        [["--crops", "ten"], ["--crops: checkpoint center, given ten"]],
        [["--resize-engine", "pil"], ["--resize-engine: checkpoint ffmpeg, given pil"]],
        [["--crops", "ten", "--resize-engine", "pil", "--frames-per-clip", "8"], [
          "--crops: checkpoint center, given ten",
          "--resize-engine: checkpoint ffmpeg, given pil",
          "--frames-per-clip: checkpoint 16, given 8",
        ]],
        [["--normalize", "clip", "--fps", "5", "--resize", "256", "--crop-size", "200", "--pooling", "center"], [
          "--normalize: checkpoint none, given clip",
          "--fps: checkpoint native, given 5",
          "--resize: checkpoint 224, given 256",
          "--crop-size: checkpoint 224, given 200",
          "--pooling: checkpoint mean, given center",
        ]],
        [["--model", OTHER_MODEL], [
          "--model: checkpoint tiny_image_encoder.onnx",
          "given fixed_batch_image_encoder.onnx",
        ]],
      ] as [string[], string[]][]
    ) {
      await t.step(`${flags.join(" ")} is refused before any output`, async () => {
        const out = join(dir, `refused${flags.join("")}`.replace(/[^A-Za-z0-9]/g, "_"));
        const r = await infer([...base, ...flags, "--out", out]);
        strictEqual(r.code, 1, r.out);
        for (const needle of needles) ok(r.err.includes(needle), `${needle}\n${r.err}`);
        ok(r.err.includes("--allow-recipe-mismatch"), r.err);
        strictEqual(await exists(out), false);
      });
    }
    await t.step("a folder run is refused before its first video", async () => {
      const videos = join(dir, "videos");
      await Deno.mkdir(videos);
      await Deno.copyFile(CAR, join(videos, "car.mp4"));
      const out = join(dir, "folder-refused");
      const r = await infer([videos, "--checkpoint", checkpoint, "--model", MODEL, "--crops", "ten", "--out", out]);
      strictEqual(r.code, 1);
      ok(r.err.includes("--crops: checkpoint center, given ten"), r.err);
      strictEqual(await exists(out), false);
    });
    await t.step("--allow-recipe-mismatch scores anyway and says so in the output and scores.json", async () => {
      const out = join(dir, "allowed");
      const r = await infer([...base, "--pooling", "center", "--allow-recipe-mismatch", "--out", out]);
      strictEqual(r.code, 0, r.err);
      ok(r.out.includes("warning:") && r.out.includes("--pooling: checkpoint mean, given center"), r.out);
      const scores = JSON.parse(await Deno.readTextFile(join(out, "scores.json")));
      strictEqual(scores.recipe.pooling, "center");
      strictEqual(scores.warnings.length, 1);
    });
    await t.step("a renamed copy of the same encoder is the same encoder (compared by SHA-256)", async () => {
      const copy = join(dir, "renamed-encoder.onnx");
      await Deno.copyFile(MODEL, copy);
      const r = await infer([CAR, "--checkpoint", checkpoint, "--model", copy, "--out", join(dir, "renamed")]);
      strictEqual(r.code, 0, r.err);
    });
    await t.step("inferVideo() and inferVideoFolder() refuse the same way as the task", async () => {
      await rejects(
        inferVideo(CAR, { checkpoint, model: MODEL, outDir: join(dir, "lib"), resizeEngine: "pil" }),
        RangeError,
        "--resize-engine: checkpoint ffmpeg, given pil",
      );
      await rejects(
        inferVideoFolder(join(dir, "videos"), { checkpoint, model: MODEL, outDir: join(dir, "lib"), crops: "ten" }),
        RangeError,
        "--crops: checkpoint center, given ten",
      );
      strictEqual(await exists(join(dir, "lib")), false);
    });
  });
});

Deno.test("infer task keeps the fallback defaults with a warning for a checkpoint without a recipe", async () => {
  await withTempDir(async (dir) => {
    const checkpoint = await checkpointWithRecipe(dir);
    // A checkpoint written before recipes were stored: the same file without its `recipe` field.
    const path = join(checkpoint, "checkpoints", "last", "checkpoint.json");
    const { recipe: _recipe, ...old } = JSON.parse(await Deno.readTextFile(path));
    await Deno.writeTextFile(path, JSON.stringify(old));
    const out = join(dir, "old");
    const r = await infer([
      CAR,
      "--checkpoint",
      checkpoint,
      "--model",
      MODEL,
      "--resize-engine",
      "ffmpeg",
      "--out",
      out,
    ]);
    strictEqual(r.code, 0, r.err);
    ok(r.out.includes("warning:") && r.out.includes("carries no extraction recipe"), r.out);
    const scores = JSON.parse(await Deno.readTextFile(join(out, "scores.json")));
    strictEqual(scores.recipeSource, "fallback");
    deepStrictEqual(scores.recipe, { ...FALLBACK_INFER_RECIPE, resizeEngine: "ffmpeg" });
    ok(scores.warnings[0].includes("written before checkpoints stored it"), scores.warnings[0]);
  });
});

Deno.test("resolveInferRecipe() takes unset settings from the checkpoint and names each differing one", async (t) => {
  const stored: FeatureRecipe = {
    model: "clip-l14.onnx",
    modelSha256: "a".repeat(64),
    framesPerClip: 16,
    tail: "drop",
    fps: null,
    pooling: "mean",
    normalize: "none",
    crops: "center",
    resize: 224,
    cropSize: 224,
    resizeEngine: "pil",
  };
  await t.step("nothing given: the checkpoint's recipe", () => {
    const r = resolveInferRecipe(stored, {
      given: { crops: undefined },
      model: { name: "x.onnx", sha256: "a".repeat(64) },
    });
    strictEqual(r.source, "checkpoint");
    strictEqual(r.recipe.resizeEngine, "pil");
    deepStrictEqual(r.warnings, []);
  });
  await t.step("an equal pooling in another spelling is no mismatch", () => {
    const r = resolveInferRecipe({ ...stored, pooling: "center" }, { given: { pooling: "centre" } });
    deepStrictEqual(r.mismatches, []);
  });
  await t.step("the pipeline's demo engine and extract's default are both honoured through the recipe", () => {
    const demo = resolveInferRecipe({ ...stored, resizeEngine: DEFAULT_PIPELINE_CONFIG.extract.resizeEngine });
    strictEqual(demo.recipe.resizeEngine, DEFAULT_PIPELINE_CONFIG.extract.resizeEngine);
    strictEqual(FALLBACK_INFER_RECIPE.resizeEngine, DEFAULT_EXTRACT_OPTIONS.resizeEngine);
  });
  await t.step("another encoder is refused; allowed with a warning", () => {
    const model = { name: "other.onnx", sha256: "b".repeat(64) };
    throws(() => resolveInferRecipe(stored, { model }), RangeError, "--model: checkpoint clip-l14.onnx");
    const allowed = resolveInferRecipe(stored, { model, allowMismatch: true });
    strictEqual(allowed.mismatches[0].field, "model");
    strictEqual(allowed.warnings.length, 1);
  });
});

Deno.test("infer task has every recipe flag of extract", async () => {
  const help = async (run: (args: string[]) => Promise<number>) => {
    const log = console.log;
    let printed = "";
    console.log = (text: string) => (printed += text);
    try {
      strictEqual(await run(["--help"]), 0);
    } finally {
      console.log = log;
    }
    return printed;
  };
  const extractHelp = await help(extractMain);
  const inferHelp = await help(main);
  const recipeFlags = [
    "--frames-per-clip",
    "--tail",
    "--fps",
    "--pooling",
    "--normalize",
    "--crops",
    "--resize",
    "--crop-size",
    "--resize-engine",
  ];
  for (const flag of recipeFlags) {
    ok(extractHelp.includes(`${flag} `), `extract ${flag}`);
    ok(inferHelp.includes(`${flag} `), `infer lacks ${flag}`);
  }
  ok(inferHelp.includes("--allow-recipe-mismatch"), inferHelp);
  strictEqual(await sha256File(MODEL) !== await sha256File(OTHER_MODEL), true);
});

Deno.test("infer task: a file as --checkpoint or a folder as --model is named before anything is written", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out");
    const fileCheckpoint = await infer([CAR, "--checkpoint", MODEL, "--model", MODEL, "--out", out]);
    strictEqual(fileCheckpoint.code, 1);
    ok(/Cannot read --checkpoint as it must be a checkpoint folder or a training run folder, not a file/.test(
      fileCheckpoint.err,
    ));
    const folderModel = await infer([CAR, "--checkpoint", dir, "--model", join(MODEL, ".."), "--out", out]);
    strictEqual(folderModel.code, 1);
    ok(/Cannot read --model as it must be an ONNX image encoder file, not a folder/.test(folderModel.err));
    strictEqual(await exists(out), false);
  });
});
