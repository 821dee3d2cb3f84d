/**
 * The README's "On your own cameras" journey, run as written: the commands are read from README.md's code block and
 * run with `deno task` (the tasks' own permissions from deno.json) in a folder of real clips cut from the
 * fixtures, with three substitutions a test needs: the tiny encoder for `clip-l14.onnx`, the offline procedural
 * backend for the paid generation service, and small counts (prompts, iterations). A truncated video sits in the
 * camera batch; infer with a preprocessing recipe other than the model's is refused.
 */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cutAndPlant } from "../../lib/video/plant.ts";
import { withTempDir } from "../_helpers/temp.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CAR = join(ROOT, "fixtures/videos/car-3s.mp4");
const PERSON = join(ROOT, "fixtures/videos/person-3s.mp4");
const TINY_ENCODER = join(ROOT, "fixtures/models/tiny_image_encoder.onnx");

/** A command of the README: environment assignments, the task name and its arguments. */
interface ReadmeCommand {
  env: Record<string, string>;
  task: string;
  args: string[];
}

/** The `deno task …` commands of the first `sh` block after `heading` in README.md, continuation lines joined. */
export function readmeCommands(readme: string, heading: string): ReadmeCommand[] {
  const from = readme.indexOf(heading);
  if (from < 0) throw new Error(`README.md has no section ${heading}`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(from));
  if (!block) throw new Error(`README.md has no sh block after ${heading}`);
  const lines = block[1].replace(/\\\n\s*/g, " ").split("\n").map((line) => line.trim());
  return lines.filter((line) => line !== "" && !line.startsWith("#")).map((line) => {
    const words = line.split(/\s+/);
    const env: Record<string, string> = {};
    while (/^[A-Z_]+=/.test(words[0])) {
      const [name, value] = words.shift()!.split("=");
      env[name] = value;
    }
    if (words[0] !== "deno" || words[1] !== "task") throw new Error(`README command is not a deno task: ${line}`);
    return { env, task: words[2], args: words.slice(3) };
  });
}

/** The substitutions a test needs, applied to one README command. */
function forTest(command: ReadmeCommand): ReadmeCommand {
  const args = command.args.map((arg) => arg === "clip-l14.onnx" ? TINY_ENCODER : arg);
  const set = (flag: string, value: string) => {
    const at = args.indexOf(flag);
    if (at >= 0) args[at + 1] = value;
    else args.push(flag, value);
  };
  if (command.task === "prompts") set("--count", "3");
  if (command.task === "generate") set("--backend", "procedural");
  if (command.task === "train") set("--iterations", "40");
  return { env: {}, task: command.task, args };
}

