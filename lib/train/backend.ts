/**
 * TensorFlow.js backend selection: `webgpu` (Deno's built-in WebGPU; a real GPU or Mesa's lavapipe), `tensorflow`
 * (tfjs-node(-gpu), only when the user installed it), `wasm` (XNNPACK, optionally multi-threaded), `cpu` (pure JS).
 * `auto` measures a short step on each available backend and keeps the fastest whose probe finished with finite
 * values.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { registerTopKGradient } from "./topk.ts";
import { installWasmHeapGuard, installWasmKernels, wasmHeapMiB } from "./_wasm_kernels.ts";
import { type Blas, openBlas, useBlasForWasmMatMul } from "./_blas.ts";

export { wasmHeapMiB };
import { ensureXdgRuntimeDir } from "../encode/gpu_env.ts";

/** Backend names accepted by `--backend`. */
export type TrainBackend = "auto" | "webgpu" | "tensorflow" | "wasm" | "cpu";
/** The allowed backend names. */
export const TRAIN_BACKENDS: readonly TrainBackend[] = ["auto", "webgpu", "tensorflow", "wasm", "cpu"];
/** A backend that runs (every name but `auto`). */
export type ConcreteBackend = Exclude<TrainBackend, "auto">;
/** Concrete backends in the order `auto` tries them. */
export const CONCRETE_BACKENDS: readonly ConcreteBackend[] = ["tensorflow", "webgpu", "wasm", "cpu"];

/** What a probe step reports back to `auto` (besides its time). */
export interface ProbeOutcome {
  /** The step's loss: a non-finite value disqualifies the backend. */
  loss?: number;
  /** False when any other value of the step (scores, gradients, updated parameters) was not finite. */
  finite?: boolean;
  /** A short note on how this backend would train (e.g. its micro-batches), quoted in the reason. */
  note?: string;
}

/** How to install the optional native backend. */
export const TENSORFLOW_INSTALL_HINT: string =
  "install it next to this project with `deno add npm:@tensorflow/tfjs-node@4.22.0` (or `npm:@tensorflow/tfjs-node-gpu@4.22.0` " +
  "for CUDA) on a machine whose install script can download libtensorflow, and allow its script (`allowScripts` in deno.json)";

