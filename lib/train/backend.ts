/**
 * TensorFlow.js backend selection: `webgpu` (Deno's built-in WebGPU; a real GPU or Mesa's lavapipe), `tensorflow`
 * (tfjs-node(-gpu), only when the user installed it), `wasm` (XNNPACK, optionally multi-threaded), `cpu` (pure JS).
 * `auto` measures a short step on each available backend and keeps the fastest.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { registerTopKGradient } from "./topk.ts";
import { installWasmKernels } from "./_wasm_kernels.ts";
import { ensureXdgRuntimeDir } from "../encode/gpu_env.ts";

/** Backend names accepted by `--backend`. */
export type TrainBackend = "auto" | "webgpu" | "tensorflow" | "wasm" | "cpu";
/** The allowed backend names. */
export const TRAIN_BACKENDS: readonly TrainBackend[] = ["auto", "webgpu", "tensorflow", "wasm", "cpu"];
/** Concrete backends in the order `auto` tries them. */
export const CONCRETE_BACKENDS: readonly Exclude<TrainBackend, "auto">[] = ["tensorflow", "webgpu", "wasm", "cpu"];

/** How to install the optional native backend. */
export const TENSORFLOW_INSTALL_HINT: string =
  "install it next to this project with `deno add npm:@tensorflow/tfjs-node@4.22.0` (or `npm:@tensorflow/tfjs-node-gpu@4.22.0` " +
  "for CUDA) on a machine whose install script can download libtensorflow, and allow its script (`allowScripts` in deno.json)";

/** Options of {@linkcode selectBackend}. */
export interface SelectBackendOptions {
  /**
   * Measures one step on the current backend (called after a warm-up call); used by `auto`.
   * @default {a 1024×768→512→1 MLP training step}
   */
  probe?: () => Promise<void>;
  /**
   * Timed probe repetitions per backend for `auto` (median kept).
   * @default {2}
   */
  probeRepeats?: number;
  /**
   * Folder holding `tfjs-backend-wasm*.wasm`.
   * @default {resolved from node_modules/@tensorflow/tfjs-backend-wasm/dist}
   */
  wasmPath?: string;
  /**
   * Threads for the wasm backend; values above 1 use the threaded build through a Deno shim (experimental).
   * @default {1}
   */
  wasmThreads?: number;
  /**
   * Backends `auto` may consider, in order. `cpu` is measured only when no other backend works.
   * @default {CONCRETE_BACKENDS}
   */
  candidates?: readonly Exclude<TrainBackend, "auto">[];
}

/** Defaults of {@linkcode SelectBackendOptions}. */
export const DEFAULT_SELECT_BACKEND_OPTIONS = {
  probeRepeats: 2,
  wasmThreads: 1,
  candidates: CONCRETE_BACKENDS,
} as const;

/** The backend that runs, and why. */
export interface BackendChoice {
  /** Name of the active TensorFlow.js backend. */
  name: Exclude<TrainBackend, "auto">;
  /** What was asked for. */
  requested: TrainBackend;
  /** Human-readable reason for the choice. */
  reason: string;
  /** Adapter or build details (e.g. WebGPU adapter info, wasm threads). */
  detail: string;
  /** `auto`: median probe milliseconds per backend, or the error text of a backend that failed. */
  probes: Record<string, number | string>;
}

let wasmRegistered = false;
let webgpuRegistered = false;
let tensorflowLoaded = false;
let wasmThreadsActive = 1;
let activeBackend: Exclude<TrainBackend, "auto"> | undefined;

/** The backend last activated through this module, if any. */
export function activeTrainBackend(): Exclude<TrainBackend, "auto"> | undefined {
  return activeBackend;
}

function silenceTfWarnings(): void {
  // tfjs prints a "use tfjs-node" banner and kernel warnings through console.warn unless PROD is set.
  if (!tf.env().getBool("PROD")) tf.enableProdMode();
}

