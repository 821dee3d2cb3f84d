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
import { basename, resolve } from "node:path";
import { enumFlag, type FlagSpec, numberFlag, runTask } from "../lib/cli/flags.ts";
import { checkPathFlag } from "../lib/cli/paths.ts";
import { writeFileAtomic, writeJsonAtomic } from "../lib/io/atomic.ts";
import { FEATURE_LAYOUTS, parseFeatureLayout } from "../lib/io/features.ts";
import { sha256Hex } from "../lib/io/hash.ts";
import { parseManifestText, type VideoRecord, writeManifest } from "../lib/io/manifest.ts";
import { encodeNpy } from "../lib/io/npy.ts";
import { ANNOTATION_FORMATS, type AnnotationFormat, mergeFrameCounts, readAnnotations } from "../lib/gt/annotations.ts";
import { clipCountsFromFeatures, readClipCounts, readOrderList } from "../lib/gt/inputs.ts";
import {
  buildFrameLabels,
  type FrameLabelOptions,
  GROUND_TRUTH_PRESET_OPTIONS,
  GROUND_TRUTH_PRESETS,
  LABEL_DTYPES,
  LENGTH_POLICIES,
  resolveFrameLabelOptions,
  resolveOrder,
} from "../lib/gt/labels.ts";
import { buildTestManifest } from "../lib/gt/test_manifest.ts";

const USAGE = `deno task gt --annotations <file> [--frame-counts <file>] [--build rtfm-v1|deepmil|custom]
             [--out <labels.npy>] [--manifest-out <test.jsonl> --features-dir <dir>] [options]`;
const DESCRIPTION = "Build frame-level 0/1 labels (.npy) and a test manifest from temporal annotations, such as " +
  "UCF-Crime's official ones.";
const EXAMPLES = [
  `deno task gt --annotations fixtures/ucf-crime/Temporal_Anomaly_Annotation.txt \\
     --frame-counts fixtures/ucf-crime/Test_Annotation_with_frame_counts.txt --build rtfm-v1 --out runs/gt/gt-ucf.npy \\
     --index-out runs/gt/gt-ucf.json`,
];

const BUILDS = [...GROUND_TRUTH_PRESETS, "custom"] as const;

/** Flags of the gt task. */
export const GT_FLAGS: FlagSpec = {
  annotations: { type: "string", short: "a", description: "annotation file (official txt, frame-count txt or JSON)" },
  format: { type: "string", description: `annotation format: ${ANNOTATION_FORMATS.join(", ")} (detected if absent)` },
  "frame-counts": { type: "string", description: "file with per-video frame counts (frame-count txt or JSON)" },
  build: { type: "string", default: "custom", description: `label build: ${BUILDS.join(", ")}` },
  length: { type: "string", description: `per-video length: ${LENGTH_POLICIES.join(", ")} (custom default exact)` },
  "frames-per-clip": { type: "string", description: "frames per clip for ceil/floor/clips (default 16)" },
  end: { type: "string", description: "interval end: inclusive or exclusive (custom default inclusive)" },
  base: { type: "string", description: "index base of annotated frame numbers: 0 or 1 (default 0)" },
  dtype: { type: "string", description: `label dtype: ${LABEL_DTYPES.join(", ")} (custom default float64)` },
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
  layout: { type: "string", description: `feature layout for the manifest: ${FEATURE_LAYOUTS.join(", ")}` },
  split: { type: "string", default: "test", description: "manifest split name" },
  "require-features": { type: "boolean", description: "fail unless every feature file of the manifest exists" },
};

