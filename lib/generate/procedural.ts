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
  const { shapes, main } = sceneShapes(sceneRandom, o.width, o.height, subject?.kind === "vehicle");
  const events = request.label === "anomalous"
    ? anomalyEvents(request.class, main, random, o.width, o.height, o.frames / o.fps)
    : [];
  return {
    width: o.width,
    height: o.height,
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
 * The moving shapes of a `W × H` scene, drawn from the pair's random stream: one to three bystanders, then the main
 * subject (a wider, faster box for a vehicle), which is also returned on its own.
 */
function sceneShapes(
  sceneRandom: Random,
  W: number,
  H: number,
  vehicle: boolean,
): { shapes: ProceduralShape[]; main: ProceduralShape } {
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
  return { shapes, main };
}

/** What an anomaly's events are built from; `boxes` and `dash` draw from the label's random stream, in call order. */
interface AnomalyContext {
  /** When the anomaly starts, in seconds. */
  start: number;
  /** Length of the clip, in seconds. */
  duration: number;
  /** `count` random boxes `[x, y, w, h]` (even sides) of about `size` of the frame. */
  boxes(count: number, size: number): [number, number, number, number][];
  /** Makes the main subject dash away at `start`. */
  dash(): void;
}

/** Abuse, Assault, Fighting, Robbery, Stealing, Shoplifting, Collapse, ...: abrupt motion and a short flicker. */
function abruptMotion(a: AnomalyContext): ProceduralEvent[] {
  a.dash();
  return [{
    kind: "burst",
    start: a.start,
    duration: 0.6,
    color: "0xffffff@0.5",
    boxes: a.boxes(2, 0.15),
    flickerHz: 10,
  }];
}

/** A crash: the subject dashes, then a flash and lingering debris. */
function crash(a: AnomalyContext): ProceduralEvent[] {
  a.dash();
  return [
    { kind: "flash", start: a.start + 0.3, duration: 0.15, color: "0xffffff@0.6" },
    {
      kind: "burst",
      start: a.start + 0.3,
      duration: a.duration - a.start - 0.3,
      color: "0x303030@0.8",
      boxes: a.boxes(3, 0.1),
    },
  ];
}

/** Damage: the subject dashes while small pale boxes flicker. */
function damage(a: AnomalyContext): ProceduralEvent[] {
  a.dash();
  return [{
    kind: "burst",
    start: a.start,
    duration: a.duration - a.start,
    color: "0xd0d0d0@0.7",
    boxes: a.boxes(6, 0.06),
    flickerHz: 8,
  }];
}

/** The events of each anomaly class with its own look; other classes get {@link abruptMotion}. */
const CLASS_EVENTS: ReadonlyMap<string, (a: AnomalyContext) => ProceduralEvent[]> = new Map([
  ["Explosion", (a: AnomalyContext): ProceduralEvent[] => [
    { kind: "flash", start: a.start, duration: 0.25, color: "white@0.9" },
    {
      kind: "burst",
      start: a.start,
      duration: a.duration - a.start,
      color: "0xff7a00@0.9",
      boxes: a.boxes(5, 0.2),
      flickerHz: 6,
    },
  ]],
  ["Arson", (a: AnomalyContext): ProceduralEvent[] => [{
    kind: "burst",
    start: a.start,
    duration: a.duration - a.start,
    color: "0xff4a00@0.85",
    boxes: a.boxes(4, 0.15),
    flickerHz: 5,
  }]],
  ["Shooting", (a: AnomalyContext): ProceduralEvent[] => {
    const shots: ProceduralEvent[] = [];
    for (let k = 0; k < 3; k++) {
      shots.push({ kind: "flash", start: a.start + k * 0.35, duration: 0.08, color: "white@0.8" });
    }
    a.dash();
    return shots;
  }],
  ["Arrest", (a: AnomalyContext): ProceduralEvent[] => [
    {
      kind: "burst",
      start: a.start,
      duration: a.duration - a.start,
      color: "0x2040ff@0.8",
      boxes: a.boxes(2, 0.12),
      flickerHz: 3,
    },
    {
      kind: "burst",
      start: a.start + 0.15,
      duration: a.duration - a.start - 0.15,
      color: "0xff2020@0.8",
      boxes: a.boxes(2, 0.12),
      flickerHz: 3,
    },
  ]],
  ["RoadAccidents", crash],
  ["WrongWayDriving", crash],
  ["Vandalism", damage],
  ["Burglary", damage],
]);

/**
 * The abrupt events of an anomalous clip of class `klass` in a `W × H` scene lasting `duration` seconds, drawn from
 * the label's random stream (the start first); some classes make `main` dash away.
 */
function anomalyEvents(
  klass: string,
  main: ProceduralShape,
  random: Random,
  W: number,
  H: number,
  duration: number,
): ProceduralEvent[] {
  const start = duration * (0.35 + 0.3 * random());
  const context: AnomalyContext = {
    start,
    duration,
    boxes: (count, size) =>
      Array.from({ length: count }, () => {
        const w = Math.max(2, Math.round(W * size * (0.5 + random())));
        const h = Math.max(2, Math.round(H * size * (0.5 + random())));
        return [Math.round(random() * (W - w)), Math.round(random() * (H - h)), w & ~1, h & ~1] as [
          number,
          number,
          number,
          number,
        ];
      }),
    dash: () => {
      main.dashAt = start;
      main.dashVx = (main.vx >= 0 ? 1 : -1) * W * (0.8 + random());
    },
  };
  return (CLASS_EVENTS.get(klass) ?? abruptMotion)(context);
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
