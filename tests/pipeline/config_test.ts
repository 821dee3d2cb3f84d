import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import {
  checkPipelineInputs,
  DEFAULT_PIPELINE_CONFIG,
  PIPELINE_CONFIG_SCHEMA,
  PROFILE_CONFIGS,
  repositoryRoot,
  resolvePipelineConfig,
  type SectionSpec,
  validatePipelineConfig,
} from "../../lib/pipeline/mod.ts";
import { GENERATE_BACKENDS } from "../../lib/generate/mod.ts";
import { DETECTOR_PRESETS, SELECT_POLICIES, TRAIN_BACKENDS } from "../../lib/train/mod.ts";
import { DEVICES } from "../../lib/encode/mod.ts";
import { ALIGNMENT_POLICIES } from "../../lib/eval/mod.ts";
import { CROP_MODES, PLANTED_EVENT_KINDS, RESIZE_ENGINES, TAIL_POLICIES } from "../../lib/video/mod.ts";
import { PROMPT_BACKENDS } from "../../lib/prompts/mod.ts";
import { FEATURE_LAYOUTS } from "../../lib/io/mod.ts";
import { main } from "../../tasks/pipeline.ts";

/** `text` as a regular expression matching it literally. */
function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
}

Deno.test("validatePipelineConfig() lists every problem with the allowed keys and values", async (t) => {
  const cases: [string, unknown, RegExp[]][] = [
    ["unknown top-level key", { sedes: [0] }, [/key sedes as it is unknown \(allowed keys: profile, seeds, real/]],
    ["unknown section key", { train: { iters: 5 } }, [/train\.iters as it is unknown \(allowed keys of train: preset/]],
    ["bad enum", { train: { preset: "mlp" } }, [
      literal(`train.preset as it must be one of ${DETECTOR_PRESETS.join(", ")}: current value is "mlp"`),
    ]],
    ["bad number", { train: { iterations: 0 } }, [/train\.iterations as it must be >= 1: current value is 0/]],
    ["not an integer", { seeds: [0, 1.5] }, [/seeds as it must be a list of integers/]],
    ["bad list member", { train: { variants: ["real-only", "synthetic"] } }, [
      /train\.variants as it must contain only real-only, with-synthetic, with-synthetic-ssls/,
    ]],
    ["section not an object", { extract: "fast" }, [/extract as it must be an object/]],
    ["two problems at once", { seeds: [], generate: { backend: "sora" } }, [
      /2 problem\(s\)/,
      /seeds as it must not be empty/,
      literal(`generate.backend as it must be one of ${GENERATE_BACKENDS.join(", ")}`),
    ]],
  ];
  for (const [name, input, patterns] of cases) {
    await t.step(name, () => {
      throws(() => validatePipelineConfig(input, "my.json"), (error: unknown) => {
        if (!(error instanceof TypeError)) return false;
        ok(error.message.includes("my.json"), error.message);
        for (const p of patterns) ok(p.test(error.message), `${p} in ${error.message}`);
        return true;
      });
    });
  }
});

Deno.test("resolvePipelineConfig() merges sections, resolves paths and checks cross-field requirements", async (t) => {
  await t.step("defaults resolve fixture paths against the repository", () => {
    const c = resolvePipelineConfig();
    strictEqual(c.extract.model, join(repositoryRoot(), "fixtures/models/tiny_image_encoder.onnx"));
    strictEqual(c.train.preset, DEFAULT_PIPELINE_CONFIG.train.preset);
    strictEqual(c.profile, "demo");
  });
  await t.step("a partial section keeps the other defaults; relative paths use baseDir", () => {
    const c = resolvePipelineConfig({ train: { iterations: 7 }, extract: { model: "m.onnx" } }, "x", {
      baseDir: "/data",
    });
    strictEqual(c.train.iterations, 7);
    strictEqual(c.train.batchSize, DEFAULT_PIPELINE_CONFIG.train.batchSize);
    strictEqual(c.extract.model, "/data/m.onnx");
    strictEqual(c.profile, "custom");
  });
  await t.step("features source needs train and test", () => {
    throws(() => resolvePipelineConfig({ real: { source: "features" } }, "cfg"), /real\.train is required/);
  });
  await t.step("checkPipelineInputs() lists every missing input file", async () => {
    const c = resolvePipelineConfig({ real: { clips: ["a.mp4", "b.mp4"] }, extract: { model: "m.onnx" } }, "x", {
      baseDir: "/nonexistent",
    });
    await rejects(
      checkPipelineInputs(c, "x.json"),
      /3 input file\(s\) of x\.json do not exist: current value is \/nonexistent\/m\.onnx, \/nonexistent\/a\.mp4, \/nonexistent\/b\.mp4/,
    );
    await checkPipelineInputs(resolvePipelineConfig());
  });
  await t.step("the ucf-crime profile is valid", () => {
    const c = resolvePipelineConfig(PROFILE_CONFIGS["ucf-crime"], "profile", { baseDir: "/data" });
    strictEqual(c.real.layout, "CTD");
    strictEqual(c.extract.crops, "ten");
    strictEqual(c.real.featuresDir, "/data/data/ucf-crime/clip-features");
  });
  await t.step("fixtures/pipeline/ucf-crime.json is valid", async () => {
    const path = join(repositoryRoot(), "fixtures", "pipeline", "ucf-crime.json");
    const c = resolvePipelineConfig(JSON.parse(await Deno.readTextFile(path)), path, { baseDir: "/data" });
    strictEqual(c.real.source, "features");
  });
});

Deno.test("deno task pipeline rejects a bad config before any stage runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const configPath = join(dir, "bad.json");
    await Deno.writeTextFile(configPath, JSON.stringify({ train: { backend: "gpu" }, colour: "red" }));
    strictEqual(await main(["--config", configPath, "--runs-dir", join(dir, "runs")]), 1);
    // Nothing was created: the configuration is checked before the run folder exists.
    await rejects(Deno.stat(join(dir, "runs")), Deno.errors.NotFound);
    await Deno.writeTextFile(configPath, JSON.stringify({ extract: { model: "missing.onnx" } }));
    strictEqual(await main(["--config", configPath, "--runs-dir", join(dir, "runs")]), 1);
    await rejects(Deno.stat(join(dir, "runs")), Deno.errors.NotFound);
    await Deno.writeTextFile(configPath, "{ not json");
    strictEqual(await main(["--config", configPath, "--runs-dir", join(dir, "runs")]), 1);
    await rejects(Deno.stat(join(dir, "runs")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PIPELINE_CONFIG_SCHEMA takes its allowed values from the stages' libraries", async (t) => {
  const section = (name: string) => PIPELINE_CONFIG_SCHEMA[name] as SectionSpec;
  const allowed = (name: string, field: string) => {
    const spec = section(name)[field];
    return "allowed" in spec ? spec.allowed : undefined;
  };
  const cases: [string, string, readonly string[]][] = [
    ["real", "event", PLANTED_EVENT_KINDS],
    ["real", "layout", FEATURE_LAYOUTS],
    ["prompts", "backend", PROMPT_BACKENDS],
    ["generate", "backend", GENERATE_BACKENDS],
    ["extract", "device", DEVICES],
    ["extract", "crops", CROP_MODES],
    ["extract", "resizeEngine", RESIZE_ENGINES],
    ["extract", "tail", TAIL_POLICIES],
    ["train", "preset", DETECTOR_PRESETS],
    ["train", "backend", TRAIN_BACKENDS],
    ["train", "select", SELECT_POLICIES],
    ["evaluate", "alignment", ALIGNMENT_POLICIES],
  ];
  for (const [name, field, values] of cases) {
    await t.step(`${name}.${field}`, () => {
      // The library's own list (not a copy), so a value its stage accepts passes the configuration.
      strictEqual(allowed(name, field), values);
      for (const value of values) validatePipelineConfig({ [name]: { [field]: value } }, "inline");
    });
  }
  await t.step("train.ssls: lib/train's modes but off", () => {
    deepStrictEqual(allowed("train", "ssls"), ["per-sample", "batch-fraction"]);
    throws(() => validatePipelineConfig({ train: { ssls: "off" } }, "inline"), /train\.ssls as it must be one of/);
  });
});
