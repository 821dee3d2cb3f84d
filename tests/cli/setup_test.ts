import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { withTempDir } from "../_helpers/temp.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The `deno run …` steps of deno.json's `setup` task, as argument arrays (its `deno install` step is left out). */
async function setupSteps(): Promise<string[][]> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  return (config.tasks.setup as string).split("&&").map((step) => step.trim().split(/\s+/))
    .filter((words) => words[0] === "deno" && words[1] === "run").map((words) => words.slice(1));
}

/**
 * A PATH folder holding only stand-ins: `apt-get` records its arguments and, on `install`, puts executables for
 * ffmpeg, ffprobe and rsvg-convert beside itself (so the install is visible to the next step); `sudo -n` runs
 * its command, so the test runs the same way as root or not.
 */
async function fakeSystem(dir: string, aptExit: number, present: string[] = []): Promise<string> {
  const bin = join(dir, "bin");
  await Deno.mkdir(bin);
  const tool = "#!/bin/sh\nexit 0\n";
  for (const name of present) await Deno.writeTextFile(join(bin, name), tool, { mode: 0o755 });
  await Deno.writeTextFile(
    join(bin, "apt-get"),
    `#!/bin/sh
printf '%s|%s\\n' "$DEBIAN_FRONTEND" "$*" >> "${join(dir, "apt.log")}"
if [ "$1" = install ] && [ ${aptExit} -eq 0 ]; then
  for p in ffmpeg ffprobe rsvg-convert; do printf '${
      tool.replaceAll("\n", "\\n")
    }' > "${bin}/$p"; /bin/chmod 755 "${bin}/$p"; done
fi
exit ${aptExit}
`,
    { mode: 0o755 },
  );
  await Deno.writeTextFile(join(bin, "sudo"), `#!/bin/sh\n[ "$1" = -n ] && shift\nexec "$@"\n`, { mode: 0o755 });
  return bin;
}

async function runSteps(bin: string, extra: string[] = []): Promise<{ codes: number[]; out: string }> {
  const codes: number[] = [];
  let out = "";
  for (const args of await setupSteps()) {
    args.push(...extra); // `deno task setup ARGS` appends ARGS to the task's last step (its only deno run step)
    const result = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      clearEnv: true,
      env: {
        PATH: bin,
        NO_COLOR: "1",
        DENO_DIR: Deno.env.get("DENO_DIR") ?? join(Deno.env.get("HOME") ?? "/root", ".cache/deno"),
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    out += new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
    codes.push(result.code);
    if (result.code !== 0) break;
  }
  return { codes, out };
}

Deno.test("deno task setup installs ffmpeg and rsvg-convert with apt-get when PATH lacks them", async () => {
  await withTempDir(async (dir) => {
    const bin = await fakeSystem(dir, 0);
    const { codes, out } = await runSteps(bin);
    deepStrictEqual(codes, [0], out);
    const apt = (await Deno.readTextFile(join(dir, "apt.log"))).trim().split("\n");
    deepStrictEqual(apt, ["noninteractive|update", "noninteractive|install -y ffmpeg librsvg2-bin"]);
    match(out, /ffmpeg missing/);
    match(out, /installed ffmpeg, librsvg2-bin/);
  });
});

Deno.test("deno task setup installs nothing when every program is there", async () => {
  await withTempDir(async (dir) => {
    const bin = await fakeSystem(dir, 0, ["ffmpeg", "ffprobe", "rsvg-convert"]);
    const { codes, out } = await runSteps(bin);
    deepStrictEqual(codes, [0], out);
    strictEqual(await Deno.stat(join(dir, "apt.log")).then(() => true, () => false), false);
  });
});

Deno.test("deno task setup installs only the missing package", async () => {
  await withTempDir(async (dir) => {
    const bin = await fakeSystem(dir, 0, ["ffmpeg", "ffprobe"]);
    const { codes, out } = await runSteps(bin);
    deepStrictEqual(codes, [0], out);
    const apt = (await Deno.readTextFile(join(dir, "apt.log"))).trim().split("\n");
    strictEqual(apt[1], "noninteractive|install -y librsvg2-bin");
  });
});

Deno.test("deno task setup fails with the command to run when apt-get fails", async () => {
  await withTempDir(async (dir) => {
    const bin = await fakeSystem(dir, 100);
    const { codes, out } = await runSteps(bin);
    deepStrictEqual(codes, [1], out);
    match(out, /Cannot install ffmpeg, ffprobe, rsvg-convert as apt-get failed/);
    match(out, /sudo apt-get install -y ffmpeg librsvg2-bin/);
    ok(!out.includes("NotCapable"), out);
  });
});

Deno.test("deno task setup --check and --help install nothing", async () => {
  await withTempDir(async (dir) => {
    const bin = await fakeSystem(dir, 0);
    const check = await runSteps(bin, ["--check"]);
    deepStrictEqual(check.codes, [1], check.out);
    match(check.out, /rsvg-convert missing/);
    const help = await runSteps(bin, ["--help"]);
    deepStrictEqual(help.codes, [0], help.out);
    match(help.out, /Example/);
    strictEqual(await Deno.stat(join(dir, "apt.log")).then(() => true, () => false), false);
  });
});
