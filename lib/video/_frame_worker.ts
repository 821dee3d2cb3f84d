/**
 * Worker body for {@link frameBatchesInWorker}: runs `frameBatches()` and posts its events, transferring pixel
 * buffers; at most `prefetch` batches are in flight (the main thread returns a credit per consumed batch).
 * @module
 */
import { frameBatches, type FrameBatchOptions, type FrameBatchVideo } from "./frame_batches.ts";

interface StartMessage {
  type: "start";
  videos: FrameBatchVideo[];
  options: FrameBatchOptions;
  prefetch: number;
}

const scope = self as unknown as {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
};

let credits = 0;
let wake: (() => void) | undefined;
let stopped = false;
const abort = new AbortController();

async function run(message: StartMessage): Promise<void> {
  credits = message.prefetch;
  const events = frameBatches(message.videos, { ...message.options, signal: abort.signal });
  try {
    for await (const event of events) {
      if (stopped) break;
      if (event.type === "batch") {
        while (credits <= 0 && !stopped) await new Promise<void>((resolve) => wake = resolve);
        if (stopped) break;
        credits--;
        scope.postMessage(event, [event.pixels.buffer as ArrayBuffer]);
      } else {
        scope.postMessage(event);
      }
    }
  } catch (error) {
    scope.postMessage({ type: "fatal", name: (error as Error).name, message: (error as Error).message });
  } finally {
    await events.return(undefined);
    scope.postMessage({ type: "done" });
  }
}

scope.onmessage = (event: MessageEvent) => {
  const data = event.data as StartMessage | { type: "credit" } | { type: "stop" };
  if (data.type === "start") {
    run(data);
  } else if (data.type === "credit") {
    credits++;
    wake?.();
  } else if (data.type === "stop") {
    stopped = true;
    abort.abort();
    wake?.();
  }
};
