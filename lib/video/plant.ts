/**
 * `cutAndPlant()` — cut a short video out of a real clip (looping the source when it is shorter) and optionally
 * plant a visible synthetic event (a flashing bright box or a colour inversion) over an exact, known frame interval.
 * Used by the pipeline's offline demonstration to build a small labelled "real" set whose anomalies have exact
 * frame-level ground truth. Owned by the pipeline engineer; kept here because only lib/video spawns ffmpeg.
 *
 * @module
 */
import { checkNumber } from "../io/validate.ts";
import { assertReadableFile, runFfmpegToFile } from "./_process.ts";
import { withDefaults } from "../io/options.ts";

/** Kinds of planted events. */
export type PlantedEventKind = "box" | "invert";
/** Allowed {@link PlantedEventKind} values. */
export const PLANTED_EVENT_KINDS: readonly PlantedEventKind[] = Object.freeze(["box", "invert"]);

/** A planted event over the output frames `start..end` (both inclusive, 0-based). */
export interface PlantedEvent {
  /** A flashing bright box or a colour inversion. */
  kind: PlantedEventKind;
  /** First output frame of the event (0-based, inclusive). */
  start: number;
  /** Last output frame of the event (inclusive). */
  end: number;
  /** `box`: `[x, y, w, h]` as fractions of the frame. @default {[0.3, 0.3, 0.4, 0.4]} */
  box?: [number, number, number, number];
  /** `box`: ffmpeg colour. @default {"white"} */
  color?: string;
  /** Period in frames of the on/off flashing (0 = steady). @default {4} */
  flickerFrames?: number;
}

/** Options of {@link cutAndPlant}. */
export interface CutAndPlantOptions {
  /** First source frame (the source loops when shorter than `startFrame + frames`). @default {0} */
  startFrame?: number;
  /** Frames of the output video. @default {64} */
  frames?: number;
  /** Output frame rate (the source is resampled by ffmpeg's `fps` filter). @default {12} */
  fps?: number;
  /** Output width (even). @default {320} */
  width?: number;
  /** Output height (even). @default {180} */
  height?: number;
  /** Mirror horizontally. @default {false} */
  hflip?: boolean;
  /** Event to plant; none = a normal video. @default {undefined} */
  event?: PlantedEvent;
  /** x264 constant rate factor. @default {23} */
  crf?: number;
  /** ffmpeg executable. @default {"ffmpeg"} */
  ffmpegPath?: string;
  /** Abort signal. */
  signal?: AbortSignal;
}

/** Defaults of {@link CutAndPlantOptions}. */
export const DEFAULT_CUT_AND_PLANT_OPTIONS: Readonly<{
  startFrame: number;
  frames: number;
  fps: number;
  width: number;
  height: number;
  hflip: boolean;
  crf: number;
  ffmpegPath: string;
}> = Object.freeze({
  startFrame: 0,
  frames: 64,
  fps: 12,
  width: 320,
  height: 180,
  hflip: false,
  crf: 23,
  ffmpegPath: "ffmpeg",
});

/** The rule of the integer options, for lib/io's `checkNumber`. */
const INTEGER_OPTION = { action: "cut video", integer: true } as const;

/**
 * The ffmpeg argument array of {@link cutAndPlant} (exported for tests and docs). The `enable` expression uses the
 * output frame number `n`, so the planted interval is exact in frames.
 */
