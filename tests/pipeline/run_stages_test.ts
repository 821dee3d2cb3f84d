/**
 * The stage runner: stages ordered by their `after` lists, each instance fingerprinted from its own inputs plus its
 * upstream stages' fingerprints (so a change upstream reruns everything downstream, and nothing else), results handed
 * on through the context.
 */
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import {
  DEFAULT_PIPELINE_CONFIG,
  orderStages,
  PIPELINE_STAGES,
  type PipelineStage,
  readStageRecord,
  RunLayout,
  runStages,
} from "../../lib/pipeline/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";

const stub = (name: string, after: string[]) => ({ name, after });

Deno.test("orderStages() runs each stage after the stages it names, keeping the list order otherwise", async (t) => {
  await t.step("an ordered list stays as it is", () => {
    const stages = [stub("a", []), stub("b", ["a"]), stub("c", []), stub("d", ["b", "c"])];
    deepStrictEqual(orderStages(stages).map((s) => s.name), ["a", "b", "c", "d"]);
  });
  await t.step("a stage listed before its upstream stage moves after it", () => {
    const stages = [stub("d", ["b"]), stub("a", []), stub("b", ["a"]), stub("c", [])];
    deepStrictEqual(orderStages(stages).map((s) => s.name), ["a", "b", "d", "c"]);
  });
  await t.step("the pipeline's own list is in order", () => {
    deepStrictEqual(orderStages(PIPELINE_STAGES).map((s) => s.name), PIPELINE_STAGES.map((s) => s.name));
    deepStrictEqual(PIPELINE_STAGES.map((s) => s.name), [
      "real",
      "prompts",
      "generate",
      "filter",
      "extract",
      "train",
      "evaluate",
      "report",
    ]);
  });
  const bad: [string, ReturnType<typeof stub>[], RegExp][] = [
    ["unknown upstream stage", [stub("a", []), stub("b", ["x"])], /stage b runs after unknown stages .*x/],
    ["repeated name", [stub("a", []), stub("a", [])], /names repeat: current value is a/],
    ["cycle", [stub("a", ["b"]), stub("b", ["a"]), stub("c", [])], /form a cycle: current value is a, b/],
  ];
  for (const [name, stages, pattern] of bad) {
    await t.step(
      name,
      () => throws(() => orderStages(stages), (e: unknown) => e instanceof TypeError && pattern.test(e.message)),
    );
  }
});

/** Three toy stages: `source` → `square` (two instances) → `sum`, with options changed between runs. */
function toyStages(options: { base: number; offset: number; sourceEnabled?: boolean }) {
  const runs: string[] = [];
  const source: PipelineStage<{ value: number }> = {
    name: "source",
    after: [],
    enabled: () => options.sourceEnabled ?? true,
    inputs: () => ({ base: options.base }),
    run: async ({ layout, stage }) => {
      runs.push(stage);
      const path = join(layout.root, "source.txt");
      await Deno.writeTextFile(path, String(options.base));
      return { result: { value: options.base }, files: [path] };
    },
  };
  const square: PipelineStage<{ value: number }, { k: number }> = {
    name: "square",
    after: ["source"],
    instances: () => [1, 2].map((k) => ({ name: `square-${k}`, params: { k } })),
    inputs: ({ params }) => ({ k: params.k }),
    run: async ({ layout, stage, params, upstream, info }) => {
      runs.push(stage);
      const base = upstream<{ value: number }>("source")[0]?.result.value ?? 0;
      info(`k ${params.k}`);
      const path = join(layout.root, `${stage}.txt`);
      await Deno.writeTextFile(path, String(base * base * params.k));
      return { result: { value: base * base * params.k }, files: [path] };
    },
  };
  const sum: PipelineStage<{ value: number }> = {
    name: "sum",
    after: ["square"],
    inputs: () => ({ offset: options.offset }),
    run: ({ stage, upstream }) => {
      runs.push(stage);
      const squares = upstream<{ value: number }, { k: number }>("square");
      return Promise.resolve({
        result: { value: options.offset + squares.reduce((a, s) => a + s.result.value, 0) },
        files: [],
      });
    },
  };
  return { stages: [source, square, sum] as PipelineStage<unknown, unknown>[], runs };
}

