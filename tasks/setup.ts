/**
 * `deno task setup` — installs the system programs the toolkit and its tests start, with apt, when they are missing.
 *
 * What it checks and installs (Debian package in brackets): `ffmpeg` and `ffprobe` [ffmpeg] for every video stage;
 * `rsvg-convert` [librsvg2-bin], which the tests use to render the SVG plots; on Linux the shared library
 * `libopenblas.so.0` [libopenblas0], on which the trainer runs its matrix products. The npm packages are installed by the
 * task's first step, `deno install --frozen`, from the committed `deno.lock`. As root it runs `apt-get` itself;
 * otherwise through `sudo -n` where that works; else it says what to install and exits 1.
 *
 * Permissions: run `ffmpeg,ffprobe,rsvg-convert,apt-get,sudo`; env `PATH`; sys `uid`; ffi (to try loading the
 * library).
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

/** A shared library the toolkit loads when present, and the Debian package that brings it. */
export interface SystemLibrary {
  /** File name the dynamic loader resolves. */
  library: string;
  /** Debian package that installs it. */
  aptPackage: string;
  /** Who loads it. */
  usedBy: string;
}

/** Libraries checked on Linux (optional at run time: the trainer falls back to XNNPACK without OpenBLAS). */
export const SYSTEM_LIBRARIES: readonly SystemLibrary[] = [
  {
    library: "libopenblas.so.0",
    aptPackage: "libopenblas0",
    usedBy: "the trainer's matrix products (XNNPACK without it, 2–5× slower)",
  },
];

/** The libraries of {@linkcode SYSTEM_LIBRARIES} that do not load (none off Linux, where apt does not apply). */
export function missingLibraries(libraries: readonly SystemLibrary[] = SYSTEM_LIBRARIES): SystemLibrary[] {
  if (Deno.build.os !== "linux") return [];
  return libraries.filter(({ library }) => {
    try {
      Deno.dlopen(library, {}).close();
      return false;
    } catch {
      return true;
    }
  });
}

const USAGE = "deno task setup [--check]";
const DESCRIPTION = "Install what the toolkit needs: npm packages from deno.lock; ffmpeg, rsvg-convert, OpenBLAS " +
  "via apt-get.";
const EXAMPLES = ["deno task setup", "deno task setup --check   # report only, install nothing"];

/** What starting a program says: it runs, it fails, it is absent, or it appeared after this process started. */
type ProgramState = "runs" | "fails" | "missing" | "new";

/**
 * Start `program args` quietly. Deno resolves `--allow-run` names when it starts, so a program installed since then
 * is refused with `NotCapable` (an absent one gives `NotFound`): that is reported as `"new"`, found on PATH.
 */
async function programState(program: string, args: string[]): Promise<ProgramState> {
  try {
    const { success } = await new Deno.Command(program, { args, stdout: "null", stderr: "null" }).output();
    return success ? "runs" : "fails";
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return "new";
    if (error instanceof Deno.errors.NotFound) return "missing";
    return "fails";
  }
}

/** True when `program args` starts and exits 0; a missing program is false, never a throw. */
async function succeeds(program: string, args: string[]): Promise<boolean> {
  return await programState(program, args) === "runs";
}

async function runInherited(program: string, args: string[], env: Record<string, string>): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(program, { args, env, stdout: "inherit", stderr: "inherit" }).output();
    return success;
  } catch {
    return false;
  }
}

/** The tools of {@linkcode SYSTEM_TOOLS} that do not start (after an install: that are not on PATH). */
export async function missingTools(
  tools: readonly SystemTool[] = SYSTEM_TOOLS,
  afterInstall = false,
): Promise<SystemTool[]> {
  const missing: SystemTool[] = [];
  for (const tool of tools) {
    const state = await programState(tool.program, tool.versionArgs);
    if (!(state === "runs" || (afterInstall && state === "new"))) missing.push(tool);
  }
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
    description: DESCRIPTION,
    examples: EXAMPLES,
    flags: { check: { type: "boolean", description: "only report what is missing; install nothing" } },
    print: console.log,
    run: async ({ values }) => {
      const missing = await missingTools();
      let libraries = missingLibraries();
      if (missing.length === 0 && libraries.length === 0) {
        const found = [...SYSTEM_TOOLS.map((tool) => tool.program), ...SYSTEM_LIBRARIES.map((l) => l.library)];
        console.log(`setup: ${found.join(", ")} found`);
        return 0;
      }
      for (const tool of missing) console.log(`setup: ${tool.program} missing (used by ${tool.usedBy})`);
      for (const lib of libraries) console.log(`setup: ${lib.library} missing (used by ${lib.usedBy})`);
      const packages = [...new Set([...missing, ...libraries].map((item) => item.aptPackage))];
      if (values.check !== true && await installWithApt(packages, console.log)) {
        const still = await missingTools(missing, true);
        libraries = missingLibraries(libraries);
        if (still.length === 0 && libraries.length === 0) {
          console.log(`setup: installed ${packages.join(", ")}`);
          return 0;
        }
        missing.splice(0, missing.length, ...still);
      }
      const names = [...missing.map((tool) => tool.program), ...libraries.map((l) => l.library)].join(", ");
      const needed = [...new Set([...missing, ...libraries].map((item) => item.aptPackage))].join(" ");
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
