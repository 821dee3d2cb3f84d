/**
 * `deno task filter` — filters generated videos: technical checks (decodable, minimum frames and resolution, black,
 * frozen), the CLIP semantic check (own description vs the pair's opposite description; skipped with a notice
 * without `--image-model` and `--text-model`), and near-duplicates among the kept clips. Resumable: measurements
 * are cached in `<out>/cache.jsonl`, so a rerun (also with other thresholds) recomputes nothing unchanged.
 *
 * Permissions: `--allow-read` (manifest, videos, models), `--allow-write` (output folder), `--allow-run=ffmpeg,ffprobe`,
 * `--allow-ffi --allow-env --allow-sys` (onnxruntime-node, only loaded with encoders).
 * Inputs: `--videos` the generation stage's dataset manifest (`<gen>/manifest.jsonl`); `--descriptions` the prompts
 * stage's pairs file (to find each clip's opposite description by `pairId`).
 * Outputs: `<out>/filtered.jsonl` (every record with `filter: {kept, reasons, notices, scores, checks}`),
 * `<out>/kept.jsonl` (dataset manifest of the kept videos), `<out>/summary.json`, `<out>/cache.jsonl`,
 * `<out>/config.json`; the kept fractions per label and class are printed as a table.
 *
 * @example
 * ```sh
 * deno task filter --videos runs/generate/demo/manifest.jsonl --descriptions runs/prompts/demo/pairs.jsonl \
 *   --image-model fixtures/models/tiny_image_encoder.onnx --text-model fixtures/models/tiny_text_encoder.onnx \
 *   --out runs/filter/demo
 * ```
 * @module
 */
import { resolve } from "node:path";
import { type FlagSpec, runTask } from "../lib/cli/flags.ts";
import { ProgressBar } from "../lib/cli/progress.ts";
import { readJsonLines, readManifest, writeRunConfig } from "../lib/io/mod.ts";
import { DEVICES } from "../lib/encode/mod.ts";
import {
  DEFAULT_FILTER_OPTIONS,
  DUPLICATE_SCOPES,
  type FilterOptions,
  filterVideos,
  formatFilterSummary,
  type PairDescriptions,
  resolveFilterOptions,
} from "../lib/filter/mod.ts";

const USAGE = `deno task filter --videos <generated manifest.jsonl> --out <dir> [--descriptions <pairs.jsonl>]
       [--image-model <clip-image.onnx> --text-model <clip-text.onnx> [--vocab <bpe.txt.gz>]] [thresholds...]`;
const DESCRIPTION = "Filter generated videos: technical checks, CLIP text-video alignment and near-duplicates; " +
  "writes kept.jsonl.";
const EXAMPLES = [
  "deno task prompts --count 6 --seed 0 --out runs/prompts/demo/pairs.jsonl",
  "deno task generate --descriptions runs/prompts/demo/pairs.jsonl --backend procedural --out runs/generate/demo",
  `deno task filter --videos runs/generate/demo/manifest.jsonl --descriptions runs/prompts/demo/pairs.jsonl \\
     --image-model fixtures/models/tiny_image_encoder.onnx --text-model fixtures/models/tiny_text_encoder.onnx \\
     --out runs/filter/demo`,
];

const D = DEFAULT_FILTER_OPTIONS;
const SPEC = {
  videos: { type: "string", description: "dataset manifest of generated videos (deno task generate's manifest.jsonl)" },
  out: { type: "string", description: "output folder: filtered.jsonl, kept.jsonl, summary.json, cache.jsonl" },
  descriptions: { type: "string", description: "pairs file (deno task prompts) for descriptions missing in records" },
  "image-model": { type: "string", description: "CLIP image encoder ONNX [N, 3, 224, 224] -> [N, D]" },
  "text-model": { type: "string", description: "CLIP text encoder ONNX [N, 77] token ids -> [N, D]" },
  vocab: { type: "string", description: "CLIP BPE vocabulary (default: fixtures/clip/bpe_simple_vocab_16e6.txt.gz)" },
  device: { type: "enum", values: DEVICES, default: D.device, description: `ONNX device: ${DEVICES.join(" | ")}` },
  threads: { type: "integer", min: 0, default: D.threads, description: "ONNX Runtime intra-op threads (0 = per core)" },
  "min-frames": { type: "integer", min: 1, default: D.minFrames, description: "minimum decoded frames" },
  "min-width": { type: "integer", min: 1, default: D.minWidth, description: "minimum width in pixels" },
  "min-height": { type: "integer", min: 1, default: D.minHeight, description: "minimum height in pixels" },
  "min-mean-luma": {
    type: "number",
    min: 0,
    max: 255,
    default: D.minMeanLuma,
    description: "black below this mean luma (0-255)",
  },
  "min-motion": {
    type: "number",
    min: 0,
    max: 255,
    default: D.minMotion,
    description: "frozen below this mean |luma difference| of consecutive frames (0-255)",
  },
  margin: {
    type: "number",
    min: -2,
    max: 2,
    default: D.semanticMargin,
    description: "semantic check: keep when sim(own) - sim(opposite) >= margin",
  },
  "sample-frames": { type: "integer", min: 1, default: D.sampleFrames, description: "frames per video for CLIP" },
  resize: { type: "integer", min: 1, default: D.resize, description: "CLIP resize (shorter side) before the crop" },
  "duplicate-threshold": {
    type: "number",
    min: -1,
    max: 1,
    default: D.duplicateThreshold,
    description: "near-duplicate at or above this cosine",
  },
  "duplicate-scope": {
    type: "enum",
    values: DUPLICATE_SCOPES,
    default: D.duplicateScope,
    description: "compare clips of the same label (label) or all clips (all)",
  },
  "analysis-width": { type: "integer", min: 1, default: D.analysisWidth, description: "technical decode width" },
  "analysis-height": { type: "integer", min: 1, default: D.analysisHeight, description: "technical decode height" },
  lenient: {
    type: "boolean",
    default: false,
    description: "keep decodable frames of damaged videos (default: reject)",
  },
  concurrency: { type: "integer", min: 1, default: D.concurrency, description: "videos decoded at the same time" },
  force: { type: "boolean", default: false, description: "ignore cached measurements and measure everything again" },
  quiet: { type: "boolean", default: false, description: "no progress output" },
} as const satisfies FlagSpec;