export function cutAndPlantArgs(source: string, out: string, options: CutAndPlantOptions = {}): string[] {
  const o = withDefaults(DEFAULT_CUT_AND_PLANT_OPTIONS, options);
  checkNumber("startFrame", o.startFrame, { ...INTEGER_OPTION, min: 0 });
  checkNumber("frames", o.frames, { ...INTEGER_OPTION, min: 1 });
  checkNumber("width", o.width, { ...INTEGER_OPTION, min: 2 });
  checkNumber("height", o.height, { ...INTEGER_OPTION, min: 2 });
  if (o.width % 2 !== 0 || o.height % 2 !== 0) {
    throw new RangeError(`Cannot cut video as width and height must be even: current value is ${o.width}x${o.height}`);
  }
  if (!(o.fps > 0)) throw new RangeError(`Cannot cut video as fps must be > 0: current value is ${o.fps}`);
  const filters = [
    `fps=${o.fps}`,
    `trim=start_frame=${o.startFrame}:end_frame=${o.startFrame + o.frames}`,
    "setpts=PTS-STARTPTS",
    `scale=${o.width}:${o.height}:force_original_aspect_ratio=increase`,
    `crop=${o.width}:${o.height}`,
  ];
  if (o.hflip) filters.push("hflip");
  const e = o.event;
  if (e !== undefined) {
    if (!PLANTED_EVENT_KINDS.includes(e.kind)) {
      throw new RangeError(
        `Cannot plant event as kind must be one of ${PLANTED_EVENT_KINDS.join(", ")}: current value is ${e.kind}`,
      );
    }
    checkNumber("event.start", e.start, { ...INTEGER_OPTION, min: 0 });
    checkNumber("event.end", e.end, { ...INTEGER_OPTION, min: e.start });
    if (e.end >= o.frames) {
      throw new RangeError(`Cannot plant event as event.end must be < frames (${o.frames}): current value is ${e.end}`);
    }
    const flicker = e.flickerFrames ?? 4;
    checkNumber("event.flickerFrames", flicker, { ...INTEGER_OPTION, min: 0 });
    const on = flicker > 1 ? `*lt(mod(n-${e.start},${flicker}),${Math.max(1, Math.floor(flicker / 2))})` : "";
    const enable = `between(n,${e.start},${e.end})${on}`;
    if (e.kind === "invert") filters.push(`negate=enable='${enable}'`);
    else {
      const [bx, by, bw, bh] = e.box ?? [0.3, 0.3, 0.4, 0.4];
      const px = (f: number, size: number) => Math.max(0, Math.min(size, Math.round(f * size)));
      filters.push(
        `drawbox=x=${px(bx, o.width)}:y=${px(by, o.height)}:w=${px(bw, o.width)}:h=${px(bh, o.height)}:color=${
          e.color ?? "white"
        }:t=fill:enable='${enable}'`,
      );
    }
  }
  filters.push("format=yuv420p");
  return [
    "-v",
    "error",
    "-nostdin",
    "-y",
    "-stream_loop",
    "-1",
    "-i",
    source,
    "-an",
    "-vf",
    filters.join(","),
    "-frames:v",
    String(o.frames),
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-crf",
    String(o.crf),
    "-threads",
    "1",
    "-fflags",
    "+bitexact",
    "-flags:v",
    "+bitexact",
    "-map_metadata",
    "-1",
    "-f",
    "mp4",
    out,
  ];
}

/**
 * Cut `frames` frames from `source` (looping it when needed), resize and crop to `width`×`height`, optionally mirror
 * it and plant `event`, and write an H.264 MP4 to `out` (written under a temporary name, then renamed).
 *
 * @example
 * ```ts ignore
 * import { cutAndPlant } from "./plant.ts";
 * await cutAndPlant("fixtures/videos/car-3s.mp4", "/tmp/a.mp4", {
 *   frames: 64,
 *   event: { kind: "box", start: 20, end: 43 },
 * });
 * ```
 */
export async function cutAndPlant(source: string, out: string, options: CutAndPlantOptions = {}): Promise<void> {
  await assertReadableFile(source, "cut video");
  const o = withDefaults(DEFAULT_CUT_AND_PLANT_OPTIONS, options);
  await runFfmpegToFile((tmp) => cutAndPlantArgs(source, tmp, o), out, {
    ffmpegPath: o.ffmpegPath,
    action: "cut video",
    subject: source,
    signal: options.signal,
  });
}
