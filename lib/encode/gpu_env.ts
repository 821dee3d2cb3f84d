/**
 * `ensureXdgRuntimeDir()` — a quiet WebGPU probe. Deno's WebGPU (wgpu) and ONNX Runtime's (Dawn) reach the GPU through
 * Mesa's Vulkan/EGL drivers, whose window-system code prints `error: XDG_RUNTIME_DIR is invalid or not set in the
 * environment.` on stderr, several times per probe, when the variable does not name a folder (containers, CI, a
 * shell without a login session). The message is harmless but reads as fatal. Before a probe, the variable is
 * pointed at a private temporary folder (mode 0700, removed when the process ends) unless it already names one.
 * @module
 */
import { isAbsolute } from "node:path";

let chosen: Promise<string | undefined> | undefined;

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function choose(): Promise<string | undefined> {
  const current = Deno.env.get("XDG_RUNTIME_DIR");
  if (current !== undefined && isAbsolute(current) && await isFolder(current)) return undefined;
  const dir = await Deno.makeTempDir({ prefix: "gvvad-xdg-runtime-" });
  await Deno.chmod(dir, 0o700);
  Deno.env.set("XDG_RUNTIME_DIR", dir);
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Best effort at exit: a left-over empty folder in the temporary folder is harmless.
    }
  });
  return dir;
}

/**
 * Makes `XDG_RUNTIME_DIR` name a usable folder before a WebGPU probe: a value that names an existing folder is kept,
 * otherwise (unset, relative, or missing) it is set, for this process and its children, to a new private temporary
 * folder. Returns the folder it set, or `undefined` when it kept the value or lacks the permission to change it
 * (`--allow-env`, and `--allow-write` for the temporary folder): the probe then runs as it would have, only noisier.
 * Runs once per process.
 *
 * @example
 * ```ts
 * import { ensureXdgRuntimeDir } from "./gpu_env.ts";
 * await ensureXdgRuntimeDir();
 * const adapter = await navigator.gpu?.requestAdapter();
 * ```
 */
export function ensureXdgRuntimeDir(): Promise<string | undefined> {
  chosen ??= choose().catch((error) => {
    // Without the permissions the probe simply runs unchanged; any other failure is a real error.
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) return undefined;
    chosen = undefined;
    throw error;
  });
  return chosen;
}
