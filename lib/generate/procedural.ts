/**
 * The `procedural` backend: renders a short clip offline with ffmpeg from the description's elements — background
 * colour and texture from the location, moving shapes for the subject and bystanders, and for anomalous
 * descriptions an abrupt event (flash, flickering burst, sudden dash) chosen by class. A test and demo backend,
 * NOT a generative model: the clips only carry the coarse structure "steady motion" vs "abrupt change".
 * Deterministic: the same pair hash and label give byte-identical files.
 *
 * @module
 */
import type { ProceduralEvent, ProceduralScene, ProceduralShape } from "../video/render.ts";
import { renderProceduralVideo } from "../video/render.ts";
import type { Catalogue } from "../prompts/catalogue.ts";
import { createRandom, hashString, type Random } from "../io/random.ts";
import { withDefaults } from "../io/options.ts";
import type { ProviderStatus, SubmitResult, VideoJobClient, VideoJobRequest } from "./client.ts";

/** Options of {@link createProceduralClient}. */
export interface ProceduralClientOptions {
  /** Frame width (even). @default 160 */
  width?: number;
  /** Frame height (even). @default 120 */
  height?: number;
  /** Frames per second. @default 12 */
  fps?: number;
  /** Frames per clip (48 = three 16-frame clips). @default 48 */
  frames?: number;
  /** Element catalogue resolving the pair's elements (locations tags, subject kinds); optional. @default undefined */
  catalogue?: Catalogue;
  /** ffmpeg executable. @default "ffmpeg" */
  ffmpegPath?: string;
}

/** Defaults of {@link createProceduralClient}. */
export const DEFAULT_PROCEDURAL_CLIENT_OPTIONS = {
  width: 160,
  height: 120,
  fps: 12,
  frames: 48,
  ffmpegPath: "ffmpeg",
} as const;

const TAG_COLOURS: [string, number, number, number][] = [
  ["road", 0x50, 0x54, 0x58],
  ["parking", 0x62, 0x62, 0x66],
  ["retail", 0xc8, 0xb8, 0x98],
  ["bank", 0xb0, 0xa8, 0x90],
  ["transit", 0x88, 0x99, 0xaa],
  ["residential", 0x9a, 0x8a, 0x70],
  ["office", 0xa8, 0xb0, 0xb8],
  ["industrial", 0x70, 0x6a, 0x5a],
  ["public", 0x6a, 0x8a, 0x5a],
  ["street", 0x80, 0x80, 0x78],
];

function hex(r: number, g: number, b: number): string {
  const c = (v: number) => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, "0");
  return `0x${c(r)}${c(g)}${c(b)}`;
}

function background(tags: string[], random: Random): string {
  const base = TAG_COLOURS.find(([tag]) => tags.includes(tag)) ?? ["", 0x80, 0x80, 0x80];
  const jitter = () => (random() - 0.5) * 24;
  return hex(base[1] + jitter(), base[2] + jitter(), base[3] + jitter());
}

function randomColour(random: Random): string {
  return hex(40 + random() * 200, 40 + random() * 200, 40 + random() * 200);
}

