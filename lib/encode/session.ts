/**
 * `createOnnxSession()` — the one place that loads ONNX Runtime and maps a `device` to execution providers.
 *
 * onnxruntime-node 1.30 on Linux bundles `cpu` and `webgpu` (Dawn; it needs a real GPU adapter and rejects
 * Mesa's lavapipe CPU adapter). `cuda` needs the provider libraries that onnxruntime-node's postinstall script
 * downloads. `auto` tries webgpu, then cuda, then cpu, and reports why each skipped provider could not run.
 * @module
 */
import type * as Ort from "onnxruntime-node";
import { ensureXdgRuntimeDir } from "./gpu_env.ts";
import { withDefaults } from "../io/options.ts";

/** A device a user asks for. */
export type Device = "cpu" | "webgpu" | "cuda" | "auto";
/** An execution provider that actually runs a session. */
export type ExecutionProvider = "cpu" | "webgpu" | "cuda";
/** Allowed {@link Device} values. */
export const DEVICES: readonly Device[] = Object.freeze(["cpu", "webgpu", "cuda", "auto"]);

/** Device → ordered execution providers to try (frozen). */
export const DEVICE_PROVIDERS: Readonly<Record<Device, readonly ExecutionProvider[]>> = Object.freeze({
  cpu: Object.freeze(["cpu"] as ExecutionProvider[]),
  webgpu: Object.freeze(["webgpu"] as ExecutionProvider[]),
  cuda: Object.freeze(["cuda"] as ExecutionProvider[]),
  auto: Object.freeze(["webgpu", "cuda", "cpu"] as ExecutionProvider[]),
});

/** How to get a provider that failed. */
const PROVIDER_HELP: Readonly<Record<ExecutionProvider, string>> = Object.freeze({
  cpu: "the CPU provider is bundled with onnxruntime-node; reinstall it with `deno install`",
  webgpu: "webgpu needs a real GPU with Vulkan drivers (Mesa's lavapipe CPU adapter is rejected); use --device cpu " +
    "on machines without a GPU",
  cuda: "cuda needs NVIDIA drivers, CUDA 12 and the CUDA provider that onnxruntime-node's postinstall script " +
    "downloads: on a GPU machine with internet run `deno install --allow-scripts=npm:onnxruntime-node` " +
    "(or `npm install onnxruntime-node@1.30.0` with ONNXRUNTIME_NODE_INSTALL_CUDA=v12)",
});