Deno.test("runStages() reruns a stage when its inputs or an upstream stage's fingerprint change, and nothing else", async (t) => {
  await withTempDir(async (dir) => {
    const context = {
      config: DEFAULT_PIPELINE_CONFIG,
      layout: new RunLayout(dir),
      env: {},
      inputHashes: {},
      promptsHash: "",
    };
    const run = async (options: Parameters<typeof toyStages>[0]) => {
      const toy = toyStages(options);
      const info: string[] = [];
      const finished = await runStages(toy.stages, context, {
        onEvent: (e) => e.type === "info" && info.push(`${e.stage}: ${e.message}`),
      });
      return { finished, runs: toy.runs, info };
    };
    await t.step("a first run computes every instance, results handed on", async () => {
      const { finished, runs, info } = await run({ base: 3, offset: 0 });
      deepStrictEqual(runs, ["source", "square-1", "square-2", "sum"]);
      deepStrictEqual(finished.map((f) => [f.name, f.result]), [
        ["source", { value: 3 }],
        ["square-1", { value: 9 }],
        ["square-2", { value: 18 }],
        ["sum", { value: 27 }],
      ]);
      deepStrictEqual(info, ["square-1: k 1", "square-2: k 2"]);
    });
    await t.step("a rerun skips everything and hands on the recorded results", async () => {
      const { finished, runs } = await run({ base: 3, offset: 0 });
      deepStrictEqual(runs, []);
      strictEqual(finished.every((f) => f.skipped), true);
      deepStrictEqual(finished.at(-1)?.result, { value: 27 });
    });
    await t.step("a changed option of the last stage reruns only it", async () => {
      deepStrictEqual((await run({ base: 3, offset: 1 })).runs, ["sum"]);
    });
    await t.step("a changed option upstream reruns every stage downstream of it", async () => {
      const before = await readStageRecord(dir, "square-1");
      const { runs, finished } = await run({ base: 2, offset: 1 });
      deepStrictEqual(runs, ["source", "square-1", "square-2", "sum"]);
      deepStrictEqual(finished.at(-1)?.result, { value: 13 });
      // square-1's own inputs did not change: its fingerprint did, through source's.
      strictEqual((await readStageRecord(dir, "square-1"))!.executions, before!.executions + 1);
    });
    await t.step(
      "a disabled upstream stage counts as null: downstream reruns, the stage is not recorded again",
      async () => {
        const { runs, finished } = await run({ base: 2, offset: 1, sourceEnabled: false });
        deepStrictEqual(runs, ["square-1", "square-2", "sum"]);
        deepStrictEqual(finished.map((f) => f.name), ["square-1", "square-2", "sum"]);
        deepStrictEqual(finished.at(-1)?.result, { value: 1 });
      },
    );
  }, "run-stages-");
});

Deno.test("RunLayout names every path of a run folder", () => {
  const layout = new RunLayout("/runs/pipeline/demo");
  strictEqual(layout.prompts.pairs, "/runs/pipeline/demo/prompts/pairs.jsonl");
  strictEqual(layout.filter.kept, "/runs/pipeline/demo/filter/kept.jsonl");
  strictEqual(layout.features.syntheticAll, "/runs/pipeline/demo/features/synthetic-all.jsonl");
  strictEqual(layout.stageRecord("extract"), "/runs/pipeline/demo/stages/extract.json");
  const train = layout.train("with-synthetic", 2);
  strictEqual(train.dir, "/runs/pipeline/demo/train/with-synthetic/seed-2");
  strictEqual(train.scores("cam 1/a"), "/runs/pipeline/demo/train/with-synthetic/seed-2/scores/cam_1_a.npy");
  strictEqual(train.lastCheckpointManifest, `${train.dir}/checkpoints/last/checkpoint.json`);
  strictEqual(layout.relative(layout.evaluation("real-only", 0)), "evaluate/real-only/seed-0");
  strictEqual(layout.resolve("evaluate/real-only/seed-0"), layout.evaluation("real-only", 0));
  strictEqual(layout.relative("/elsewhere/x"), "/elsewhere/x");
});
