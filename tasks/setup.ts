/**
 * `deno task setup` — checks the system tools the toolkit needs and installs ffmpeg with apt when it is missing.
 *
 * Permissions: run `ffmpeg,ffprobe,apt-get`; env `PATH`. The npm packages are installed by the task's
 * first step, `deno install --frozen`, from the committed `deno.lock`.
 *
 * @example
 * ```sh
 * deno task setup
 * ```
 * @module
 */

async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output();
    return success;
  } catch {
    return false;
  }
}

async function run(command: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, { args, stdout: "inherit", stderr: "inherit" }).output();
    return success;
  } catch {
    return false;
  }
}

/** Installs ffmpeg when missing; returns the process exit code. */
export async function main(_args: string[]): Promise<number> {
  if (await succeeds("ffmpeg", ["-version"]) && await succeeds("ffprobe", ["-version"])) {
    console.log("setup: ffmpeg and ffprobe found");
    return 0;
  }
  console.log("setup: ffmpeg not found; installing it with apt-get");
  const isRoot = Deno.uid?.() === 0;
  if (
    isRoot && await run("apt-get", ["update"]) && await run("apt-get", ["install", "-y", "ffmpeg"]) &&
    await succeeds("ffmpeg", ["-version"])
  ) {
    console.log("setup: ffmpeg installed");
    return 0;
  }
  console.error(
    "setup: Cannot install ffmpeg as apt-get failed or needs root: install it yourself (Debian/Ubuntu: `sudo apt-get install -y ffmpeg`; " +
      "macOS: `brew install ffmpeg`) and run `deno task setup` again",
  );
  return 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
