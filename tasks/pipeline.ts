/**
 * `deno task pipeline` — the whole toolkit in one versioned, resumable run: prompts → generate → filter → extract →
 * train (real only, with synthetic, with synthetic + SSLS; several seeds) → evaluate → report.
 *
 * Without options it runs the embedded offline demonstration (no config, keys, GPU or downloads): real CC-BY clips
 * from `fixtures/videos/` cut into short videos with planted events, template prompts, procedural generation, the
 * fixture tiny encoder, MIL training on the CPU backend. `--profile ucf-crime` (plus `--config` with your paths) runs
 * the real experiment; see docs/pipeline.md.
 *
 * Permissions: `--allow-read --allow-write` (fixtures, inputs, run folder), `--allow-run=ffmpeg,ffprobe`,
 * `--allow-ffi --allow-env --allow-sys` (ONNX Runtime, TensorFlow.js backends, API keys from the environment),
 * `--allow-net` to 127.0.0.1, localhost and the public Zhipu / OpenAI hosts (another service: run with its host).
 *
 * Inputs: `--config <file.json>` (validated before any stage runs), `--profile demo|ucf-crime`.
 * Outputs: `<runs-dir>/pipeline/<run-id>/` with `config.json` (first), `stages/*.json`, stage folders,
 * `report.md`, `report.html`; rerunning with the same `--run-id` finishes what is missing and recomputes nothing
 * that is done and still valid.
 *
 * @example
 * ```sh
 * deno task pipeline                                  # offline demo into runs/pipeline/<timestamp>/
 * deno task pipeline --run-id demo                    # rerun: every stage is skipped
 * deno task pipeline --profile ucf-crime --config my-ucf.json --run-id ucf-1
 * ```
 * @module
 */
import { dirname, resolve } from "node:path";
import { type FlagSpec, formatDuration, runTask } from "../lib/cli/mod.ts";
import { formatMeanStd } from "../lib/eval/mod.ts";
import { createRunDir } from "../lib/io/mod.ts";
import {
  checkPipelineInputs,
  PIPELINE_PROFILES,
  type PipelineConfigInput,
  type PipelineEvent,
  PROFILE_CONFIGS,
  REPORTED_METRICS,
  resolvePipelineConfig,
  runPipeline,
  validatePipelineConfig,
} from "../lib/pipeline/mod.ts";

const USAGE = "deno task pipeline [--config <file.json>] [--profile demo|ucf-crime] [--run-id <id>] [--runs-dir <dir>]";
const DESCRIPTION = "Run every stage, prompts to report, in one resumable run folder (the offline demo by default).";
const EXAMPLES = [
  "deno task pipeline --run-id demo   # the offline demo into runs/pipeline/demo/; run again: every stage is skipped",
  "deno task pipeline --print-config",
];

const SPEC = {
  config: { type: "string", description: "configuration file (JSON), merged onto the profile" },
  profile: {
    type: "enum",
    values: PIPELINE_PROFILES,
    default: "demo",
    description: `profile: ${PIPELINE_PROFILES.join(", ")}`,
  },
  "run-id": { type: "string", description: "run id (default: a UTC timestamp); an existing id resumes that run" },
  "runs-dir": { type: "string", default: "runs", description: "root of the run folders" },
  "print-config": { type: "boolean", default: false, description: "print the resolved configuration and exit" },
  "fail-stage": { type: "string", description: "testing aid: make this stage fail after its body ran" },
  quiet: { type: "boolean", default: false, description: "print only the summary" },
  verbose: { type: "boolean", default: false, description: "also print each stage's progress lines" },
} as const satisfies FlagSpec;