/** Options of {@linkcode selectBackend}. */
export interface SelectBackendOptions {
  /**
   * Runs one step on the backend just activated (called once as a warm-up, then timed); used by `auto`. It may
   * throw (the backend is then skipped, with the message) and should return the step's loss: a probe whose loss or
   * `finite` flag says a value was NaN or infinite disqualifies the backend.
   * @default {a 1024×768→512→1 MLP training step}
   */
  probe?: (backend: ConcreteBackend) => Promise<void | ProbeOutcome>;
  /**
   * What the probe runs (e.g. "rtfm, D 4096, 32 segments, 1 crop, 8+8 videos"), quoted in the reason.
   * @default {""}
   */
  probeLabel?: string;
  /**
   * Timed probe repetitions per backend for `auto` (median kept), after one warm-up run; none for the last backend
   * when nothing was timed before it (its warm-up time stands: there is nothing to compare it with).
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
   * Native BLAS for the wasm backend's matrix products: `auto` (the system's OpenBLAS when it loads, else XNNPACK),
   * `off` (XNNPACK), or the file name or path of a CBLAS library (required: failing to load it is an error).
   * @default {"auto"}
   */
  blas?: string;
  /** Threads of the native BLAS. @default {the logical cores} */
  blasThreads?: number;
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
  blas: "auto",
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
/** The message of a wasm abort seen in this process: the Emscripten module cannot run again after one. */
let wasmAbort: string | undefined;

/**
 * Whether `error` is an Emscripten abort of the wasm backend (`RuntimeError: Aborted()`, e.g. an allocation inside
 * a kernel that the full heap refused).
 */
export function isWasmAbort(error: unknown): boolean {
  return error instanceof Error && /^(RuntimeError: )?Aborted\(/.test(error.message);
}

/** Record that the wasm module aborted: later activations of `wasm` in this process fail with a clear message. */
export function noteWasmAbort(error: unknown): void {
  if (isWasmAbort(error)) wasmAbort ??= (error as Error).message.split("\n")[0];
}

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

/** The WebGPU adapter this runtime offers. */
export interface WebgpuAdapterInfo {
  /** Vendor, architecture, device and description, as one string. */
  description: string;
  /** A software implementation (Mesa's lavapipe/llvmpipe, SwiftShader): `GPUAdapterInfo.isFallbackAdapter`. */
  fallback: boolean;
  /** The adapter's largest storage-buffer binding, in bytes (tfjs asks its device for this limit). */
  maxStorageBufferBindingSize: number;
}

type AdapterLike = {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
  limits?: { maxStorageBufferBindingSize?: number };
};

/**
 * The WebGPU adapter (without starting the tfjs backend); throws an `Error` that says how to get one when there is
 * none.
 */
export async function webgpuAdapter(): Promise<WebgpuAdapterInfo> {
  // Mesa's drivers print "XDG_RUNTIME_DIR is invalid or not set" several times per probe without it.
  await ensureXdgRuntimeDir();
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (gpu === undefined) {
    throw new Error(
      "Cannot use the webgpu backend as navigator.gpu is missing in this runtime: current value is undefined",
    );
  }
  const adapter = await gpu.requestAdapter() as AdapterLike | null;
  if (adapter === null) {
    throw new Error(
      "Cannot use the webgpu backend as no WebGPU adapter is available: current value is null " +
        "(install Vulkan drivers, e.g. apt mesa-vulkan-drivers)",
    );
  }
  const info = adapter.info ?? {};
  return {
    description: [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(" ") ||
      "adapter",
    fallback: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false,
    maxStorageBufferBindingSize: adapter.limits?.maxStorageBufferBindingSize ?? 134217728,
  };
}

async function registerWebgpu(): Promise<string> {
  const adapter = await webgpuAdapter();
  if (!webgpuRegistered) {
    await import("@tensorflow/tfjs-backend-webgpu");
    webgpuRegistered = true;
  }
  return adapter.description + (adapter.fallback ? " (software fallback adapter)" : "");
}

/**
 * The largest buffer one tensor may occupy on the active backend, in bytes: the webgpu device's
 * `maxStorageBufferBindingSize` (a larger tensor cannot be bound to a shader: tfjs 4.22 then computes garbage);
 * undefined on the other backends (wasm is bounded by its heap instead, see memory_plan.ts).
 */
export function backendTensorLimit(): number | undefined {
  if (tf.getBackend() !== "webgpu") return undefined;
  const device = (tf.backend() as unknown as { device?: { limits?: { maxStorageBufferBindingSize?: number } } })
    .device;
  return device?.limits?.maxStorageBufferBindingSize;
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
    if (wasmAbort !== undefined) {
      throw new Error(
        `Cannot use the wasm backend as its module aborted earlier in this process and cannot run again: current value is ${wasmAbort}`,
      );
    }
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
    if (name === "wasm" && (options.wasmThreads ?? 1) > 1) {
      const { withWasmThreadCap } = await import("./_wasm_threads.ts");
      ok = await withWasmThreadCap(() => tf.setBackend(name));
    } else {
      ok = await tf.setBackend(name);
    }
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
    installWasmHeapGuard();
    // Emscripten calls Module.onAbort before it throws `RuntimeError: Aborted(…)`; after that the module is dead.
    const module = (tf.backend() as unknown as { wasm: { onAbort?: (what: unknown) => void } }).wasm;
    module.onAbort ??= (what) => {
      wasmAbort ??= `Aborted(${what ?? ""})`;
    };
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    wasmThreadsActive = wasm.getThreadsCount();
    const blas = chooseBlas(options);
    useBlasForWasmMatMul(typeof blas === "string" ? undefined : blas);
    detail = `XNNPACK SIMD, ${wasmThreadsActive} thread(s)` +
      (typeof blas === "string"
        ? (blas === "--blas off" ? "" : `; matrix products on XNNPACK (${blas})`)
        : `; matrix products on ${blas.description}`);
  }
  return detail;
}

/**
 * The native BLAS the options ask for, or why the products stay on XNNPACK: `off`, or (for `auto`) the loader's
 * reason. A named library that does not load throws.
 */
function chooseBlas(options: SelectBackendOptions): Blas | string {
  const asked = options.blas ?? "auto";
  if (asked === "off") return "--blas off";
  const threads = options.blasThreads ?? navigator.hardwareConcurrency;
  if (asked !== "auto") return openBlas(asked, threads);
  try {
    return openBlas(undefined, threads);
  } catch (error) {
    return `no BLAS: ${(error as Error).message}`;
  }
}

/** The "why" of a `Cannot … as <why>: current value is …` message (the whole first line otherwise). */
function why(message: string): string {
  return /^Cannot .+? as (.+?): current value is/.exec(message)?.[1] ?? message;
}

async function defaultProbe(): Promise<ProbeOutcome> {
  const x = tf.randomUniform([1024, 768], -1, 1, "float32", 1);
  const w1 = tf.tidy(() => tf.variable(tf.randomUniform([768, 512], -0.05, 0.05, "float32", 2)));
  const w2 = tf.tidy(() => tf.variable(tf.randomUniform([512, 1], -0.05, 0.05, "float32", 3)));
  try {
    const { value, grads } = tf.variableGrads(() =>
      tf.mean(tf.sigmoid(tf.matMul(tf.relu(tf.matMul(x, w1)), w2))) as tf.Scalar
    );
    const loss = (await value.data())[0];
    value.dispose();
    tf.dispose(grads);
    return { loss };
  } finally {
    tf.dispose([x, w1, w2]);
  }
}

/** Throws when a probe reported a non-finite value. */
function checkProbe(name: string, outcome: void | ProbeOutcome): void {
  if (outcome === undefined) return;
  if ((outcome.loss !== undefined && !Number.isFinite(outcome.loss)) || outcome.finite === false) {
    throw new Error(
      `Cannot use the ${name} backend as its probe step produced non-finite values: current value is loss ${outcome.loss}${
        outcome.finite === false ? " (and a non-finite score, gradient or parameter)" : ""
      }`,
    );
  }
}

/**
 * Hardware candidates, in order, and software ones with what they are. Software backends (cpu, a fallback WebGPU
 * adapter such as lavapipe: both slower than wasm in every measurement, see docs/train.md) are measured only when no
 * other backend works.
 */
async function splitCandidates(
  candidates: readonly ConcreteBackend[],
): Promise<{ hardware: ConcreteBackend[]; fallbacks: [ConcreteBackend, string][] }> {
  const hardware: ConcreteBackend[] = [];
  const fallbacks: [ConcreteBackend, string][] = [];
  for (const name of candidates) {
    if (name === "cpu") {
      fallbacks.push([name, "the pure-JS backend"]);
      continue;
    }
    if (name === "webgpu") {
      const adapter = await webgpuAdapter().catch(() => undefined);
      if (adapter?.fallback) {
        fallbacks.push([name, `a software WebGPU adapter (${adapter.description})`]);
        continue;
      }
    }
    hardware.push(name);
  }
  return { hardware, fallbacks };
}

/**
 * Resolve `requested` to a working backend and activate it. `auto` activates each candidate, times `probe`
 * (median of `probeRepeats` after one warm-up; the warm-up alone for a backend left with nothing to compare) and
 * keeps the fastest. A candidate is skipped, with its message in
 * `probes`, when it does not start, when its probe throws (a model that does not fit its memory, an aborted wasm
 * module), or when any probe run reports a non-finite value. `cpu` and a software WebGPU adapter (lavapipe) are
 * measured only when nothing else works. The returned record says which backend runs and why (one line); record
 * it in every output.
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
  const repeats = Math.max(1, options.probeRepeats ?? DEFAULT_SELECT_BACKEND_OPTIONS.probeRepeats);
  const candidates = options.candidates ?? DEFAULT_SELECT_BACKEND_OPTIONS.candidates;
  const probes: Record<string, number | string> = {};
  const details: Record<string, string> = {};
  const notes: Record<string, string> = {};
  const alone = new Set<string>();
  // `timedRuns` 0: the warm-up's time stands (nothing else is left to compare with).
  const measure = async (name: ConcreteBackend, timedRuns: number) => {
    try {
      details[name] = await activateBackend(name, options);
      // Every run is checked: a backend is kept only when its warm-up and timed steps were all finite.
      const warmStart = performance.now();
      const first = await probe(name);
      const warmMs = performance.now() - warmStart;
      checkProbe(name, first);
      if (first?.note) notes[name] = first.note;
      const times: number[] = [];
      for (let i = 0; i < timedRuns; i++) {
        const start = performance.now();
        const outcome = await probe(name);
        times.push(performance.now() - start);
        checkProbe(name, outcome);
      }
      times.sort((a, b) => a - b);
      if (timedRuns === 0) alone.add(name);
      probes[name] = Math.round((timedRuns === 0 ? warmMs : times[Math.floor((times.length - 1) / 2)]) * 10) / 10;
    } catch (error) {
      const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
      if (name === "wasm" && isWasmAbort(error)) {
        noteWasmAbort(error);
        probes[name] =
          `Cannot use the wasm backend as its probe step aborted the module (out of its 4 GiB heap): current value is ${message}`;
      } else {
        probes[name] = message;
      }
    }
  };
  const timedProbes = () => Object.entries(probes).filter(([, v]) => typeof v === "number") as [string, number][];
  const { hardware, fallbacks } = await splitCandidates(candidates);
  const run = async (names: ConcreteBackend[]) => {
    for (let i = 0; i < names.length; i++) {
      // The last candidate with nothing timed before it has nothing to be compared with: its warm-up is enough.
      await measure(names[i], i === names.length - 1 && timedProbes().length === 0 ? 0 : repeats);
    }
  };
  await run(hardware);
  const deferred = timedProbes().length > 0;
  if (deferred) {
    for (const [name, what] of fallbacks) {
      probes[name] = `not measured: ${what} is used only when no other backend works`;
    }
  } else {
    await run(fallbacks.map(([name]) => name));
  }
  const timed = timedProbes();
  if (timed.length === 0) {
    throw new Error(`Cannot select a backend as none started: current value is ${JSON.stringify(probes)}`);
  }
  timed.sort((a, b) => a[1] - b[1]);
  const best = timed[0][0] as ConcreteBackend;
  await activateBackend(best, options);
  const noted = (name: string) => (notes[name] ? ` [${notes[name]}]` : "");
  const others = timed.slice(1).map(([n, ms]) => `${n} ${ms} ms${noted(n)}`).join(", ");
  const failed = Object.entries(probes).filter(([, v]) => typeof v === "string" && !v.startsWith("not measured"));
  const label = options.probeLabel ? ` (${options.probeLabel})` : "";
  const head = alone.has(best) ? "the only backend whose probe step ran" : "fastest probe step";
  const reason = `${head}${label}: ${best} ${timed[0][1]} ms${noted(best)}` +
    (others ? ` (vs ${others})` : "") +
    (failed.length > 0 ? `; not used: ${failed.map(([n, v]) => `${n} (${why(String(v))})`).join(", ")}` : "") +
    (deferred && fallbacks.length > 0
      ? `; not measured (software, used only when nothing else works): ${fallbacks.map(([n]) => n).join(", ")}`
      : "");
  return { name: best, requested, reason, detail: details[best] ?? "", probes };
}
