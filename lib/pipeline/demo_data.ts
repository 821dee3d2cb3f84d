/**
 * The demonstration's small labelled "real" set: short videos cut from real camera clips, half of them with a
 * visible planted event (a flashing bright box or a colour inversion) over a known frame interval — anomalous with
 * exact intervals — and the rest normal, split into train and test.
 *
 * @module
 */
import { basename, join } from "node:path";
import { createRandom, type VideoRecord, writeManifest } from "../io/mod.ts";
import { cutAndPlant, type PlantedEventKind } from "../video/plant.ts";
import { withDefaults } from "../io/options.ts";

/** Options of {@linkcode buildDemoRealSet}. */
export interface DemoRealSetOptions {
  /** Videos per (split, label) group. @default {3} */
  videosPerGroup?: number;
  /** Frames per video. @default {64} */
  framesPerVideo?: number;
  /** Planted event length in frames. @default {24} */
  eventFrames?: number;
  /** Planted event kind. @default {"box"} */
  event?: PlantedEventKind;
  /** `box` events: side of the square box as a fraction of the frame height (placed at a seeded position). @default {0.6} */
  boxSize?: number;
  /** Output width. @default {192} */
  width?: number;
  /** Output height. @default {108} */
  height?: number;
  /** Output frame rate. @default {12} */
  fps?: number;
  /** Seed of the cut offsets and event positions. @default {0} */
  seed?: number;
  /** Progress callback (one call per video written). @default {undefined} */
  onVideo?: (id: string, index: number, total: number) => void;
}

/** Defaults of {@linkcode DemoRealSetOptions}. */
export const DEFAULT_DEMO_REAL_SET_OPTIONS: Readonly<{
  videosPerGroup: number;
  framesPerVideo: number;
  eventFrames: number;
  event: PlantedEventKind;
  boxSize: number;
  width: number;
  height: number;
  fps: number;
  seed: number;
}> = Object.freeze({
  videosPerGroup: 3,
  framesPerVideo: 64,
  eventFrames: 24,
  event: "box" as PlantedEventKind,
  boxSize: 0.6,
  width: 192,
  height: 108,
  fps: 12,
  seed: 0,
});

/** What {@linkcode buildDemoRealSet} wrote. */
export interface DemoRealSet {
  /** Training records. */
  train: VideoRecord[];
  /** Test records (with `frames` and `intervals`). */
  test: VideoRecord[];
  /** Path of `train.jsonl`. */
  trainManifest: string;
  /** Path of `test.jsonl`. */
  testManifest: string;
}

/**
 * Cut `2 × 2 × videosPerGroup` videos from `clips` into `<outDir>/videos/` and write `<outDir>/train.jsonl` and
 * `<outDir>/test.jsonl` (label, source `real`, class `Planted` or `Normal`, frames, fps, intervals inclusive,
 * split, and the recipe of each cut). Every video is cut again on each call (each write is atomic); resuming is the
 * pipeline stage's job, which skips the whole set when it is done and its inputs are unchanged.
 *
 * @example
 * ```ts ignore
 * import { buildDemoRealSet } from "./demo_data.ts";
 * const set = await buildDemoRealSet(["fixtures/videos/car-3s.mp4"], "runs/x/real");
 * ```
 */
export async function buildDemoRealSet(
  clips: string[],
  outDir: string,
  options: DemoRealSetOptions = {},
): Promise<DemoRealSet> {
  const o = withDefaults(DEFAULT_DEMO_REAL_SET_OPTIONS, options);
  if (clips.length === 0) throw new RangeError("Cannot build the demo set as no clip is given: current value is []");
  if (o.eventFrames + 2 > o.framesPerVideo) {
    throw new RangeError(
      `Cannot build the demo set as eventFrames must be <= framesPerVideo - 2: current value is ${o.eventFrames}`,
    );
  }
  const videosDir = join(outDir, "videos");
  await Deno.mkdir(videosDir, { recursive: true });
  const rnd = createRandom(o.seed);
  const plan: { record: VideoRecord; source: string; startFrame: number; hflip: boolean }[] = [];
  for (const split of ["train", "test"]) {
    for (const label of ["normal", "anomalous"] as const) {
      for (let j = 0; j < o.videosPerGroup; j++) {
        const source = clips[(j + (split === "test" ? 1 : 0)) % clips.length];
        const startFrame = Math.floor(rnd() * 3 * o.framesPerVideo);
        const hflip = rnd() < 0.5;
        const id = `real-${split}-${label}-${j}`;
        const record: VideoRecord = {
          id,
          path: join(videosDir, `${id}.mp4`),
          label,
          source: "real",
          class: label === "anomalous" ? "Planted" : "Normal",
          frames: o.framesPerVideo,
          fps: o.fps,
          split,
          cutFrom: basename(source),
          startFrame,
          hflip,
        };
        if (label === "anomalous") {
          const margin = 1;
          const start = margin + Math.floor(rnd() * (o.framesPerVideo - o.eventFrames - 2 * margin + 1));
          record.intervals = [[start, start + o.eventFrames - 1]];
          const h = o.boxSize;
          const w = Math.min(1, h * o.height / o.width);
          record.plantedEvent = o.event === "box"
            ? { kind: "box", box: [rnd() * (1 - w), rnd() * (1 - h), w, h].map((v) => Math.round(v * 1000) / 1000) }
            : { kind: o.event };
        } else {
          record.intervals = [];
        }
        plan.push({ record, source, startFrame, hflip });
      }
    }
  }
  let index = 0;
  for (const { record, source, startFrame, hflip } of plan) {
    const interval = (record.intervals ?? [])[0];
    const planted = record.plantedEvent as
      | { kind: PlantedEventKind; box?: [number, number, number, number] }
      | undefined;
    await cutAndPlant(source, record.path, {
      startFrame,
      frames: o.framesPerVideo,
      fps: o.fps,
      width: o.width,
      height: o.height,
      hflip,
      event: interval && planted
        ? { kind: planted.kind, box: planted.box, start: interval[0], end: interval[1] }
        : undefined,
    });
    o.onVideo?.(record.id, ++index, plan.length);
  }
  const train = plan.filter((p) => p.record.split === "train").map((p) => p.record);
  const test = plan.filter((p) => p.record.split === "test").map((p) => p.record);
  const trainManifest = join(outDir, "train.jsonl");
  const testManifest = join(outDir, "test.jsonl");
  await writeManifest(trainManifest, train);
  await writeManifest(testManifest, test);
  return { train, test, trainManifest, testManifest };
}
