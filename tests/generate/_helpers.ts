/**
 * Shared helpers of the generation tests.
 * @module
 */
import type { PromptPair } from "../../lib/prompts/synthesize.ts";
import {
  type GenerateEvent,
  type GenerateResult,
  generateVideos,
  type GenerateVideosOptions,
} from "../../lib/generate/generate.ts";
import type { VideoProbe } from "../../lib/video/probe.ts";
import type { VideoServer } from "../_servers/video_servers.ts";
import { withTempDir as withSharedTempDir } from "../_helpers/temp.ts";

/** Hand-made pairs (network backends ignore the elements). */
export function makePairs(count: number): PromptPair[] {
  return Array.from({ length: count }, (_, i) => ({
    pairId: `pair-${String(i).padStart(4, "0")}`,
    elements: { viewpoint: "pole_cctv", location: "city_street", subject: "man_hoodie", event: "assault_punch" },
    anomalous: `From a pole camera on a city sidewalk, a man suddenly attacks a passer-by (scene ${i}).`,
    normal: `From a pole camera on a city sidewalk, a man walks calmly past the shops (scene ${i}).`,
    class: "Assault",
    backend: "template",
    model: null,
    temperature: null,
    seed: 0,
    promptVersion: "v1",
    hash: `${i}`.padStart(64, "0"),
  }));
}

/** Fast retry/poll settings for tests (generous timeouts for a loaded machine). */
export const FAST: Partial<GenerateVideosOptions> = {
  baseDelayMs: 5,
  maxDelayMs: 40,
  jitter: 0,
  pollIntervalMs: 5,
  requestTimeoutMs: 20_000,
  downloadTimeoutMs: 20_000,
  minFrames: 16,
  concurrency: 3,
};

/**
 * A sleep that waits for nothing and records every wait asked of it (in ms), to assert backoff and Retry-After
 * delays without spending them; it still rejects when its signal has aborted.
 */
export function recordingSleep(): {
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  waits: number[];
} {
  const waits: number[] = [];
  const sleep = (ms: number, signal?: AbortSignal) => {
    waits.push(ms);
    return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve();
  };
  return { sleep, waits };
}

/** Run `fn` with a temporary folder removed afterwards. */
export function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  return withSharedTempDir(fn, "gvvad-generate-test-");
}

/** Every file's text under `dir`, recursively (binary files included as latin1). */
export async function allText(dir: string): Promise<string> {
  let text = "";
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) text += await allText(path);
    else text += new TextDecoder("latin1").decode(await Deno.readFile(path));
  }
  return text;
}

/** Run `fn` with `server`, closed afterwards whatever happens. */
export async function withServer<T>(server: VideoServer, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    await server.close();
  }
}

/** Run `fn` with `server` and a temporary folder; the folder is removed and the server closed afterwards. */
export function withServerDir<T>(server: VideoServer, fn: (dir: string) => Promise<T>): Promise<T> {
  return withServer(server, () => withTempDir(fn));
}

/** Options of a network backend talking to `server`: {@linkcode FAST} settings overridden by `options`. */
export function clientOptions<O extends Partial<GenerateVideosOptions> & { outDir: string }>(
  server: VideoServer,
  options: O,
): typeof FAST & O & { baseUrl: string } {
  return { ...FAST, ...options, baseUrl: server.baseUrl };
}

/** {@linkcode generateVideos} with every event collected. */
export async function generateWithEvents(
  pairs: PromptPair[],
  options: GenerateVideosOptions,
): Promise<{ result: GenerateResult; events: GenerateEvent[] }> {
  const events: GenerateEvent[] = [];
  const result = await generateVideos(pairs, { ...options, onEvent: (e) => events.push(e) });
  return { result, events };
}

/** Stands in for ffprobe: a 64×48, 8 fps, 16-frame H.264 clip, without spawning anything. */
export function stubProbe(path: string): Promise<VideoProbe> {
  return Promise.resolve({
    path,
    width: 64,
    height: 48,
    fps: 8,
    fpsFraction: "8/1",
    frames: 16,
    framesCounted: false,
    codec: "h264",
    pixelFormat: "yuv420p",
    rotation: 0,
    videoStreams: 1,
  });
}
