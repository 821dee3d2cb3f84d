/**
 * `VideoProgress` — progress of a task that works through videos frame by frame (extract, infer): the video being
 * processed, frames done out of its expected count, frames per second, and the time left for that video and for all
 * of them. Redraws in place on a terminal (at most a few times a second), prints an occasional plain line otherwise.
 *
 * @module
 */
import { formatDuration } from "./progress.ts";

/** Options of {@linkcode VideoProgress}. */
export interface VideoProgressOptions {
  /**
   * Sink for the text.
   * @default {writes to stderr}
   */
  write?: (s: string) => void;
  /**
   * Redraw one line in place with `\r` (terminal). Defaults to whether stderr is a terminal (false when `write` is
   * given).
   * @default {Deno.stderr.isTerminal()}
   */
  isTerminal?: boolean;
  /**
   * Minimum milliseconds between terminal redraws.
   * @default {250}
   */
  redrawIntervalMs?: number;
  /**
   * Minimum milliseconds between plain lines when not on a terminal.
   * @default {10000}
   */
  lineIntervalMs?: number;
  /**
   * Clock in milliseconds (injectable for tests).
   * @default {performance.now}
   */
  now?: () => number;
}

/** Defaults of {@linkcode VideoProgressOptions}. */
export const DEFAULT_VIDEO_PROGRESS_OPTIONS = { redrawIntervalMs: 250, lineIntervalMs: 10_000 } as const;

/**
 * The events {@linkcode VideoProgress} reads; `extractFeatures()`'s `onProgress` events (lib/encode) have this
 * shape: `plan` (videos to do), `start` of a video (its expected frame count when known), `frames` (frames of the
 * video done so far), `video` (a video written, failed or skipped).
 */
export type VideoProgressEvent =
  | { type: "plan"; todo: number }
  | { type: "start"; id: string; expectedFrames?: number }
  | { type: "frames"; frames: number; id: string; decoded: number; expectedFrames?: number }
  | { type: "video"; id: string; status: string };

function writeStderr(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
}

function rateText(rate: number): string {
  return rate >= 10 ? rate.toFixed(0) : rate.toFixed(1);
}

/**
 * Progress over the videos of one run, by frames within each video.
 *
 * @example
 * ```ts
 * import { VideoProgress } from "./video_progress.ts";
 * const lines: string[] = [];
 * const progress = new VideoProgress("extract", { write: (s) => lines.push(s), lineIntervalMs: 0 });
 * progress.update({ type: "plan", todo: 1 });
 * progress.update({ type: "start", id: "cam1", expectedFrames: 3180 });
 * progress.update({ type: "frames", frames: 320, id: "cam1", decoded: 320, expectedFrames: 3180 });
 * // lines[0]: "extract 0/1 videos · cam1 320/3180 frames (10.1%) · … frames/s · eta …"
 * progress.done();
 * ```
 */
export class VideoProgress {
  #label: string;
  #write: (s: string) => void;
  #terminal: boolean;
  #redrawMs: number;
  #lineMs: number;
  #now: () => number;
  #todo = 0;
  #finished = 0;
  #failed = 0;
  #frames = 0;
  #current: { id: string; decoded: number; expected?: number } | undefined;
  #started: number | undefined;
  #lastDraw: number;
  #closed = false;

  /** A reporter whose lines start with `label` (e.g. the task's name). */
  constructor(label: string, options: VideoProgressOptions = {}) {
    this.#label = label;
    this.#write = options.write ?? writeStderr;
    this.#terminal = options.isTerminal ?? (options.write === undefined && Deno.stderr.isTerminal());
    this.#redrawMs = options.redrawIntervalMs ?? DEFAULT_VIDEO_PROGRESS_OPTIONS.redrawIntervalMs;
    this.#lineMs = options.lineIntervalMs ?? DEFAULT_VIDEO_PROGRESS_OPTIONS.lineIntervalMs;
    this.#now = options.now ?? (() => performance.now());
    this.#lastDraw = this.#terminal ? -Infinity : this.#now();
  }

  /** Frames done so far, over all videos. */
  get frames(): number {
    return this.#frames;
  }