function stringFlag(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

/** Checks every path flag (file or folder, existence) before anything is read or written. */
async function checkGtPaths(values: Record<string, unknown>): Promise<void> {
  const order = stringFlag(values, "order");
  const inputs: [string, string | undefined, string][] = [
    ["annotations", stringFlag(values, "annotations"), "an annotation file"],
    ["frame-counts", stringFlag(values, "frame-counts"), "a frame-count file"],
    ["clip-counts", stringFlag(values, "clip-counts"), "a JSON file of clip counts"],
    ["order", ORDER_NAMES.includes(order as string) ? undefined : order, "a list file of video ids or paths"],
  ];
  for (const [flag, path, what] of inputs) {
    if (path !== undefined) await checkPathFlag(path, { flag, kind: "file", role: "input", what });
  }
  const featuresDir = stringFlag(values, "features-dir");
  if (featuresDir !== undefined) {
    await checkPathFlag(featuresDir, {
      flag: "features-dir",
      kind: "folder",
      role: "input",
      what: "a folder of feature files",
      mustExist: values["clips-from-features"] === true || values["require-features"] === true,
    });
  }
  const outputs: [string, "file" | "folder", string][] = [
    ["out", "file", "a .npy file path"],
    ["index-out", "file", "a JSON file path"],
    ["manifest-out", "file", "a JSON Lines file path"],
    ["per-video-dir", "folder", "a folder for per-video .npy labels"],
  ];
  for (const [flag, kind, what] of outputs) {
    const path = stringFlag(values, flag);
    if (path !== undefined) await checkPathFlag(path, { flag, kind, role: "output", what });
  }
}

/** `--order` values that name an order rather than a list file. */
const ORDER_NAMES: readonly string[] = ["anomalous-first", "file", "json"];

/** Entry point: returns the exit code. */
export function main(args: string[]): Promise<number> {
  return runTask(args, {
    flags: GT_FLAGS,
    usage: USAGE,
    description: DESCRIPTION,
    examples: EXAMPLES,
    print: console.log,
    run: async ({ values }) => {
      const annotationsPath = stringFlag(values, "annotations");
      if (annotationsPath === undefined) {
        throw new TypeError("Cannot build ground truth as --annotations is required: current value is missing");
      }
      const out = stringFlag(values, "out");
      const manifestOut = stringFlag(values, "manifest-out");
      const indexOut = stringFlag(values, "index-out");
      const perVideoDir = stringFlag(values, "per-video-dir");
      if ([out, manifestOut, indexOut, perVideoDir].every((x) => x === undefined)) {
        throw new TypeError(
          "Cannot build ground truth as no output is given (--out, --index-out, --per-video-dir or --manifest-out): current value is none",
        );
      }
      await checkGtPaths(values);
      const format = enumFlag(values, "format", ANNOTATION_FORMATS) as AnnotationFormat | undefined;
      const build = enumFlag(values, "build", BUILDS) ?? "custom";
      const layout = values.layout === undefined ? undefined : parseFeatureLayout(values.layout, "--layout");
      const featuresDir = stringFlag(values, "features-dir") ?? ".";
      const featureSuffix = stringFlag(values, "feature-suffix") ?? ".npy";

      const set = await readAnnotations(annotationsPath, format);
      if (set.videos.length === 0) {
        throw new RangeError(
          `Cannot build ground truth as the annotations list no video: current value is ${annotationsPath}`,
        );
      }
      let videos = set.videos;
      const countsPath = stringFlag(values, "frame-counts");
      if (countsPath !== undefined) videos = mergeFrameCounts(videos, (await readAnnotations(countsPath)).videos);

      const labelOptions: FrameLabelOptions = build === "custom" ? {} : { ...GROUND_TRUTH_PRESET_OPTIONS[build] };
      const length = enumFlag(values, "length", LENGTH_POLICIES);
      if (length !== undefined) labelOptions.length = length;
      const framesPerClip = numberFlag(values, "frames-per-clip", { integer: true, min: 1 });
      if (framesPerClip !== undefined) labelOptions.framesPerClip = framesPerClip;
      const end = enumFlag(values, "end", ["inclusive", "exclusive"] as const);
      if (end !== undefined) labelOptions.end = end;
      const base = enumFlag(values, "base", ["0", "1"] as const);
      if (base !== undefined) labelOptions.base = Number(base) as 0 | 1;
      const dtype = enumFlag(values, "dtype", LABEL_DTYPES);
      if (dtype !== undefined) labelOptions.dtype = dtype;
      if (labelOptions.length === "clips") {
        delete labelOptions.clipOffsets;
        const clipCounts = stringFlag(values, "clip-counts");
        if (clipCounts !== undefined) labelOptions.clips = await readClipCounts(clipCounts);
        else if (values["clips-from-features"] === true) {
          if (layout === undefined) {
            throw new TypeError(
              "Cannot read clip counts from features as --layout is required: current value is missing",
            );
          }
          labelOptions.clips = await clipCountsFromFeatures(videos, {
            dir: featuresDir,
            suffix: featureSuffix,
            layout,
          });
        } else {
          throw new TypeError(
            "Cannot use --length clips as it needs --clip-counts <file.json> or --clips-from-features: current value is missing",
          );
        }
      }
      const orderFlag = stringFlag(values, "order");
      if (orderFlag === undefined) labelOptions.order = set.order ?? labelOptions.order ?? "anomalous-first";
      else if (orderFlag === "anomalous-first" || orderFlag === "file") labelOptions.order = orderFlag;
      else if (orderFlag === "json") {
        if (set.order === undefined) {
          throw new TypeError(`Cannot use --order json as ${annotationsPath} has no "order": current value is json`);
        }
        labelOptions.order = set.order;
      } else labelOptions.order = await readOrderList(orderFlag, stringFlag(values, "order-suffix") ?? ".npy");
      const resolved = resolveFrameLabelOptions(labelOptions);
      const order = resolveOrder(videos, resolved.order);

      // Build and check the manifest before writing anything, so a missing feature file leaves no partial output.
      let records: VideoRecord[] | undefined;
      if (manifestOut !== undefined) {
        records = buildTestManifest(videos, {
          featuresDir,
          featureSuffix,
          layout,
          split: stringFlag(values, "split") ?? "test",
          order,
        });
        if (values["require-features"] === true) {
          // Reuse the manifest reader's check, which lists every missing file at once.
          await parseManifestText(records.map((r) => JSON.stringify(r)).join("\n"), resolve(manifestOut));
        }
      }

      const lines: string[] = [];
      if (out !== undefined || indexOut !== undefined || perVideoDir !== undefined) {
        const labels = buildFrameLabels(videos, { ...resolved, order });
        const bytes = encodeNpy(labels.array);
        const sha256 = await sha256Hex(bytes);
        const total = labels.array.shape[0];
        if (out !== undefined) {
          await writeFileAtomic(out, bytes);
          const pct = total > 0 ? ((100 * labels.anomalousFrames) / total).toFixed(2) : "0.00";
          lines.push(
            `wrote ${out}: ${total} frames of ${order.length} videos, ${labels.anomalousFrames} anomalous (${pct}%), ` +
              `${labels.array.dtype}, build ${build}, sha256 ${sha256}`,
          );
        }
        if (perVideoDir !== undefined) {
          for (const [k, id] of order.entries()) {
            const part = labels.array.data.slice(labels.offsets[k], labels.offsets[k + 1]);
            await writeFileAtomic(
              resolve(perVideoDir, `${id}.npy`),
              encodeNpy({ data: part, shape: [part.length], dtype: labels.array.dtype }),
            );
          }
          lines.push(`wrote ${order.length} per-video label files to ${perVideoDir}`);
        }
        if (indexOut !== undefined) {
          const { clips: _clips, ...shown } = resolved;
          await writeJsonAtomic(indexOut, {
            annotations: resolve(annotationsPath),
            frameCounts: countsPath === undefined ? null : resolve(countsPath),
            build,
            options: { ...shown, order: typeof labelOptions.order === "string" ? labelOptions.order : "list" },
            file: out === undefined ? null : basename(out),
            dtype: labels.array.dtype,
            totalFrames: total,
            anomalousFrames: labels.anomalousFrames,
            sha256,
            videos: order.map((id, k) => ({
              id,
              offset: labels.offsets[k],
              length: labels.offsets[k + 1] - labels.offsets[k],
            })),
          });
          lines.push(`wrote ${indexOut}`);
        }
      }
      if (manifestOut !== undefined && records !== undefined) {
        await writeManifest(manifestOut, records);
        const anomalous = records.filter((r) => r.label === "anomalous").length;
        lines.push(
          `wrote ${manifestOut}: ${records.length} videos (${anomalous} anomalous, ${
            records.length - anomalous
          } normal)`,
        );
      }
      console.log(lines.join("\n"));
      return 0;
    },
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