/** `deno task <name> …` as deno.json declares it (its own permissions), run in `cwd` like a user in their folder. */
export async function denoTask(cwd: string, command: ReadmeCommand): Promise<{ code: number; out: string }> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const line = config.tasks[command.task] as string | undefined;
  if (line === undefined || !line.startsWith("deno run ")) throw new Error(`deno.json has no task ${command.task}`);
  const words = line.split(/\s+/).slice(1).map((word) => word.startsWith("tasks/") ? join(ROOT, word) : word);
  const result = await new Deno.Command(Deno.execPath(), {
    args: [words[0], "--config", join(ROOT, "deno.json"), ...words.slice(1), ...command.args],
    cwd,
    env: { ...command.env, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: result.code, out: decode(result.stdout) + decode(result.stderr) };
}

/**
 * The user's folders: `my-videos/normal` (clips cut from both real recordings, one mirrored, plus a truncated file),
 * `my-videos/anomalous` (cuts with a planted event), `my-videos/test/` with test clips and their `test.json`,
 * and `new-footage.mp4`.
 */
export async function cameraFolders(dir: string): Promise<void> {
  for (const sub of ["my-videos/normal", "my-videos/anomalous", "my-videos/test"]) {
    await Deno.mkdir(join(dir, sub), { recursive: true });
  }
  const cut = (source: string, out: string, options: Parameters<typeof cutAndPlant>[2]) =>
    cutAndPlant(source, join(dir, out), { frames: 48, width: 224, height: 128, ...options });
  await cut(CAR, "my-videos/normal/car-a.mp4", {});
  await cut(CAR, "my-videos/normal/car-b.mp4", { startFrame: 10, hflip: true });
  await cut(PERSON, "my-videos/normal/person-a.mp4", {});
  await cut(PERSON, "my-videos/normal/person-b.mp4", { startFrame: 7, hflip: true });
  await cut(CAR, "my-videos/anomalous/car-box.mp4", { event: { kind: "box", start: 16, end: 40 } });
  await cut(PERSON, "my-videos/anomalous/person-invert.mp4", { event: { kind: "invert", start: 8, end: 30 } });
  await cut(CAR, "my-videos/anomalous/car-invert.mp4", { startFrame: 5, event: { kind: "invert", start: 0, end: 20 } });
  const whole = await Deno.readFile(join(dir, "my-videos/normal/car-a.mp4"));
  await Deno.writeFile(join(dir, "my-videos/normal/broken.mp4"), whole.subarray(0, 900));
  await cut(CAR, "my-videos/test/car-test.mp4", { startFrame: 3, event: { kind: "box", start: 20, end: 35 } });
  await cut(PERSON, "my-videos/test/person-test.mp4", { startFrame: 2, event: { kind: "invert", start: 6, end: 17 } });
  await cut(CAR, "my-videos/test/car-quiet.mp4", { startFrame: 12 });
  await cut(PERSON, "my-videos/test/person-quiet.mp4", { startFrame: 9, hflip: true });
  const test = {
    videos: {
      "car-test": { frames: 48, intervals: [[20, 35]] },
      "person-test": { frames: 48, intervals: [[6, 17]] },
      "car-quiet": { frames: 48, intervals: [] },
      "person-quiet": { frames: 48, intervals: [] },
    },
  };
  await Deno.writeTextFile(join(dir, "test.json"), JSON.stringify(test, null, 2));
  await cut(PERSON, "new-footage.mp4", { startFrame: 4, event: { kind: "box", start: 24, end: 44 } });
}

Deno.test({
  name: "README own-cameras journey runs as written on real clips, skipping a broken video and refusing a wrong recipe",
  sanitizeResources: false,
  fn: async (t) => {
    const readme = await Deno.readTextFile(join(ROOT, "README.md"));
    const commands = readmeCommands(readme, "**On your own cameras.**").map(forTest);
    ok(commands.length >= 6, `README journey has ${commands.length} commands`);
    await withTempDir(async (dir) => {
      await cameraFolders(dir);
      for (const [index, command] of commands.entries()) {
        await t.step(`${index + 1}. deno task ${command.task}`, async () => {
          const { code, out } = await denoTask(dir, command);
          const brokenInBatch = command.task === "extract" && command.args.includes("my-videos/normal");
          if (brokenInBatch) {
            // The truncated camera file is recorded as failed; the others are extracted; the exit status says so.
            strictEqual(code, 1, out);
            match(out, /broken/);
          } else {
            strictEqual(code, 0, `deno task ${command.task} ${command.args.join(" ")}\n${out}`);
          }
        });
      }
      await t.step("train skipped the broken video and evaluated; infer scored every frame", async () => {
        const train = commands.find((c) => c.task === "train")!;
        const runDir = join(dir, train.args[train.args.indexOf("--out") + 1]);
        const config = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")));
        deepStrictEqual(config.skipped.train.map((s: { id: string }) => s.id), ["broken"]);
        const metrics = JSON.parse(await Deno.readTextFile(join(runDir, "metrics.json")));
        ok(Number.isFinite(metrics.auc ?? metrics.metrics?.auc), JSON.stringify(metrics).slice(0, 300));
        const infer = commands.find((c) => c.task === "infer")!;
        const out = join(dir, infer.args[infer.args.indexOf("--out") + 1]);
        const scores = JSON.parse(await Deno.readTextFile(join(out, "scores.json")));
        strictEqual(scores.recipeSource, "checkpoint");
        strictEqual(scores.frameScores.length, 48);
        ok(scores.frameScores.every((v: number) => Number.isFinite(v) && v >= 0 && v <= 1), "scores in [0, 1]");
      });
      await t.step("infer refuses a preprocessing recipe that differs from the model's", async () => {
        const infer = commands.find((c) => c.task === "infer")!;
        for (const [flag, value] of [["--crops", "ten"], ["--resize-engine", "ffmpeg"]]) {
          const args = [...infer.args.filter((_, i, a) => a[i - 1] !== "--out" && a[i] !== "--out")];
          const { code, out } = await denoTask(dir, {
            env: {},
            task: "infer",
            args: [...args, "--out", `refused-${value}`, flag, value],
          });
          strictEqual(code, 1, out);
          match(out, new RegExp(flag.slice(2).replace("-", "[- ]?"), "i"));
          deepStrictEqual(
            await Deno.stat(join(dir, `refused-${value}`, "scores.json")).then(() => true, () => false),
            false,
          );
        }
      });
    });
  },
});
