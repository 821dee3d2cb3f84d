/**
 * Faults of `deno task train` and their refusals: a video whose extraction failed in a training manifest, training
 * without a test set, a rerun into a folder that holds a run, a resume on other manifests, and training features of
 * two extraction recipes. Each case asserts the clear message and that nothing was lost or half-written.
 */
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join, relative } from "node:path";
import { extractFeatures } from "../../lib/encode/mod.ts";
import { sha256File } from "../../lib/io/hash.ts";
import { readManifest, type VideoRecord, writeManifest } from "../../lib/io/manifest.ts";
import { trainDetector } from "../../lib/train/train.ts";
import { trainingRecipe } from "../../lib/train/recipe.ts";
import { main } from "../../tasks/train.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { captureTask, exists } from "../_helpers/capture.ts";
import { writeSyntheticSet } from "./_synthetic.ts";

const ROOT = new URL("../../", import.meta.url);
const MODEL = new URL("fixtures/models/tiny_image_encoder.onnx", ROOT).pathname;
const CAR = new URL("fixtures/videos/car-3s.mp4", ROOT).pathname;

/** Fields of an extract record that describe its recipe (copied onto synthetic features to make them "extracted"). */
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
 * A real extraction of the fixture clip and of a file that is not a video, with the tiny encoder: the ok record (its
 * recipe fields are the template) and the failed record exactly as extract writes them.
 */
async function realExtract(dir: string): Promise<{ ok: VideoRecord; failed: VideoRecord }> {
  const bad = join(dir, "bad.mp4");
  await Deno.writeTextFile(bad, "not a video");
  const result = await extractFeatures([
    { id: "car", path: CAR, label: "normal", source: "real" },
    { id: "bad", path: bad, label: "anomalous", source: "real" },
  ], { model: MODEL, outDir: join(dir, "extract"), resizeEngine: "ffmpeg" });
  const ok = result.records.find((r) => r.status === "ok")!;
  const failed = result.records.find((r) => r.status === "failed")!;
  return { ok, failed };
}

function withRecipe(records: VideoRecord[], template: VideoRecord, change: Record<string, unknown> = {}) {
  const fields = Object.fromEntries(RECIPE_KEYS.map((k) => [k, template[k]]));
  return records.map((r) => ({ ...r, ...fields, ...change }));
}

/** Every file under `dir` (relative path → bytes), to show that a refused command changed nothing. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (folder: string) => {
    for await (const entry of Deno.readDir(folder)) {
      const path = join(folder, entry.name);
      if (entry.isDirectory) await walk(path);
      else out.set(relative(dir, path), await sha256File(path));
    }
  };
  await walk(dir);
  return out;
}

const runTrain = (args: string[]) => captureTask(main, args);

const FAST = ["--preset", "mil", "--backend", "cpu", "--batch-size", "2", "--segments", "4", "--bootstrap", "0"];

async function finals(out: string): Promise<number> {
  const text = await Deno.readTextFile(join(out, "metrics.jsonl"));
  return text.split("\n").filter((l) => l.trim() !== "" && JSON.parse(l).type === "final").length;
}

/** Writes `train.jsonl` and `test.jsonl` of synthetic features carrying the real extraction's recipe. */
async function manifests(dir: string, template: VideoRecord): Promise<{ train: string; test: string }> {
  const train = join(dir, "train.jsonl");
  const test = join(dir, "test.jsonl");
  await writeManifest(
    train,
    withRecipe(await writeSyntheticSet(dir, { prefix: "tr", normal: 3, anomalous: 3 }), template),
  );
  await writeManifest(test, await writeSyntheticSet(dir, { prefix: "te", seed: 2, normal: 2, anomalous: 2 }));
  return { train, test };
}

