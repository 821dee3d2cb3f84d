/**
 * `renderProceduralVideo()` — renders a short synthetic clip with ffmpeg's lavfi sources: a textured background,
 * moving rectangles, and optional abrupt events (full-frame flashes, flickering bursts, sudden dashes). Used by the
 * `procedural` generation backend (a test and demo backend, not a generative model). Owned by lib/generate's author;
 * kept here because only lib/video spawns ffmpeg.
 * @module
 */
import { runFfmpegToFile } from "./_process.ts";
import { withDefaults } from "../io/options.ts";

/** A moving rectangle. Positions in pixels, velocities in pixels per second; x wraps around the frame. */
export interface ProceduralShape {
  /** ffmpeg colour, e.g. `"0xff3300"`. */
  color: string;
  /** Width, in pixels. */
  width: number;
  /** Height, in pixels. */
  height: number;
  /** Initial left edge, in pixels. */
  x: number;
  /** Top edge (before bobbing), in pixels. */
  y: number;
  /** Horizontal velocity, in pixels per second. */
  vx: number;
  /** Vertical bobbing amplitude in pixels. */
  bob: number;
  /** From `dashAt` seconds on, the shape moves at `dashVx` (an abrupt change of motion). */
  dashAt?: number;
  /** Horizontal velocity from `dashAt` on, in pixels per second. */
  dashVx?: number;
}

/** An abrupt event drawn over the scene. */
export interface ProceduralEvent {
  /** A full-frame flash, or flickering rectangles (`boxes`). */
  kind: "flash" | "burst";
  /** Start time in seconds. */
  start: number;
  /** Duration in seconds. */
  duration: number;
  /** ffmpeg colour with alpha, e.g. `"white@0.85"`. */
  color: string;
  /** burst: rectangles `[x, y, w, h]` that flicker. */
  boxes?: [number, number, number, number][];
  /** Flicker frequency in Hz (0 = steady). */
  flickerHz?: number;
}

/** A complete scene description. */
export interface ProceduralScene {
  /** Frame width, in pixels. */
  width: number;
  /** Frame height, in pixels. */
  height: number;
  /** Frames per second. */
  fps: number;
  /** Frames of the video. */
  frames: number;
  /** Background colour, e.g. `"0x8899aa"`. */
  background: string;
  /** Temporal noise strength 0..100 (texture). */
  noise: number;
  /** Noise seed (determinism). */
  seed: number;
  /** Moving rectangles, drawn in order. */
  shapes: ProceduralShape[];
  /** Abrupt events drawn over the scene. */
  events: ProceduralEvent[];
}

/** Options of {@link renderProceduralVideo}. */
export interface RenderOptions {
  /** The ffmpeg executable. @default "ffmpeg" */
  ffmpegPath?: string;
  /** x264 constant rate factor. @default 28 */
  crf?: number;
  /** Abort signal (kills ffmpeg). @default undefined */
  signal?: AbortSignal;
}

/** Defaults of {@link renderProceduralVideo}. */
export const DEFAULT_RENDER_OPTIONS: Readonly<Required<Omit<RenderOptions, "signal">>> = Object.freeze({
  ffmpegPath: "ffmpeg",
  crf: 28,
});

