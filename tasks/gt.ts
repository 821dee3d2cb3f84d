/**
 * `deno task gt` — frame-level ground truth (`.npy`) and a test manifest (JSON Lines) from temporal annotations.
 *
 * Inputs: `--annotations` in the official UCF-Crime format (`name class s1 e1 s2 e2`), the frame-count variant
 * (`Class/name.mp4 FRAMES class s1 e1 ...`) or JSON (`{"videos": {id: {frames, class?, intervals}}, "order"?}`);
 * `--frame-counts` adds frame counts to the official format.
 *
 * Outputs (each optional, at least one): `--out` concatenated labels (`.npy`, 1-d); `--index-out` a JSON sidecar
 * (resolved options, order, per-video offsets, sha256 of the `.npy`); `--per-video-dir` one `<id>.npy` per video;
 * `--manifest-out` the test manifest (`id, path, label, source, layout, class, frames, intervals, split`).
 *
 * Builds: `rtfm-v1` (float64, 16·ceil(frames/16), end inclusive) and `deepmil` (float32, 16·floor(frames/16) with
 * 9 videos one clip shorter, end exclusive) reproduce the public files byte for byte; `custom` uses `--length`,
 * `--end`, `--base`, `--dtype`, `--frames-per-clip`, `--clip-counts`. Flags given with a preset override it.
 * The stage itself is `buildGroundTruth` (lib/gt/build.ts); this task maps flags onto its options.
 *
 * Every path flag is checked before anything is read or written: a folder given where a file is expected (or the
 * reverse), a missing input, or an output below a file is an error naming the flag and the path, and leaves no
 * output behind.
 *
 * Permissions: `--allow-read` (annotations, feature folder), `--allow-write` (outputs).
 *
 * @example
 * ```sh
 * deno task gt --annotations fixtures/ucf-crime/Temporal_Anomaly_Annotation.txt \
 *   --frame-counts fixtures/ucf-crime/Test_Annotation_with_frame_counts.txt --build rtfm-v1 --out gt-ucf.npy \
 *   --manifest-out data/ucf-test.jsonl --features-dir data/features/test --feature-suffix __0.npy --layout TD
 * ```
 * @module
 */
import { type FlagSpec, type FlagValues, runTask } from "../lib/cli/flags.ts";
import { checkPathFlag } from "../lib/cli/paths.ts";
import { FEATURE_LAYOUTS } from "../lib/io/features.ts";
import { ANNOTATION_FORMATS } from "../lib/gt/annotations.ts";
import { buildGroundTruth, GROUND_TRUTH_BUILDS, type GroundTruthOrder } from "../lib/gt/build.ts";
import { LABEL_DTYPES, LENGTH_POLICIES } from "../lib/gt/labels.ts";

const USAGE = `deno task gt --annotations <file> [--frame-counts <file>] [--build rtfm-v1|deepmil|custom]
             [--out <labels.npy>] [--manifest-out <test.jsonl> --features-dir <dir>] [options]`;
const DESCRIPTION = "Build frame-level 0/1 labels (.npy) and a test manifest from temporal annotations, such as " +
  "UCF-Crime's official ones.";
const EXAMPLES = [
  `deno task gt --annotations fixtures/ucf-crime/Temporal_Anomaly_Annotation.txt \\
     --frame-counts fixtures/ucf-crime/Test_Annotation_with_frame_counts.txt --build rtfm-v1 --out runs/gt/gt-ucf.npy \\
     --index-out runs/gt/gt-ucf.json`,
];

/** Flags of the gt task. */
export const GT_FLAGS = {
  annotations: { type: "string", short: "a", description: "annotation file (official txt, frame-count txt or JSON)" },
  format: {
    type: "enum",
    values: ANNOTATION_FORMATS,
    description: `annotation format: ${ANNOTATION_FORMATS.join(", ")} (detected if absent)`,
  },
  "frame-counts": { type: "string", description: "file with per-video frame counts (frame-count txt or JSON)" },
  build: {
    type: "enum",
    values: GROUND_TRUTH_BUILDS,
    default: "custom",
    description: `label build: ${GROUND_TRUTH_BUILDS.join(", ")}`,
  },
  length: {
    type: "enum",
    values: LENGTH_POLICIES,
    description: `per-video length: ${LENGTH_POLICIES.join(", ")} (custom default exact)`,
  },
  "frames-per-clip": {
    type: "integer",
    min: 1,
    description: "frames per clip for ceil/floor/clips (default 16)",
  },
  end: {
    type: "enum",
    values: ["inclusive", "exclusive"],
    description: "interval end: inclusive or exclusive (custom default inclusive)",
  },
  base: { type: "enum", values: [0, 1], description: "index base of annotated frame numbers: 0 or 1 (default 0)" },
  dtype: {
    type: "enum",
    values: LABEL_DTYPES,
    description: `label dtype: ${LABEL_DTYPES.join(", ")} (custom default float64)`,
  },
  "clip-counts": {
    type: "string",
    description: "JSON {id: clips} for --length clips (cut or pad each video to 16·clips with its last label)",
  },
  "clips-from-features": {
    type: "boolean",
    description: "for --length clips: read each video's clip count from its feature file header (needs --layout)",
  },
  order: {
    type: "string",
    description: "order: anomalous-first, file, json (the annotation JSON's order) or a list file of ids/paths",
  },
  "order-suffix": { type: "string", default: ".npy", description: "suffix stripped from names in an order list file" },
  out: { type: "string", short: "o", description: "output .npy of concatenated labels" },
  "index-out": { type: "string", description: "output JSON: resolved options, order, per-video offsets, sha256" },
  "per-video-dir": { type: "string", description: "output folder of per-video <id>.npy labels" },
  "manifest-out": { type: "string", description: "output test manifest (JSON Lines)" },
  "features-dir": { type: "string", description: "folder of feature files for manifest paths (default .)" },
  "feature-suffix": { type: "string", default: ".npy", description: "feature file name = <id><suffix>" },
  layout: {
    type: "enum",
    values: FEATURE_LAYOUTS,
    description: `feature layout for the manifest: ${FEATURE_LAYOUTS.join(", ")}`,
  },
  split: { type: "string", default: "test", description: "manifest split name" },
  "require-features": { type: "boolean", description: "fail unless every feature file of the manifest exists" },
} as const satisfies FlagSpec;

