/**
 * Progress of `extractFeatures()`: the {@link ExtractProgress} events, and the frame progress — which video started
 * (and how many frames it should have), and how far the encoder has come in it, as `start` and `frames` events for
 * the caller's `onProgress`.
 * @module
 */
import type { VideoProbe } from "../video/probe.ts";
import type { ExecutionProvider } from "./session.ts";

/**
 * Progress events of `extractFeatures()`: `plan` once the encoder is loaded; per video to extract `start` (when
 * its decoding starts), `frames` (after each encoder batch: frames done in it so far, out of about
 * `expectedFrames`), and `video` when it is written or failed (skipped videos get only `video`).
 */
export type ExtractProgress =
  | {
    type: "plan";
    videos: number;
    todo: number;
    skipped: number;
    provider: ExecutionProvider;
  }
  | { type: "start"; id: string; expectedFrames?: number }
  | { type: "frames"; frames: number; id: string; decoded: number; expectedFrames?: number }
  | { type: "video"; id: string; status: "ok" | "failed" | "skipped"; frames?: number; clips?: number; error?: string };

/**
 * Frames a video should decode to: the container's count (resampled to `fps` when given, from the duration or the
 * native rate); undefined when the container says nothing. An estimate for progress only (the decoded count is the
 * truth).
 */
export function expectedFrames(probe: VideoProbe, fps: number | undefined): number | undefined {
  if (fps === undefined) return probe.frames;
  if (probe.durationS !== undefined && probe.durationS > 0) return Math.round(probe.durationS * fps);
  if (probe.frames !== undefined && probe.fps > 0) return Math.round((probe.frames * fps) / probe.fps);
  return undefined;
}

/** Tracks frames per video (by the caller's index) and reports them through `emit`. */
export class FrameProgress {
  #decoded = new Map<number, number>();
  #expected = new Map<number, number | undefined>();
  #total = 0;
  readonly #id: (video: number) => string;
  readonly #emit?: (event: ExtractProgress) => void;

  /** `id` names a video by its index; `emit` receives the events (none when undefined). */
  constructor(id: (video: number) => string, emit?: (event: ExtractProgress) => void) {
    this.#id = id;
    this.#emit = emit;
  }

  /** Frames decoded (and encoded or queued) in this run, over all videos. */
  get total(): number {
    return this.#total;
  }

  /** A video started decoding. */
  start(video: number, probe: VideoProbe, fps: number | undefined): void {
    const expected = expectedFrames(probe, fps);
    this.#expected.set(video, expected);
    this.#emit?.({ type: "start", id: this.#id(video), expectedFrames: expected });
  }

  /** `decoded` frames of `video` are done so far (counts that do not grow are ignored). */
  frames(video: number, decoded: number): void {
    const delta = decoded - (this.#decoded.get(video) ?? 0);
    if (delta <= 0) return;
    this.#decoded.set(video, decoded);
    this.#total += delta;
    this.#emit?.({
      type: "frames",
      frames: delta,
      id: this.#id(video),
      decoded,
      expectedFrames: this.#expected.get(video),
    });
  }
}