function num(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

function checkScene(scene: ProceduralScene): void {
  for (const key of ["width", "height", "fps", "frames"] as const) {
    const value = scene[key];
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Cannot render video as ${key} must be a positive integer: current value is ${value}`);
    }
  }
  if (scene.width % 2 || scene.height % 2) {
    throw new RangeError(
      `Cannot render video as width and height must be even for yuv420p: current value is ${scene.width}x${scene.height}`,
    );
  }
  const colour = /^(0x[0-9a-fA-F]{6}|[a-z]+)(@[0-9.]+)?$/;
  for (const c of [scene.background, ...scene.shapes.map((s) => s.color), ...scene.events.map((e) => e.color)]) {
    if (!colour.test(c)) throw new TypeError(`Cannot render video as a colour is malformed: current value is ${c}`);
  }
}

/**
 * The ffmpeg argument array that renders `scene` as H.264 MP4 into `path` (format forced to mp4, so `path` may
 * have any extension). Bit-exact flags and one thread make the output byte-identical for the same scene.
 */
export function proceduralFfmpegArgs(scene: ProceduralScene, path: string, options: RenderOptions = {}): string[] {
  checkScene(scene);
  const o = withDefaults(DEFAULT_RENDER_OPTIONS, options);
  const duration = num(scene.frames / scene.fps + 1);
  const size = `${scene.width}x${scene.height}`;
  const args = ["-v", "error", "-nostdin", "-y"];
  args.push("-f", "lavfi", "-i", `color=c=${scene.background}:s=${size}:r=${scene.fps}:d=${duration}`);
  for (const s of scene.shapes) {
    args.push("-f", "lavfi", "-i", `color=c=${s.color}:s=${s.width}x${s.height}:r=${scene.fps}:d=${duration}`);
  }
  const chains: string[] = [];
  chains.push(`[0:v]noise=alls=${num(scene.noise)}:allf=t+u:all_seed=${(scene.seed >>> 0) % 2147483647}[s0]`);
  scene.shapes.forEach((s, i) => {
    const span = scene.width + s.width;
    const position = s.dashAt === undefined
      ? `${num(s.x)}+${num(s.vx)}*t`
      : `if(lt(t,${num(s.dashAt)}),${num(s.x)}+${num(s.vx)}*t,${num(s.x)}+${num(s.vx)}*${num(s.dashAt)}+${
        num(s.dashVx ?? 0)
      }*(t-${num(s.dashAt)}))`;
    const x = `mod(${position}+${span * 1000},${span})-${s.width}`;
    const y = `${num(s.y)}+${num(s.bob)}*sin(t*3+${i})`;
    chains.push(`[s${i}][${i + 1}:v]overlay=x='${x}':y='${y}':eval=frame[s${i + 1}]`);
  });
  const draws: string[] = [];
  for (const e of scene.events) {
    const end = num(e.start + e.duration);
    const flicker = e.flickerHz ? `*lt(mod(t*${num(e.flickerHz * 2)},2),1)` : "";
    const enable = `between(t,${num(e.start)},${end})${flicker}`;
    const boxes = e.kind === "flash" ? [[0, 0, scene.width, scene.height]] : (e.boxes ?? []);
    for (const [x, y, w, h] of boxes) {
      draws.push(`drawbox=x=${x}:y=${y}:w=${w}:h=${h}:color=${e.color}:t=fill:enable='${enable}'`);
    }
  }
  const last = `[s${scene.shapes.length}]`;
  chains.push(`${last}${draws.length > 0 ? draws.join(",") : "null"},format=yuv420p[out]`);
  args.push("-filter_complex", chains.join(";"), "-map", "[out]", "-frames:v", String(scene.frames));
  args.push("-c:v", "libx264", "-preset", "veryfast", "-crf", String(o.crf), "-pix_fmt", "yuv420p", "-threads", "1");
  args.push("-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1", "-f", "mp4", path);
  return args;
}

/**
 * Render `scene` to `path` with ffmpeg, atomically: ffmpeg writes a temporary sibling that is renamed over `path`
 * on success and removed on failure. Throws a clear error when ffmpeg is missing or fails (its last stderr lines in
 * the message).
 *
 * @example
 * ```ts ignore
 * await renderProceduralVideo({ width: 160, height: 120, fps: 12, frames: 48, background: "0x8899aa", noise: 8,
 *   seed: 1, shapes: [], events: [] }, "/tmp/demo.mp4");
 * ```
 */
export async function renderProceduralVideo(
  scene: ProceduralScene,
  path: string,
  options: RenderOptions = {},
): Promise<void> {
  const o = withDefaults(DEFAULT_RENDER_OPTIONS, options);
  await runFfmpegToFile((tmp) => proceduralFfmpegArgs(scene, tmp, o), path, {
    ffmpegPath: o.ffmpegPath,
    action: "render video",
    signal: options.signal,
  });
}