/** Folder of the installed `@tensorflow/tfjs-backend-wasm` `.wasm` files. */
export function defaultWasmPath(): string {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/";
  } catch {
    return fileURLToPath(new URL("../../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url));
  }
}

async function registerWasm(options: SelectBackendOptions): Promise<void> {
  if (wasmRegistered) return;
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const path = options.wasmPath ?? defaultWasmPath();
  try {
    await Deno.stat(join(path, "tfjs-backend-wasm-simd.wasm"));
  } catch {
    throw new Error(
      `Cannot initialise the wasm backend as its .wasm files are missing: current value is ${path} ` +
        "(run `deno install` to populate node_modules)",
    );
  }
  wasm.setWasmPaths(path.endsWith("/") ? path : path + "/");
  const threads = options.wasmThreads ?? 1;
  if (threads > 1) {
    const { installWasmThreadShim } = await import("./_wasm_threads.ts");
    await installWasmThreadShim();
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    wasm.setThreadsCount(threads);
  } else {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  }
  wasmRegistered = true;
}

async function registerWebgpu(): Promise<string> {
  // Mesa's drivers print "XDG_RUNTIME_DIR is invalid or not set" several times per probe without it.
  await ensureXdgRuntimeDir();
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (gpu === undefined) {
    throw new Error(
      "Cannot use the webgpu backend as navigator.gpu is missing in this runtime: current value is undefined",
    );
  }
  const adapter = await gpu.requestAdapter() as {
    info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  } | null;
  if (adapter === null) {
    throw new Error(
      "Cannot use the webgpu backend as no WebGPU adapter is available: current value is null " +
        "(install Vulkan drivers, e.g. apt mesa-vulkan-drivers)",
    );
  }
  if (!webgpuRegistered) {
    await import("@tensorflow/tfjs-backend-webgpu");
    webgpuRegistered = true;
  }
  const info = adapter.info ?? {};
  return [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(" ") || "adapter";
}

/** Which of tfjs-node-gpu / tfjs-node is installed next to this project (never downloads anything). */
export function installedTensorflowPackages(): string[] {
  const require = createRequire(import.meta.url);
  const found: string[] = [];
  for (const name of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      require.resolve(`${name}/package.json`);
      found.push(name);
    } catch {
      // not installed
    }
  }
  return found;
}

async function registerTensorflow(): Promise<void> {
  if (tensorflowLoaded) return;
  const installed = installedTensorflowPackages();
  if (installed.length === 0) {
    throw new Error(
      "Cannot use the tensorflow backend as neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed: " +
        `current value is none. To use it, ${TENSORFLOW_INSTALL_HINT}`,
    );
  }
  const errors: string[] = [];
  for (const name of installed) {
    try {
      // A non-literal specifier: resolved only here, from the installed package, never by `deno check`.
      const specifier = `npm:${name}@4.22.0`;
      await import(specifier);
      tensorflowLoaded = true;
      return;
    } catch (error) {
      errors.push(`${name}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    }
  }
  throw new Error(`Cannot use the tensorflow backend as loading it failed: current value is ${errors.join("; ")}`);
}

/**
 * Make `name` the active TensorFlow.js backend (registering it on first use) and return a description of it.
 * Throws an `Error` that says how to fix it when the backend cannot start.
 */
export async function activateBackend(
  name: Exclude<TrainBackend, "auto">,
  options: SelectBackendOptions = {},
): Promise<string> {
  silenceTfWarnings();
  registerTopKGradient();
  let detail = "";
  if (name === "cpu") {
    await import("@tensorflow/tfjs-backend-cpu");
    detail = "pure JavaScript";
  } else if (name === "wasm") {
    await registerWasm(options);
  } else if (name === "webgpu") {
    detail = await registerWebgpu();
  } else if (name === "tensorflow") {
    await registerTensorflow();
    detail = "libtensorflow";
  } else {
    throw new RangeError(
      `Cannot select backend as it must be one of ${TRAIN_BACKENDS.join(", ")}: current value is ${name}`,
    );
  }
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (error) {
    throw new Error(`Cannot initialise the ${name} backend as it failed to start: current value is ${error}`);
  }
  if (!ok || tf.getBackend() !== name) {
    throw new Error(
      `Cannot initialise the ${name} backend as setBackend returned false: current value is ${tf.getBackend()}`,
    );
  }
  activeBackend = name;
  if (name === "wasm") {
    installWasmKernels();
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    wasmThreadsActive = wasm.getThreadsCount();
    detail = `XNNPACK SIMD, ${wasmThreadsActive} thread(s)`;
  }
  return detail;
}

/** The "why" of a `Cannot … as <why>: current value is …` message (the whole first line otherwise). */
function why(message: string): string {
  return /^Cannot .+? as (.+?): current value is/.exec(message)?.[1] ?? message;
}

async function defaultProbe(): Promise<void> {
  const x = tf.randomUniform([1024, 768], -1, 1, "float32", 1);
  const w1 = tf.tidy(() => tf.variable(tf.randomUniform([768, 512], -0.05, 0.05, "float32", 2)));
  const w2 = tf.tidy(() => tf.variable(tf.randomUniform([512, 1], -0.05, 0.05, "float32", 3)));
  try {
    const { value, grads } = tf.variableGrads(() =>
      tf.mean(tf.sigmoid(tf.matMul(tf.relu(tf.matMul(x, w1)), w2))) as tf.Scalar
    );
    await value.data();
    value.dispose();
    tf.dispose(grads);
  } finally {
    tf.dispose([x, w1, w2]);
  }
}

/**
 * Resolve `requested` to a working backend and activate it. `auto` activates each candidate, times `probe`
 * (median of `probeRepeats` after one warm-up) and keeps the fastest; `cpu` is measured only when nothing else
 * works. The returned record says which backend runs and why; record it in every output.
 *
 * @example
 * ```ts ignore
 * import { selectBackend } from "./backend.ts";
 * const choice = await selectBackend("auto");
 * console.log(choice.name, choice.reason);
 * ```
 */
export async function selectBackend(
  requested: TrainBackend,
  options: SelectBackendOptions = {},
): Promise<BackendChoice> {
  if (!(TRAIN_BACKENDS as readonly string[]).includes(requested)) {
    throw new RangeError(
      `Cannot select backend as it must be one of ${TRAIN_BACKENDS.join(", ")}: current value is ${requested}`,
    );
  }
  if (requested !== "auto") {
    const detail = await activateBackend(requested, options);
    return { name: requested, requested, reason: "requested explicitly", detail, probes: {} };
  }
  const probe = options.probe ?? defaultProbe;
  const repeats = options.probeRepeats ?? DEFAULT_SELECT_BACKEND_OPTIONS.probeRepeats;
  const candidates = options.candidates ?? DEFAULT_SELECT_BACKEND_OPTIONS.candidates;
  const probes: Record<string, number | string> = {};
  const details: Record<string, string> = {};
  const measure = async (name: Exclude<TrainBackend, "auto">) => {
    try {
      details[name] = await activateBackend(name, options);
      await probe();
      const times: number[] = [];
      for (let i = 0; i < repeats; i++) {
        const start = performance.now();
        await probe();
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      probes[name] = Math.round(times[Math.floor((times.length - 1) / 2)] * 10) / 10;
    } catch (error) {
      probes[name] = error instanceof Error ? error.message.split("\n")[0] : String(error);
    }
  };
  for (const name of candidates) if (name !== "cpu") await measure(name);
  let timed = Object.entries(probes).filter(([, v]) => typeof v === "number") as [string, number][];
  if (timed.length === 0 && candidates.includes("cpu")) {
    await measure("cpu");
    timed = Object.entries(probes).filter(([, v]) => typeof v === "number") as [string, number][];
  } else if (candidates.includes("cpu")) {
    probes.cpu = "not measured: the pure-JS backend is used only when no other backend works";
  }
  if (timed.length === 0) {
    throw new Error(`Cannot select a backend as none started: current value is ${JSON.stringify(probes)}`);
  }
  timed.sort((a, b) => a[1] - b[1]);
  const best = timed[0][0] as Exclude<TrainBackend, "auto">;
  await activateBackend(best, options);
  const others = timed.slice(1).map(([n, ms]) => `${n} ${ms} ms`).join(", ");
  const failed = Object.entries(probes).filter(([n, v]) => n !== "cpu" && typeof v === "string");
  const reason = `fastest measured probe step: ${best} ${timed[0][1]} ms` + (others ? ` (vs ${others})` : "") +
    (failed.length > 0 ? `; could not start ${failed.map(([n, v]) => `${n} (${why(String(v))})`).join(", ")}` : "");
  return { name: best, requested, reason, detail: details[best] ?? "", probes };
}