/** Entry point; returns the exit code. */
export function main(args: string[]): Promise<number> {
  return runTask(args, {
    flags: SPEC,
    usage: USAGE,
    description: DESCRIPTION,
    examples: EXAMPLES,
    print: console.log,
    run: async ({ values }) => {
      const profile = values.profile;
      let fileInput: PipelineConfigInput = {};
      let configPath: string | undefined;
      if (values.config !== undefined) {
        configPath = resolve(values.config);
        let parsed: unknown;
        try {
          parsed = JSON.parse(await Deno.readTextFile(configPath));
        } catch (error) {
          if (error instanceof SyntaxError) {
            throw new SyntaxError(`Cannot read configuration ${configPath} as it is not valid JSON: ${error.message}`);
          }
          throw error;
        }
        validatePipelineConfig(parsed, configPath);
        fileInput = parsed;
      }
      // Profile paths resolve against the working folder, the file's against its own folder.
      const base = resolvePipelineConfig(PROFILE_CONFIGS[profile], `profile ${profile}`);
      const config = resolvePipelineConfig(fileInput, configPath ?? `profile ${profile}`, {
        base,
        baseDir: configPath ? dirname(configPath) : Deno.cwd(),
        baseConfigDir: "/",
      });
      if (configPath && !("profile" in fileInput)) config.profile = profile === "demo" ? "custom" : profile;
      if (values["print-config"]) {
        console.log(JSON.stringify(config, null, 2));
        return 0;
      }
      await checkPipelineInputs(config, configPath ?? `profile ${profile}`);
      const failStage = values["fail-stage"];
      const runDir = await createRunDir(values["runs-dir"], "pipeline", values["run-id"]);
      const { quiet, verbose } = values;
      const started = performance.now();
      console.log(`pipeline: run folder ${runDir} (profile ${config.profile})`);
      const onEvent = (e: PipelineEvent) => {
        if (quiet) return;
        const clock = formatDuration((performance.now() - started) / 1000).padStart(6);
        if (e.type === "start") console.log(`${clock}  ▶ ${e.stage} (${e.reason})`);
        else if (e.type === "skip") console.log(`${clock}  ✓ ${e.stage} done and still valid, skipped`);
        else if (e.type === "done") console.log(`${clock}  ✓ ${e.stage} finished in ${e.seconds.toFixed(1)} s`);
        else if (e.type === "fail") console.log(`${clock}  ✗ ${e.stage} failed`);
        else if (e.type === "info" && verbose) console.log(`${clock}    ${e.stage}: ${e.message}`);
      };
      const result = await runPipeline(config, runDir, {
        failStage,
        env: { OPENAI_API_KEY: Deno.env.get("OPENAI_API_KEY"), ZHIPUAI_API_KEY: Deno.env.get("ZHIPUAI_API_KEY") },
        configExtra: { configFile: configPath ?? null, profileName: profile },
        onEvent,
      });
      const computed = result.stages.filter((s) => !s.skipped).length;
      console.log(
        `\n${result.stages.length} stages: ${computed} computed, ${result.stages.length - computed} skipped; ` +
          `${formatDuration((performance.now() - started) / 1000)} in all`,
      );
      console.log(`\nmetrics (mean ± std over seeds ${config.seeds.join(", ")}; selection ${config.train.select}):`);
      const names = ["variant", ...REPORTED_METRICS];
      const rows = result.results.variants.map((v) => [
        v.variant,
        ...REPORTED_METRICS.map((m) => formatMeanStd(v.metrics[m])),
      ]);
      const widths = names.map((n, i) => Math.max(n.length, ...rows.map((r) => r[i].length)));
      console.log("  " + names.map((n, i) => n.padEnd(widths[i])).join("  "));
      for (const r of rows) console.log("  " + r.map((c, i) => c.padEnd(widths[i])).join("  "));
      if (config.real.source === "demo") {
        console.log(
          "\nThis demonstration shows that the stages run end to end and resume; it says nothing about GV-VAD's accuracy" +
            "\n(tiny random encoder, planted events, procedural clips, a handful of videos). See the report.",
        );
      }
      console.log(`\nreport: ${result.report.markdown}\n        ${result.report.html}`);
      return 0;
    },
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