/** Options of {@link createOnnxSession}. */
export interface OnnxSessionOptions {
  /**
   * Device: `cpu`, `webgpu`, `cuda`, or `auto` (webgpu → cuda → cpu).
   * @default "cpu"
   */
  device?: Device;
  /**
   * Intra-op threads for the CPU provider; 0 lets ONNX Runtime choose (one per core).
   * @default 0
   */
  threads?: number;
  /**
   * Let ONNX Runtime's intra-op threads spin while waiting for work (its default). Turning it off frees the cores
   * for the decode worker and ffmpeg when they run at the same time as the encoder.
   * @default false
   */
  spinning?: boolean;
  /**
   * ONNX Runtime log severity (0 verbose … 4 fatal).
   * @default 3
   */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

/** Defaults of {@link OnnxSessionOptions}. */
export const DEFAULT_ONNX_SESSION_OPTIONS: Readonly<Required<OnnxSessionOptions>> = Object.freeze({
  device: "cpu",
  threads: 0,
  spinning: false,
  logSeverityLevel: 3,
});

/** A model input or output as the model declares it; symbolic dimensions are strings. */
export interface TensorInfo {
  /** Input or output name. */
  name: string;
  /** Element type, e.g. `float32` or `int64`. */
  type: string;
  /** Declared dimensions; strings are symbolic (e.g. `batch`). */
  shape: (number | string)[];
}

/** An open ONNX Runtime session and what it runs on. Call {@link OnnxSession.release} (in `finally`). */
export interface OnnxSession {
  /** The model file. */
  modelPath: string;
  /** The execution provider that runs it. */
  provider: ExecutionProvider;
  /** Providers tried before `provider` and why each could not run (empty unless `auto` fell back). */
  skipped: { provider: ExecutionProvider; reason: string }[];
  /** Declared inputs. */
  inputs: TensorInfo[];
  /** Declared outputs. */
  outputs: TensorInfo[];
  /**
   * Runs the model; feeds are keyed by input name. Takes and returns onnxruntime-node's own `Tensor` (documented
   * there, not here).
   * @ignore
   */
  run(feeds: Record<string, Ort.Tensor>): Promise<Record<string, Ort.Tensor>>;
  /**
   * Makes an ONNX Runtime tensor (onnxruntime-node's own `Tensor`, documented there, not here).
   * @ignore
   */
  tensor(
    type: "float32" | "int64" | "int32",
    data: Float32Array | BigInt64Array | Int32Array,
    dims: number[],
  ): Ort.Tensor;
  /** Releases the native session. Safe to call twice. */
  release(): Promise<void>;
}

let ortModule: Promise<typeof Ort> | undefined;

/** Loads onnxruntime-node on first use (needs `--allow-ffi`, `--allow-env`, `--allow-sys`, `--allow-read`). */
export function loadOnnxRuntime(): Promise<typeof Ort> {
  ortModule ??= import("onnxruntime-node");
  return ortModule;
}

/** The providers onnxruntime-node reports, e.g. `[{ name: "cpu", bundled: true }, …]`. */
export async function listOnnxProviders(): Promise<{ name: string; bundled: boolean }[]> {
  const ort = await loadOnnxRuntime();
  return ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
}

/**
 * Whether onnxruntime-node's CUDA provider library is installed (its postinstall puts it beside the binding).
 * Undefined when the package folder cannot be located (then creating a session decides).
 */
async function cudaProviderInstalled(): Promise<boolean | undefined> {
  let url: URL;
  try {
    url = new URL(import.meta.resolve("onnxruntime-node"));
  } catch {
    return undefined;
  }
  if (url.protocol !== "file:") return undefined;
  const arch = Deno.build.arch === "x86_64" ? "x64" : "arm64";
  const name = Deno.build.os === "windows" ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
  const file = new URL(`../bin/napi-v6/${Deno.build.os === "windows" ? "win32" : Deno.build.os}/${arch}/${name}`, url);
  try {
    await Deno.stat(file);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    return undefined;
  }
}

function tensorInfo(meta: Ort.InferenceSession.ValueMetadata): TensorInfo {
  if (!meta.isTensor) return { name: meta.name, type: "non-tensor", shape: [] };
  return { name: meta.name, type: meta.type, shape: [...meta.shape] };
}

function firstLine(error: unknown): string {
  // ONNX Runtime prefixes its messages with a source location and the failed check; keep what follows.
  const text = (error instanceof Error ? error.message : String(error)).replace(/^[\s\S]*?was false\.\s*/, "");
  const line = text.split("\n").map((l) => l.trim()).find((l) => l.length > 0) ?? text;
  return line.length > 300 ? line.slice(0, 300) + "…" : line;
}

/**
 * Opens an ONNX model on the requested device. A device that cannot run is an error that says why and how to get
 * it; `auto` falls back (webgpu → cuda → cpu) and records the reasons in `skipped`.
 *
 * @throws {Deno.errors.NotFound} the model file does not exist.
 * @throws {Deno.errors.NotSupported} the device cannot run here (message says why and how to get it).
 * @throws {SyntaxError} the file is not a loadable ONNX model.
 *
 * @example
 * ```ts
 * const session = await createOnnxSession("fixtures/models/tiny_image_encoder.onnx", { device: "auto" });
 * try {
 *   console.log(session.provider, session.inputs);
 * } finally {
 *   await session.release();
 * }
 * ```
 */
export async function createOnnxSession(modelPath: string, options: OnnxSessionOptions = {}): Promise<OnnxSession> {
  const o = withDefaults(DEFAULT_ONNX_SESSION_OPTIONS, options);
  if (!(DEVICES as readonly string[]).includes(o.device)) {
    throw new RangeError(
      `Cannot create ONNX session as the device is unknown: current value is ${o.device} (allowed: ${
        DEVICES.join(", ")
      })`,
    );
  }
  if (!Number.isInteger(o.threads) || o.threads < 0) {
    throw new RangeError(
      `Cannot create ONNX session as threads must be an integer >= 0: current value is ${o.threads}`,
    );
  }
  try {
    const info = await Deno.stat(modelPath);
    if (!info.isFile) {
      throw new TypeError(`Cannot load ONNX model as the path is not a file: current value is ${modelPath}`);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(
        `Cannot load ONNX model as the file does not exist: current value is ${modelPath}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  const ort = await loadOnnxRuntime();
  const available = new Map(ort.listSupportedBackends().map((b) => [b.name, b.bundled]));
  const skipped: { provider: ExecutionProvider; reason: string }[] = [];
  const candidates = DEVICE_PROVIDERS[o.device];
  for (const provider of candidates) {
    if (!available.has(provider)) {
      skipped.push({ provider, reason: `onnxruntime-node ${ort.env.versions.node} has no ${provider} provider here` });
      continue;
    }
    if (provider === "cuda" && await cudaProviderInstalled() === false) {
      skipped.push({ provider, reason: "the CUDA provider library is not installed (libonnxruntime_providers_cuda)" });
      continue;
    }
    const sessionOptions: Ort.InferenceSession.SessionOptions = {
      executionProviders: [provider],
      logSeverityLevel: o.logSeverityLevel,
      graphOptimizationLevel: "all",
    };
    if (o.threads > 0) sessionOptions.intraOpNumThreads = o.threads;
    sessionOptions.extra = { session: { intra_op: { allow_spinning: o.spinning ? "1" : "0" } } };
    // Mesa's Vulkan drivers print "XDG_RUNTIME_DIR is invalid or not set" on a WebGPU probe without it.
    if (provider === "webgpu") await ensureXdgRuntimeDir();
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelPath, sessionOptions);
    } catch (error) {
      const reason = firstLine(error);
      if (provider === "cpu") {
        throw new SyntaxError(
          `Cannot load ONNX model as ONNX Runtime rejects it: current value is ${modelPath} (${reason})`,
          {
            cause: error,
          },
        );
      }
      skipped.push({ provider, reason });
      continue;
    }
    let released = false;
    return {
      modelPath,
      provider,
      skipped,
      inputs: session.inputMetadata.map(tensorInfo),
      outputs: session.outputMetadata.map(tensorInfo),
      run: (feeds) => session.run(feeds) as Promise<Record<string, Ort.Tensor>>,
      tensor: (type, data, dims) => new ort.Tensor(type, data, dims),
      release: async () => {
        if (released) return;
        released = true;
        await session.release();
      },
    };
  }
  const details = skipped.map((s) => `${s.provider}: ${s.reason}; ${PROVIDER_HELP[s.provider]}`).join(" | ");
  throw new Deno.errors.NotSupported(
    `Cannot create ONNX session as no execution provider for device ${o.device} can run here: current value is ` +
      `${o.device} → [${candidates.join(", ")}] for ${modelPath} (${details})`,
  );
}