Deno.test("train task skips records whose extraction failed, lists them and records them in config.json", async () => {
  await withTempDir(async (dir) => {
    const { ok: car, failed } = await realExtract(dir);
    const { train, test } = await manifests(dir, car);
    // The extract manifest's failed record joins the training and the test manifest (as after a bad camera file).
    const withFailed = join(dir, "with-failed.jsonl");
    await writeManifest(withFailed, [...await readManifest(train), failed]);
    const testFailed = { ...failed, id: "bad-test", intervals: [[0, 10]] as [number, number][] };
    const testWithFailed = join(dir, "test-with-failed.jsonl");
    await writeManifest(testWithFailed, [...await readManifest(test), testFailed]);
    const out = join(dir, "run");
    const r = await runTrain([
      ...FAST,
      "--train",
      withFailed,
      "--test",
      testWithFailed,
      "--iterations",
      "2",
      "--out",
      out,
    ]);
    strictEqual(r.code, 0, r.err);
    ok(r.out.includes("skipped 1 training video(s) whose extraction failed"), r.out);
    ok(r.out.includes("skipped 1 test video(s)"), r.out);
    ok(/ bad \(.*with-failed\.jsonl\): /.test(r.out), r.out);
    const config = JSON.parse(await Deno.readTextFile(join(out, "config.json")));
    deepStrictEqual(config.skipped.train.map((s: { id: string }) => s.id), ["bad"]);
    deepStrictEqual(config.skipped.test.map((s: { id: string }) => s.id), ["bad-test"]);
    ok(config.skipped.train[0].error.includes("bad.mp4"), config.skipped.train[0].error);
    strictEqual(config.inputs.train[0].records, 6);
    strictEqual(config.inputs.train[0].skipped, 1);
    strictEqual(config.data.train, 6);
    ok(await exists(join(out, "scores", "te0.npy")));
    ok(!await exists(join(out, "scores", "bad-test.npy")));
  });
});

Deno.test("trainDetector() refuses a failed extraction record with a clear error, before any output", async () => {
  await withTempDir(async (dir) => {
    const { failed } = await realExtract(dir);
    const set = await writeSyntheticSet(dir, { normal: 2, anomalous: 2 });
    const out = join(dir, "run");
    await rejects(
      trainDetector([...set, failed], [], { backend: "cpu", preset: "mil", iterations: 1, batchSize: 1, outDir: out }),
      TypeError,
      'video bad as its extraction failed (status "failed"',
    );
    ok(!await exists(out));
  });
});

Deno.test("train task trains without --test (checkpoint only) and refuses --select best-on-test without it", async (t) => {
  await withTempDir(async (dir) => {
    const { ok: car } = await realExtract(dir);
    const { train } = await manifests(dir, car);
    await t.step("no --test: a checkpoint, no scores or metrics.json, and the output says so", async () => {
      const out = join(dir, "deploy");
      const r = await runTrain([...FAST, "--train", train, "--iterations", "2", "--out", out]);
      strictEqual(r.code, 0, r.err);
      ok(r.out.includes("no --test: training only"), r.out);
      ok(r.out.includes("not evaluated"), r.out);
      ok(await exists(join(out, "checkpoints", "last", "checkpoint.json")));
      ok(!await exists(join(out, "metrics.json")));
      ok(!await exists(join(out, "scores")));
      strictEqual(await finals(out), 1);
    });
    await t.step("--select val works without --test (selection on the held-out training videos)", async () => {
      const out = join(dir, "val");
      const r = await runTrain([
        ...FAST,
        "--train",
        train,
        "--iterations",
        "2",
        "--select",
        "val",
        "--val-fraction",
        "0.4",
        "--out",
        out,
      ]);
      strictEqual(r.code, 0, r.err);
      ok(await exists(join(out, "checkpoints", "selected", "checkpoint.json")));
    });
    await t.step("--select best-on-test without --test is refused before anything is written", async () => {
      const out = join(dir, "best");
      const r = await runTrain([...FAST, "--train", train, "--select", "best-on-test", "--out", out]);
      strictEqual(r.code, 1);
      ok(r.err.includes("best-on-test") && r.err.includes("--test"), r.err);
      ok(!await exists(out));
    });
    await t.step("trainDetector() refuses best-on-test with no test videos", async () => {
      await rejects(
        trainDetector(await readManifest(train), [], { backend: "cpu", preset: "mil", select: "best-on-test" }),
        RangeError,
        "needs test videos",
      );
    });
  });
});

