/**
 * Experimental shim that lets the threaded tfjs wasm build run under Deno.
 *
 * The Emscripten pthread code, seeing a Node-like runtime, starts `node:worker_threads` workers from `blob:` URLs,
 * which Deno rejects (`ERR_WORKER_PATH`). Deno's worker_threads do accept a CommonJS file path and can post a
 * `WebAssembly.Module` and shared memory, so this shim writes the worker script and the main module script to a
 * temporary folder and hands out file paths instead of blob URLs, with a prelude that makes the worker's global
 * assignments (`location`, `self`, …) writable and defines the bundle-local names the module script expects.
 *
 * @module
 */
import { createRequire } from "node:module";

let installed = false;

const WORKER_PRELUDE = (mainPath: string) =>
  `for (const k of ["self","location","Worker","postMessage","performance","importScripts","onmessage",` +
  `"onunhandledrejection","alert"]) { try { Object.defineProperty(globalThis, k, { value: globalThis[k], ` +
  `writable: true, configurable: true }); } catch (_) { /* keep */ } }\n` +
  `URL.createObjectURL = () => ${JSON.stringify(mainPath)}; URL.revokeObjectURL = () => {};\n`;

const MAIN_PRELUDE = 'var require$$0=require("fs"),require$$1=require("path"),require$$3=require("perf_hooks"),' +
  'require$$4=require("os"),commonjsGlobal=globalThis;\n';

/** Patch `Blob` and `URL.createObjectURL` once so that the threaded wasm build can start its workers. */
export async function installWasmThreadShim(): Promise<void> {
  if (installed) return;
  const dir = await Deno.makeTempDir({ prefix: "tfjs-wasm-threads-" });
  const texts = new WeakMap<Blob, string>();
  const OriginalBlob = globalThis.Blob;
  let mainPath = "";
  let count = 0;
  class RecordingBlob extends OriginalBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (parts?.length === 1 && typeof parts[0] === "string") {
        const text = parts[0];
        texts.set(this, text);
        if (text.startsWith("var WasmBackendModuleThreadedSimd")) {
          mainPath = `${dir}/main.cjs`;
          Deno.writeTextFileSync(mainPath, MAIN_PRELUDE + text);
        }
      }
    }
  }
  globalThis.Blob = RecordingBlob as typeof Blob;
  const originalCreate = URL.createObjectURL;
  URL.createObjectURL = (blob: Blob) => {
    const text = blob instanceof OriginalBlob ? texts.get(blob) : undefined;
    if (text === undefined || !text.includes("WasmBackendModuleThreadedSimd")) return originalCreate(blob);
    const path = `${dir}/worker${count++}.cjs`;
    Deno.writeTextFileSync(path, WORKER_PRELUDE(mainPath) + text);
    return path;
  };
  installed = true;
}

/**
 * Run `start` (the wasm backend's initialisation) while `os.cpus()` lists every logical core twice, then restore it.
 * The tfjs 4.22 build sizes its XNNPACK thread pool as min(requested, 8, emscripten_num_logical_cores() / 2) — it
 * assumes two hardware threads per core — so on a 2-core machine any `setThreadsCount` gave one thread; reported
 * twice, the cap is the machine's real logical core count. The count is read once, when the module is instantiated.
 */
export async function withWasmThreadCap<T>(start: () => Promise<T>): Promise<T> {
  const os = createRequire(import.meta.url)("os") as { cpus: () => unknown[] };
  const cpus = os.cpus;
  os.cpus = () => {
    const listed = cpus();
    return [...listed, ...listed];
  };
  try {
    return await start();
  } finally {
    os.cpus = cpus;
  }
}
