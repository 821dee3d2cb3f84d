/**
 * `frameBatchesInWorker()` — {@link frameBatches} in a Web Worker, so decoding and preprocessing the next frames
 * (and the next video) run on another core while the caller encodes the current batch.
 * @module
 */
import type { FrameBatchOptions, FrameBatchVideo, FrameEvent } from "./frame_batches.ts";

/** Options of {@link frameBatchesInWorker}. */
export interface WorkerFrameBatchOptions extends Omit<FrameBatchOptions, "signal"> {
  /**
   * Batches decoded ahead of the consumer (bounds memory: prefetch × batch size × 602 KB at 224 px).
   * @default 2
   */
  prefetch?: number;
}

/** Defaults of {@link WorkerFrameBatchOptions} (besides {@link FrameBatchOptions}'). */
export const DEFAULT_WORKER_FRAME_BATCH_OPTIONS: Readonly<{ prefetch: number }> = Object.freeze({ prefetch: 2 });

/**
 * Same events as {@link frameBatches}, produced in a worker. Ending the loop early (break, throw) stops the worker
 * and kills its ffmpeg.
 *
 * @example
 * ```ts
 * for await (const event of frameBatchesInWorker([{ path: "fixtures/videos/car-3s.mp4", video: 0 }])) {
 *   if (event.type === "batch") console.log(event.count);
 * }
 * ```
 */
export async function* frameBatchesInWorker(
  videos: Iterable<FrameBatchVideo>,
  options: WorkerFrameBatchOptions = {},
): AsyncGenerator<FrameEvent> {
  const { prefetch = DEFAULT_WORKER_FRAME_BATCH_OPTIONS.prefetch, ...batchOptions } = options;
  if (!Number.isInteger(prefetch) || prefetch < 1) {
    throw new RangeError(
      `Cannot start frame worker as prefetch must be a positive integer: current value is ${prefetch}`,
    );
  }
  const worker = new Worker(new URL("./_frame_worker.ts", import.meta.url), { type: "module" });
  const queue: (FrameEvent | { type: "done" } | { type: "fatal"; name: string; message: string })[] = [];
  let notify: (() => void) | undefined;
  let failure: Error | undefined;
  let done = false;
  worker.onmessage = (event: MessageEvent) => {
    queue.push(event.data);
    notify?.();
  };
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    failure = new Error(`Cannot decode videos as the frame worker failed: current value is ${event.message}`);
    notify?.();
  };
  worker.postMessage({ type: "start", videos: [...videos], options: batchOptions, prefetch });
  try {
    while (true) {
      while (queue.length === 0 && !failure) await new Promise<void>((resolve) => notify = resolve);
      if (failure) throw failure;
      const message = queue.shift()!;
      if (message.type === "done") {
        done = true;
        return;
      }
      if (message.type === "fatal") {
        // Not done yet: `finally` waits for the worker's "done", sent once its ffmpeg is stopped.
        throw new Error(
          `Cannot decode videos as the frame worker failed: current value is ${message.name}: ${message.message}`,
        );
      }
      if (message.type === "batch") worker.postMessage({ type: "credit" });
      yield message;
    }
  } finally {
    if (!done && !failure) {
      worker.postMessage({ type: "stop" });
      // Wait for the worker to kill ffmpeg and say it is done.
      while (!failure) {
        while (queue.length === 0 && !failure) await new Promise<void>((resolve) => notify = resolve);
        if (queue.shift()?.type === "done") break;
      }
    }
    worker.terminate();
  }
}