async function readPairs(path: string): Promise<PairDescriptions[]> {
  const rows = await readJsonLines<Record<string, unknown>>(path);
  rows.forEach((row, i) => {
    for (const key of ["pairId", "anomalous", "normal"]) {
      if (typeof row?.[key] !== "string") {
        throw new TypeError(
          `Cannot read descriptions as ${path}:${i + 1} needs a string "${key}": current value is ` +
            `${JSON.stringify(row?.[key])}`,
        );
      }
    }
  });
  return rows as PairDescriptions[];
}

/** Runs the task; returns the exit code. */
export function main(args: string[]): Promise<number> {
  return runTask(args, {
    flags: SPEC,
    usage: USAGE,
    description: DESCRIPTION,
    examples: EXAMPLES,
    print: console.log,
    run: async ({ values }) => {
      const { videos: videosPath, out, descriptions } = values;
      if (videosPath === undefined || out === undefined) {
        const name = videosPath === undefined ? "videos" : "out";
        throw new TypeError(`Cannot filter videos as --${name} is required: current value is undefined\n${USAGE}`);
      }
      const videos = await readManifest(videosPath, { checkFiles: false });
      if (videos.length === 0) {
        throw new RangeError(
          `Cannot filter videos as the manifest ${videosPath} must hold at least one video: current value is 0 videos`,
        );
      }
      const pairs = descriptions === undefined ? undefined : await readPairs(descriptions);
      const options: FilterOptions = {
        outDir: out,
        pairs,
        imageModel: values["image-model"],
        textModel: values["text-model"],
        vocabPath: values.vocab,
        device: values.device,
        threads: values.threads,
        minFrames: values["min-frames"],
        minWidth: values["min-width"],
        minHeight: values["min-height"],
        minMeanLuma: values["min-mean-luma"],
        minMotion: values["min-motion"],
        semanticMargin: values.margin,
        sampleFrames: values["sample-frames"],
        resize: values.resize,
        duplicateThreshold: values["duplicate-threshold"],
        duplicateScope: values["duplicate-scope"],
        analysisWidth: values["analysis-width"],
        analysisHeight: values["analysis-height"],
        concurrency: values.concurrency,
        strictDecode: !values.lenient,
        resume: !values.force,
      };
      const resolved = resolveFilterOptions(options);
      const outDir = resolve(resolved.outDir);
      const { pairs: _pairs, onEvent: _onEvent, ...config } = resolved;
      await writeRunConfig(outDir, {
        task: "filter",
        videos: resolve(videosPath),
        descriptions: descriptions === undefined ? null : resolve(descriptions),
        ...config,
        outDir,
        vocabPath: resolved.vocabPath?.toString() ?? null,
      });
      const quiet = values.quiet;
      let bar: ProgressBar | undefined;
      let phase = "";
      const result = await filterVideos(videos, {
        ...options,
        onEvent: (event) => {
          if (event.type === "technical" || event.type === "image") {
            if (quiet) return;
            if (phase !== event.type) {
              bar?.done();
              phase = event.type;
              bar = new ProgressBar(`filter ${event.type}`, event.total);
            }
            const how = event.cached === undefined ? "missing" : event.cached ? "cached" : "computed";
            bar?.tick(1, `${event.id} (${how})`);
          } else if (event.type === "notice" && !quiet) console.error(`notice: ${event.message}`);
        },
      });
      bar?.done();
      console.log(formatFilterSummary(result.summary));
      if (result.semantic.status === "skipped") console.log(`notice: ${result.semantic.notice}`);
      else console.log(`semantic check: applied (margin ${resolved.semanticMargin})`);
      const c = result.counts;
      console.log(
        `near-duplicates: ${result.duplicateMethod} cosine >= ${resolved.duplicateThreshold} within ` +
          `${resolved.duplicateScope === "label" ? "each label" : "all clips"}`,
      );
      console.log(
        `measured: technical ${c.technicalComputed} (cached ${c.technicalCached}), image ${c.imageComputed} ` +
          `(cached ${c.imageCached}), text ${c.textComputed} (cached ${c.textCached})`,
      );
      console.log(`wrote ${result.filteredPath}\nwrote ${result.keptPath} (${result.kept.length} videos)`);
      console.log(`wrote ${result.summaryPath}`);
      return 0;
    },
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
