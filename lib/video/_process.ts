/**
 * Internal helpers for running ffmpeg/ffprobe: existence checks that name the file, bounded stderr capture.
 * @module
 */

/** Keeps the last `limit` characters of a text stream (so memory stays flat however much a tool logs). */
export class TailText {
  #text = "";
  #limit: number;
  constructor(limit = 8192) {
    this.#limit = limit;
  }
  push(chunk: string): void {
    this.#text += chunk;
    if (this.#text.length > 2 * this.#limit) this.#text = this.#text.slice(-this.#limit);
  }
  toString(): string {
    return this.#text.slice(-this.#limit).trim();
  }
}

/** Reads a byte stream to its end into a {@link TailText}. */
export async function drainText(stream: ReadableStream<Uint8Array>, tail: TailText): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) tail.push(decoder.decode(chunk, { stream: true }));
  tail.push(decoder.decode());
}

/** Last non-empty lines of a tool's stderr, joined for an error message. */
export function lastLines(text: string, count = 3): string {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.slice(-count).join(" | ");
}

/**
 * Checks that `path` is a readable regular file; throws the Deno error class (NotFound, PermissionDenied) or a
 * TypeError with a message naming the file.
 */
export async function assertReadableFile(path: string, action: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Cannot ${action} as the file does not exist: current value is ${path}`, {
        cause: error,
      });
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new Deno.errors.PermissionDenied(
        `Cannot ${action} as the file is not readable: current value is ${path}`,
        { cause: error },
      );
    }
    throw error;
  }
  if (!info.isFile) {
    throw new TypeError(`Cannot ${action} as the path is not a regular file: current value is ${path}`);
  }
  try {
    const file = await Deno.open(path, { read: true });
    file.close();
  } catch (error) {
    throw new Deno.errors.PermissionDenied(`Cannot ${action} as the file is not readable: current value is ${path}`, {
      cause: error,
    });
  }
}

/** Turns a spawn failure (tool missing) into a clear error. */
export function spawnError(tool: string, error: unknown): Error {
  if (error instanceof Deno.errors.NotFound) {
    return new Deno.errors.NotFound(
      `Cannot run ${tool} as it is not installed or not on PATH: current value is ${tool} (install ffmpeg, e.g. apt-get install -y ffmpeg)`,
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Options of {@link runFfmpegToFile}. */
export interface RunFfmpegToFileOptions {
  /** The ffmpeg executable. */
  ffmpegPath: string;
  /** What the caller does, for the error message, e.g. `"render video"`. */
  action: string;
  /** The file named in the error message (e.g. the input). @default {the output path} */
  subject?: string;
  /** Abort signal (kills ffmpeg). */
  signal?: AbortSignal;
}

/**
 * Run ffmpeg with `buildArgs(tmp)` writing a temporary sibling of `path`, then rename it over `path`; on any failure
 * (spawn, non-zero exit, abort, rename) the temporary file is removed and the error rethrown, so `path` is either
 * complete or untouched.
 */
export async function runFfmpegToFile(
  buildArgs: (tmp: string) => string[],
  path: string,
  options: RunFfmpegToFileOptions,
): Promise<void> {
  const tmp = `${path}.${Deno.pid}-${crypto.randomUUID()}.tmp`;
  const args = buildArgs(tmp);
  try {
    let output: Deno.CommandOutput;
    try {
      output = await new Deno.Command(options.ffmpegPath, {
        args,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
        signal: options.signal,
      }).output();
    } catch (error) {
      throw spawnError(options.ffmpegPath, error);
    }
    if (!output.success) {
      options.signal?.throwIfAborted();
      const stderr = new TextDecoder().decode(output.stderr);
      throw new Error(
        `Cannot ${options.action} as ffmpeg failed: current value is ${options.subject ?? path} (ffmpeg: ${
          lastLines(stderr)
        })`,
      );
    }
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch((cleanupError) => {
      if (!(cleanupError instanceof Deno.errors.NotFound)) throw new AggregateError([error, cleanupError]);
    });
    throw error;
  }
}