Deno.test("train task refuses to rerun into a folder that holds a run; --force replaces it cleanly", async (t) => {
  await withTempDir(async (dir) => {
    const { ok: car } = await realExtract(dir);
    const { train, test } = await manifests(dir, car);
    const out = join(dir, "run");
    const args = [...FAST, "--train", train, "--test", test, "--iterations", "2", "--out", out];
    strictEqual((await runTrain(args)).code, 0);
    const before = await snapshot(out);

    await t.step("a rerun without --resume or --force is refused, naming both, and changes nothing", async () => {
      const r = await runTrain(args);
      strictEqual(r.code, 1);
      ok(
        r.err.includes("already holds a run") && r.err.includes("--resume") && r.err.includes("--force"),
        r.err,
      );
      deepStrictEqual(await snapshot(out), before);
      strictEqual(await finals(out), 1);
    });
    await t.step("--force with --resume is refused", async () => {
      const r = await runTrain([...args, "--force", "--resume", join(out, "checkpoints", "last")]);
      strictEqual(r.code, 1);
      ok(r.err.includes("--force") && r.err.includes("--resume"), r.err);
      deepStrictEqual(await snapshot(out), before);
    });
    await t.step("--force refuses a folder that also holds files a run does not write", async () => {
      await Deno.writeTextFile(join(out, "notes.txt"), "mine");
      const r = await runTrain([...args, "--force"]);
      strictEqual(r.code, 1);
      ok(r.err.includes("notes.txt"), r.err);
      strictEqual(await Deno.readTextFile(join(out, "notes.txt")), "mine");
      await Deno.remove(join(out, "notes.txt"));
      deepStrictEqual(await snapshot(out), before);
    });
    await t.step("--force replaces the run: one run in the folder, one final line", async () => {
      const r = await runTrain([...args, "--iterations", "3", "--force"]);
      strictEqual(r.code, 0, r.err);
      ok(r.out.includes("replaced the earlier run"), r.out);
      strictEqual(await finals(out), 1);
      const steps = (await Deno.readTextFile(join(out, "metrics.jsonl"))).split("\n").filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l)).filter((e) => e.type === "step").map((e) => e.iteration);
      deepStrictEqual(steps, [3]);
      const manifest = JSON.parse(await Deno.readTextFile(join(out, "checkpoints", "last", "checkpoint.json")));
      strictEqual(manifest.iteration, 3);
      const siblings = [];
      for await (const e of Deno.readDir(dir)) if (e.name.includes("replaced")) siblings.push(e.name);
      deepStrictEqual(siblings, []);
    });
  });
});

Deno.test("train task refuses --resume on other --train manifests and leaves the run as it was", async (t) => {
  await withTempDir(async (dir) => {
    const { ok: car } = await realExtract(dir);
    const { train, test } = await manifests(dir, car);
    const out = join(dir, "run");
    const ckpt = join(out, "checkpoints", "last");
    const base = [...FAST, "--test", test, "--checkpoint-every", "2", "--log-every", "1", "--out", out];
    strictEqual((await runTrain([...base, "--train", train, "--iterations", "2"])).code, 0);
    const before = await snapshot(out);
    const extra = join(dir, "extra.jsonl");
    await writeManifest(
      extra,
      withRecipe(await writeSyntheticSet(dir, { prefix: "ex", seed: 5, normal: 1, anomalous: 1 }), car),
    );

    await t.step("an added manifest is refused, naming the manifests on both sides", async () => {
      const r = await runTrain([...base, "--train", train, "--train", extra, "--iterations", "4", "--resume", ckpt]);
      strictEqual(r.code, 1);
      ok(r.err.includes("other --train manifests") && r.err.includes("extra.jsonl"), r.err);
      deepStrictEqual(await snapshot(out), before);
    });
    await t.step("the same manifest path with other content is refused", async () => {
      const original = await Deno.readTextFile(train);
      await writeManifest(train, (await readManifest(train)).slice(1));
      try {
        const r = await runTrain([...base, "--train", train, "--iterations", "4", "--resume", ckpt]);
        strictEqual(r.code, 1);
        ok(r.err.includes("other --train manifests") && r.err.includes("train.jsonl"), r.err);
      } finally {
        await Deno.writeTextFile(train, original);
      }
      deepStrictEqual(await snapshot(out), before);
    });
    await t.step("a checkpoint of another run cannot be resumed into this run's folder", async () => {
      const other = join(dir, "other");
      strictEqual((await runTrain([...FAST, "--train", train, "--iterations", "2", "--out", other])).code, 0);
      const r = await runTrain([
        ...base,
        "--train",
        train,
        "--iterations",
        "4",
        "--resume",
        join(other, "checkpoints", "last"),
      ]);
      strictEqual(r.code, 1);
      ok(r.err.includes("holds another run"), r.err);
      deepStrictEqual(await snapshot(out), before);
    });
    await t.step("the same manifests resume: each step once, one final line", async () => {
      const r = await runTrain([...base, "--train", train, "--iterations", "4", "--resume", ckpt]);
      strictEqual(r.code, 0, r.err);
      const lines = (await Deno.readTextFile(join(out, "metrics.jsonl"))).split("\n").filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l));
      deepStrictEqual(lines.filter((e) => e.type === "step").map((e) => e.iteration), [1, 2, 3, 4]);
      strictEqual(await finals(out), 1);
    });
  });
});