/** Build the scene for a request (exported for tests and docs). */
export function proceduralScene(
  request: VideoJobRequest,
  options: ProceduralClientOptions = {},
): ProceduralScene {
  const o = withDefaults(DEFAULT_PROCEDURAL_CLIENT_OPTIONS, options);
  const seed = hashString(`${request.pairHash ?? request.prompt}:${request.label}`);
  const random = createRandom(seed);
  const sceneRandom = createRandom(hashString(request.pairHash ?? request.prompt)); // shared by the pair
  const location = o.catalogue?.locations.find((l) => l.id === request.elements?.location);
  const subject = o.catalogue?.subjects.find((s) => s.id === request.elements?.subject);
  const vehicle = subject?.kind === "vehicle";
  const duration = o.frames / o.fps;
  const { width: W, height: H } = o;
  const shapes: ProceduralShape[] = [];
  const bystanders = 1 + Math.floor(sceneRandom() * 3);
  for (let i = 0; i < bystanders; i++) {
    shapes.push({
      color: randomColour(sceneRandom),
      width: Math.max(2, Math.round(W * 0.04)),
      height: Math.max(4, Math.round(H * 0.12)),
      x: sceneRandom() * W,
      y: H * (0.3 + 0.5 * sceneRandom()),
      vx: (sceneRandom() - 0.5) * W * 0.15,
      bob: 1 + sceneRandom() * 2,
    });
  }
  const main: ProceduralShape = {
    color: randomColour(sceneRandom),
    width: Math.round(vehicle ? W * 0.16 : W * 0.06),
    height: Math.round(vehicle ? H * 0.1 : H * 0.18),
    x: W * 0.2 + sceneRandom() * W * 0.3,
    y: H * (0.45 + 0.25 * sceneRandom()),
    vx: (vehicle ? 0.2 : 0.06) * W * (sceneRandom() < 0.5 ? -1 : 1),
    bob: vehicle ? 0 : 2,
  };
  shapes.push(main);
  const events: ProceduralEvent[] = [];
  if (request.label === "anomalous") {
    const start = duration * (0.35 + 0.3 * random());
    const klass = request.class;
    const burstBoxes = (count: number, size: number): [number, number, number, number][] =>
      Array.from({ length: count }, () => {
        const w = Math.max(2, Math.round(W * size * (0.5 + random())));
        const h = Math.max(2, Math.round(H * size * (0.5 + random())));
        return [Math.round(random() * (W - w)), Math.round(random() * (H - h)), w & ~1, h & ~1] as [
          number,
          number,
          number,
          number,
        ];
      });
    const dash = () => {
      main.dashAt = start;
      main.dashVx = (main.vx >= 0 ? 1 : -1) * W * (0.8 + random());
    };
    if (klass === "Explosion") {
      events.push({ kind: "flash", start, duration: 0.25, color: "white@0.9" });
      events.push({
        kind: "burst",
        start,
        duration: duration - start,
        color: "0xff7a00@0.9",
        boxes: burstBoxes(5, 0.2),
        flickerHz: 6,
      });
    } else if (klass === "Arson") {
      events.push({
        kind: "burst",
        start,
        duration: duration - start,
        color: "0xff4a00@0.85",
        boxes: burstBoxes(4, 0.15),
        flickerHz: 5,
      });
    } else if (klass === "Shooting") {
      for (let k = 0; k < 3; k++) {
        events.push({ kind: "flash", start: start + k * 0.35, duration: 0.08, color: "white@0.8" });
      }
      dash();
    } else if (klass === "Arrest") {
      events.push({
        kind: "burst",
        start,
        duration: duration - start,
        color: "0x2040ff@0.8",
        boxes: burstBoxes(2, 0.12),
        flickerHz: 3,
      });
      events.push({
        kind: "burst",
        start: start + 0.15,
        duration: duration - start - 0.15,
        color: "0xff2020@0.8",
        boxes: burstBoxes(2, 0.12),
        flickerHz: 3,
      });
    } else if (klass === "RoadAccidents" || klass === "WrongWayDriving") {
      dash();
      events.push({ kind: "flash", start: start + 0.3, duration: 0.15, color: "0xffffff@0.6" });
      events.push({
        kind: "burst",
        start: start + 0.3,
        duration: duration - start - 0.3,
        color: "0x303030@0.8",
        boxes: burstBoxes(3, 0.1),
      });
    } else if (klass === "Vandalism" || klass === "Burglary") {
      dash();
      events.push({
        kind: "burst",
        start,
        duration: duration - start,
        color: "0xd0d0d0@0.7",
        boxes: burstBoxes(6, 0.06),
        flickerHz: 8,
      });
    } else {
      // Abuse, Assault, Fighting, Robbery, Stealing, Shoplifting, Collapse, ...: abrupt motion and a short flicker
      dash();
      events.push({
        kind: "burst",
        start,
        duration: 0.6,
        color: "0xffffff@0.5",
        boxes: burstBoxes(2, 0.15),
        flickerHz: 10,
      });
    }
  }
  return {
    width: W,
    height: H,
    fps: o.fps,
    frames: o.frames,
    background: background(location?.tags ?? [], sceneRandom),
    noise: 4 + Math.round(sceneRandom() * 8),
    seed,
    shapes,
    events,
  };
}

/**
 * Create the offline procedural client: submission is instant (provider id derived from the job), polling reports
 * success at once, and the "download" renders the clip with ffmpeg.
 *
 * @example
 * ```ts ignore
 * const client = createProceduralClient({ catalogue: await loadCatalogue() });
 * ```
 */
export function createProceduralClient(options: ProceduralClientOptions = {}): VideoJobClient {
  const o = withDefaults(DEFAULT_PROCEDURAL_CLIENT_OPTIONS, options);
  return {
    backend: "procedural",
    model: `procedural-${o.width}x${o.height}-${o.fps}fps-${o.frames}f`,
    submit(request: VideoJobRequest): Promise<SubmitResult> {
      return Promise.resolve({ providerId: `procedural-${request.jobId}` });
    },
    poll(): Promise<ProviderStatus> {
      return Promise.resolve({ state: "succeeded" });
    },
    async download(_providerId, _status, path, request, signal): Promise<number> {
      await renderProceduralVideo(proceduralScene(request, o), path, { ffmpegPath: o.ffmpegPath, signal });
      return (await Deno.stat(path)).size;
    },
  };
}