type GtValues = FlagValues<typeof GT_FLAGS>;

/** `--order` values that name an order rather than a list file. */
const ORDER_NAMES = ["anomalous-first", "file", "json"] as const;

/** `--order` as {@linkcode buildGroundTruth} takes it: a named order, or a list file with `--order-suffix`. */
function orderOption(values: GtValues): GroundTruthOrder | undefined {
  const order = values.order;
  if (order === undefined) return undefined;
  const named = ORDER_NAMES.find((name) => name === order);
  return named ?? { listFile: order, suffix: values["order-suffix"] };
}

/** Checks every path flag (file or folder, existence) before anything is read or written. */
async function checkGtPaths(values: GtValues): Promise<void> {
  const order = orderOption(values);
  const inputs: [string, string | undefined, string][] = [
    ["annotations", values.annotations, "an annotation file"],
    ["frame-counts", values["frame-counts"], "a frame-count file"],
    ["clip-counts", values["clip-counts"], "a JSON file of clip counts"],
    ["order", typeof order === "object" ? order.listFile : undefined, "a list file of video ids or paths"],
  ];
  for (const [flag, path, what] of inputs) {
    if (path !== undefined) await checkPathFlag(path, { flag, kind: "file", role: "input", what });
  }
  const featuresDir = values["features-dir"];
  if (featuresDir !== undefined) {
    await checkPathFlag(featuresDir, {
      flag: "features-dir",
      kind: "folder",
      role: "input",
      what: "a folder of feature files",
      mustExist: values["clips-from-features"] === true || values["require-features"] === true,
    });
  }
  const outputs: [string, string | undefined, "file" | "folder", string][] = [
    ["out", values.out, "file", "a .npy file path"],
    ["index-out", values["index-out"], "file", "a JSON file path"],
    ["manifest-out", values["manifest-out"], "file", "a JSON Lines file path"],
    ["per-video-dir", values["per-video-dir"], "folder", "a folder for per-video .npy labels"],
  ];
  for (const [flag, path, kind, what] of outputs) {
    if (path !== undefined) await checkPathFlag(path, { flag, kind, role: "output", what });
  }
}

/** Entry point: returns the exit code. */
export function main(args: string[]): Promise<number> {
  return runTask(args, {
    flags: GT_FLAGS,
    usage: USAGE,
    description: DESCRIPTION,
    examples: EXAMPLES,
    print: console.log,
    run: async ({ values }) => {
      const annotations = values.annotations;
      if (annotations === undefined) {
        throw new TypeError("Cannot build ground truth as --annotations is required: current value is missing");
      }
      const { out, "index-out": indexOut, "per-video-dir": perVideoDir, "manifest-out": manifestOut } = values;
      if ([out, manifestOut, indexOut, perVideoDir].every((x) => x === undefined)) {
        throw new TypeError(
          "Cannot build ground truth as no output is given (--out, --index-out, --per-video-dir or --manifest-out): current value is none",
        );
      }
      if (values.length === "clips" && values["clip-counts"] === undefined) {
        if (values["clips-from-features"] !== true) {
          throw new TypeError(
            "Cannot use --length clips as it needs --clip-counts <file.json> or --clips-from-features: current value is missing",
          );
        }
        if (values.layout === undefined) {
          throw new TypeError(
            "Cannot read clip counts from features as --layout is required: current value is missing",
          );
        }
      }
      await checkGtPaths(values);
      const result = await buildGroundTruth(annotations, {
        format: values.format,
        frameCounts: values["frame-counts"],
        build: values.build,
        length: values.length,
        framesPerClip: values["frames-per-clip"],
        end: values.end,
        base: values.base,
        dtype: values.dtype,
        clipCounts: values["clip-counts"],
        clipsFromFeatures: values["clips-from-features"],
        order: orderOption(values),
        out,
        indexOut,
        perVideoDir,
        manifestOut,
        featuresDir: values["features-dir"],
        featureSuffix: values["feature-suffix"],
        layout: values.layout,
        split: values.split,
        requireFeatures: values["require-features"],
      });
      const lines: string[] = [];
      if (result.labels !== undefined) {
        const { totalFrames: total, anomalousFrames, dtype, sha256 } = result.labels;
        if (out !== undefined) {
          const pct = total > 0 ? ((100 * anomalousFrames) / total).toFixed(2) : "0.00";
          lines.push(
            `wrote ${out}: ${total} frames of ${result.order.length} videos, ${anomalousFrames} anomalous (${pct}%), ` +
              `${dtype}, build ${result.build}, sha256 ${sha256}`,
          );
        }
        if (perVideoDir !== undefined) {
          lines.push(`wrote ${result.order.length} per-video label files to ${perVideoDir}`);
        }
        if (indexOut !== undefined) lines.push(`wrote ${indexOut}`);
      }
      if (manifestOut !== undefined && result.manifest !== undefined) {
        const { videos, anomalous } = result.manifest;
        lines.push(`wrote ${manifestOut}: ${videos} videos (${anomalous} anomalous, ${videos - anomalous} normal)`);
      }
      console.log(lines.join("\n"));
      return 0;
    },
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