Deno.test("train task stores the features' extraction recipe in the checkpoint and refuses mixed recipes", async (t) => {
  await withTempDir(async (dir) => {
    const { ok: car } = await realExtract(dir);
    const { train, test } = await manifests(dir, car);
    await t.step("checkpoint.json carries the recipe of extract's records", async () => {
      const out = join(dir, "run");
      const r = await runTrain([
        ...FAST,
        "--train",
        train,
        "--test",
        test,
        "--iterations",
        "2",
        "--select",
        "val",
        "--val-fraction",
        "0.4",
        "--out",
        out,
      ]);
      strictEqual(r.code, 0, r.err);
      const expected = {
        model: "tiny_image_encoder.onnx",
        modelSha256: await sha256File(MODEL),
        framesPerClip: 16,
        tail: "drop",
        fps: null,
        pooling: "mean",
        normalize: "none",
        crops: "center",
        resize: 224,
        cropSize: 224,
        resizeEngine: "ffmpeg",
      };
      for (const which of ["last", "selected"]) {
        const manifest = JSON.parse(await Deno.readTextFile(join(out, "checkpoints", which, "checkpoint.json")));
        deepStrictEqual(manifest.recipe, expected);
      }
      deepStrictEqual(JSON.parse(await Deno.readTextFile(join(out, "config.json"))).data.recipe, expected);
    });
    await t.step("two manifests of two recipes are refused, naming the field, values and videos", async () => {
      const pil = join(dir, "pil.jsonl");
      const preprocessing = {
        ...(car.preprocessing as Record<string, unknown>),
        resizeEngine: "pil-exact (TypeScript port)",
      };
      await writeManifest(
        pil,
        withRecipe(await writeSyntheticSet(dir, { prefix: "pi", seed: 7, normal: 1, anomalous: 1 }), car, {
          preprocessing,
        }),
      );
      const out = join(dir, "mixed");
      const r = await runTrain([...FAST, "--train", train, "--train", pil, "--iterations", "2", "--out", out]);
      strictEqual(r.code, 1);
      ok(r.err.includes("one extraction recipe") && r.err.includes("resizeEngine"), r.err);
      ok(r.err.includes('"ffmpeg"') && r.err.includes('"pil"') && r.err.includes("pi0"), r.err);
      ok(!await exists(out));
    });
    await t.step("trainingRecipe() sets aside records without a recipe and decides fps over the set", () => {
      const records = withRecipe([{ id: "a", path: "a.npy", label: "normal", source: "real" }], car);
      const resampled = records.map((r) => ({ ...r, id: "b", fps: 10, sourceFps: 25 }));
      const bare: VideoRecord = { id: "c", path: "c.npy", label: "normal", source: "real" };
      const { recipe, withoutRecipe } = trainingRecipe([...records, bare]);
      strictEqual(recipe?.fps, null);
      deepStrictEqual(withoutRecipe, ["c"]);
      strictEqual(trainingRecipe(resampled).recipe?.fps, 10);
      let message = "";
      try {
        trainingRecipe([...records, ...resampled]);
      } catch (error) {
        message = (error as Error).message;
      }
      ok(message.includes("fps: resampled to 10 fps (b) vs native rate (a)"), message);
    });
  });
});
