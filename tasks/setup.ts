/**
 * `deno task setup` — installs the system programs the toolkit and its tests start, with apt, when they are missing.
 *
 * What it checks and installs (Debian package in brackets): `ffmpeg` and `ffprobe` [ffmpeg] for every video stage;
 * `rsvg-convert` [librsvg2-bin], which the tests use to render the SVG plots. The npm packages are installed by the
 * task's first step, `deno install --frozen`, from the committed `deno.lock`. As root it runs `apt-get` itself;
 * otherwise through `sudo -n` where that works; else it says what to install and exits 1.
 *
 * Permissions: run `ffmpeg,ffprobe,rsvg-convert,apt-get,sudo`; env `PATH`; sys `uid`. The task line runs it twice:
 * to install, then with `--check` in a fresh process (Deno resolves `--allow-run` names when it starts).
 *
 * @example
 * ```sh
 * deno task setup
 * deno task setup --check   # report only, install nothing
 * ```
 * @module
 */
import { runTask } from "../lib/cli/flags.ts";

/** A program that the toolkit or its tests start, and the Debian package that brings it. */
export interface SystemTool {
  /** Program name, looked up on PATH. */
  program: string;
  /** Arguments that make it print its version and exit 0. */
  versionArgs: string[];
  /** Debian package that installs it. */
  aptPackage: string;
  /** Who starts it. */
  usedBy: string;
}

/** Every program the project starts, in install order. */
export const SYSTEM_TOOLS: readonly SystemTool[] = [
  { program: "ffmpeg", versionArgs: ["-version"], aptPackage: "ffmpeg", usedBy: "the video stages" },
  { program: "ffprobe", versionArgs: ["-version"], aptPackage: "ffmpeg", usedBy: "the video stages" },
  { program: "rsvg-convert", versionArgs: ["--version"], aptPackage: "librsvg2-bin", usedBy: "the SVG plot tests" },
];

const USAGE = `deno task setup [--check]

Installs what the toolkit and its tests need: the npm packages from deno.lock (the task's first step), then ffmpeg
and rsvg-convert with apt-get when they are missing (as root, or through sudo).

Example:
  deno task setup`;

/** True when `program args` starts and exits 0; a missing program is false, never a throw. */
async function succeeds(program: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(program, { args, stdout: "null", stderr: "null" }).output();
    return success;
  } catch {
    return false;
  }
}

async function runInherited(program: string, args: string[], env: Record<string, string>): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(program, { args, env, stdout: "inherit", stderr: "inherit" }).output();
    return success;
  } catch {
    return false;
  }
}

/** The tools of {@linkcode SYSTEM_TOOLS} that do not start. */
export async function missingTools(tools: readonly SystemTool[] = SYSTEM_TOOLS): Promise<SystemTool[]> {
  const missing: SystemTool[] = [];
  for (const tool of tools) if (!await succeeds(tool.program, tool.versionArgs)) missing.push(tool);
  return missing;
}

/** How apt-get can be run here: directly as root, through `sudo -n`, or not at all. */
async function aptCommand(): Promise<string[] | undefined> {
  if (Deno.uid() === 0) return ["apt-get"];
  if (await succeeds("sudo", ["-n", "true"])) return ["sudo", "-n", "apt-get"];
  return undefined;
}

async function installWithApt(packages: string[], print: (text: string) => void): Promise<boolean> {
  const apt = await aptCommand();
  if (apt === undefined) return false;
  const [program, ...prefix] = apt;
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  print(`setup: ${apt.join(" ")} install -y ${packages.join(" ")}`);
  return await runInherited(program, [...prefix, "update"], env) &&
    await runInherited(program, [...prefix, "install", "-y", ...packages], env);
}

/** Installs the missing system tools; returns the process exit code. */
export function main(args: string[]): Promise<number> {
  return runTask(args, {
    usage: USAGE,
    flags: { check: { type: "boolean", description: "only report what is missing; install nothing" } },
    print: console.log,
    run: async ({ values }) => {
      const missing = await missingTools();
      if (missing.length === 0) {
        console.log(`setup: ${SYSTEM_TOOLS.map((tool) => tool.program).join(", ")} found`);
        return 0;
      }
      for (const tool of missing) console.log(`setup: ${tool.program} missing (used by ${tool.usedBy})`);
      const packages = [...new Set(missing.map((tool) => tool.aptPackage))];
      if (values.check !== true && await installWithApt(packages, console.log)) {
        // Deno resolves --allow-run names when it starts, so the programs just installed are checked by the task's
        // next step (`setup.ts --check`, a fresh process).
        console.log(`setup: installed ${packages.join(", ")}`);
        return 0;
      }
      const names = missing.map((tool) => tool.program).join(", ");
      const needed = [...new Set(missing.map((tool) => tool.aptPackage))].join(" ");
      console.error(
        `setup: Cannot install ${names} as apt-get failed, is absent, or needs root: install it yourself ` +
          `(Debian/Ubuntu: \`sudo apt-get install -y ${needed}\`; macOS: \`brew install ffmpeg librsvg\`) ` +
          "and run `deno task setup` again",
      );
      return 1;
    },
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