  /**
   * Takes one event; draws when the throttle allows. The summary line follows the last planned video; a later `plan`
   * starts a new display (e.g. the next video of a folder, each extracted on its own).
   */
  update(event: VideoProgressEvent): void {
    if (event.type === "plan") {
      this.#reset(event.todo);
      return;
    }
    if (this.#closed) return;
    if (event.type === "start") {
      this.#started ??= this.#now();
      this.#current = { id: event.id, decoded: 0, expected: event.expectedFrames };
    } else if (event.type === "frames") {
      this.#started ??= this.#now();
      this.#frames += event.frames;
      this.#current = { id: event.id, decoded: event.decoded, expected: event.expectedFrames };
    } else if (event.status === "skipped") {
      return;
    } else {
      this.#finished++;
      if (event.status === "failed") this.#failed++;
      if (this.#current?.id === event.id) this.#current = undefined;
      if (this.#finished >= this.#todo) {
        this.done();
        return;
      }
    }
    this.#draw();
  }

  #reset(todo: number): void {
    if (!this.#closed && (this.#todo > 0 || this.#frames > 0)) this.done();
    this.#todo = todo;
    this.#finished = 0;
    this.#failed = 0;
    this.#frames = 0;
    this.#current = undefined;
    this.#started = undefined;
    this.#closed = false;
    this.#lastDraw = this.#terminal ? -Infinity : this.#now();
  }

  #text(): string {
    const now = this.#now();
    const elapsed = this.#started === undefined ? 0 : (now - this.#started) / 1000;
    const rate = elapsed > 0 ? this.#frames / elapsed : 0;
    const parts = [
      `${this.#label} ${this.#finished}/${this.#todo} videos${this.#failed > 0 ? ` (${this.#failed} failed)` : ""}`,
    ];
    let fraction = 0;
    const c = this.#current;
    if (c !== undefined) {
      if (c.expected !== undefined && c.expected > 0 && c.decoded <= c.expected) {
        fraction = c.decoded / c.expected;
        parts.push(`${c.id} ${c.decoded}/${c.expected} frames (${(100 * fraction).toFixed(1)}%)`);
      } else {
        parts.push(`${c.id} ${c.decoded} frames`);
      }
    }
    parts.push(`${rateText(rate)} frames/s`);
    const etas: string[] = [];
    if (c?.expected !== undefined && rate > 0 && c.decoded <= c.expected) {
      etas.push(`${formatDuration((c.expected - c.decoded) / rate)}${this.#todo > 1 ? " this video" : ""}`);
    }
    const overall = this.#todo > 0 ? (this.#finished + fraction) / this.#todo : 0;
    if (this.#todo > 1 && overall > 0 && overall < 1) {
      etas.push(`${formatDuration((elapsed * (1 - overall)) / overall)} all`);
    }
    if (etas.length > 0) parts.push(`eta ${etas.join(", ")}`);
    return parts.join(" · ");
  }

  #draw(): void {
    const now = this.#now();
    if (this.#terminal) {
      if (now - this.#lastDraw < this.#redrawMs) return;
      this.#lastDraw = now;
      this.#write(`\r\x1b[2K${this.#text()}`);
      return;
    }
    if (now - this.#lastDraw < this.#lineMs) return;
    this.#lastDraw = now;
    this.#write(`${this.#text()}\n`);
  }

  /**
   * Ends the display with a summary line (videos, frames, time, rate); nothing when no video was to do, or when the
   * last planned video already ended it.
   */
  done(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#todo === 0 && this.#frames === 0) return;
    const elapsed = this.#started === undefined ? 0 : (this.#now() - this.#started) / 1000;
    const rate = elapsed > 0 ? this.#frames / elapsed : 0;
    this.#write(
      `${this.#terminal ? "\r\x1b[2K" : ""}${this.#label} ${this.#finished}/${this.#todo} videos` +
        `${this.#failed > 0 ? ` (${this.#failed} failed)` : ""} · ${this.#frames} frames in ` +
        `${formatDuration(elapsed)} (${rateText(rate)} frames/s)\n`,
    );
  }
}
