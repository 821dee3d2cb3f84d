/**
 * Bad input and faults around feature extraction (issue 9): each case gives one clear error (or the right result)
 * and leaves nothing half-written.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { main } from "../../tasks/extract.ts";
import { extractFeatures, type ExtractProgress } from "../../lib/encode/mod.ts";
import { readManifest, type VideoRecord, writeManifest } from "../../lib/io/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { captureTask, exists } from "../_helpers/capture.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MODEL = join(ROOT, "fixtures/models/tiny_image_encoder.onnx");
const CAR = join(ROOT, "fixtures/videos/car-3s.mp4");

const run = (args: string[]) => captureTask(main, args);

Deno.test("extract --videos accepts a single video file", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "features");
    const r = await run(["--videos", CAR, "--model", MODEL, "--out", out, "--label", "anomalous", "--quiet"]);
    strictEqual(r.code, 0, r.out + r.err);
    ok(r.out.includes("extracted 1, skipped 0, failed 0"), r.out);
    const records = await readManifest(join(out, "manifest.jsonl"));
    deepStrictEqual(records.map((x) => [x.id, x.label, x.source, x.clips, x.video]), [
      ["car-3s", "anomalous", "real", 2, CAR],
    ]);
  }, "extract-faults-");
});

Deno.test("extract --videos gives one clear error for a file that is neither a video nor JSON Lines", async (t) => {
  await withTempDir(async (dir) => {
    // The head of an MP4 file saved as a manifest, and a text file with an unknown extension (probed, not a video).
    const video = await Deno.readFile(CAR);
    const cases: [string, Uint8Array, RegExp][] = [
      [
        "list.jsonl",
        video.subarray(0, 4000),
        /^error: Cannot read manifest .*list\.jsonl as it is not JSON Lines \(line 1 is not a JSON object\): current value is "/,
      ],
      [
        "notes.txt",
        new TextEncoder().encode("\nhello\nworld\n"),
        /^error: Cannot read videos from .*notes\.txt as it is neither a video .* nor a JSON Lines manifest \(line 2 is not a JSON object\): current value is "hello"/,
      ],
      [
        "empty.list",
        new Uint8Array(),
        /^error: Cannot read videos from .*empty\.list as it is neither a video nor a JSON Lines manifest: current value is an empty file/,
      ],
    ];
    for (const [name, bytes, message] of cases) {
      await t.step(name, async () => {
        await Deno.writeFile(join(dir, name), bytes);
        const out = join(dir, `out-${name}`);
        const r = await run(["--videos", join(dir, name), "--model", MODEL, "--out", out]);
        strictEqual(r.code, 1);
        ok(message.test(r.err), r.err);
        strictEqual(r.err.split("\n").filter((l) => l.startsWith("error:")).length, 1, r.err);
        ok(!r.err.includes("not valid JSON"), r.err);
        strictEqual(await exists(out), false, "no output folder is created for bad input");
      });
    }
  }, "extract-faults-");
});

Deno.test("extract --frames-per-clip -3 says the value must be >= 1, before reading anything", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out");
    const r = await run(["--videos", join(dir, "missing"), "--model", MODEL, "--out", out, "--frames-per-clip", "-3"]);
    strictEqual(r.code, 1);
    strictEqual(r.err, "error: Cannot use --frames-per-clip as it must be >= 1: current value is -3\n");
    strictEqual(await exists(out), false);
  }, "extract-faults-");
});

Deno.test("extractFeatures() keeps a generated video's model apart from the encoder, also when resuming", async () => {
  await withTempDir(async (dir) => {
    const generated: VideoRecord = {
      id: "gen-1",
      path: CAR,
      label: "anomalous",
      source: "synthetic",
      backend: "zhipu",
      model: "cogvideox-3",
      filter: { kept: true },
    };
    const outDir = join(dir, "features");
    const first = await extractFeatures([generated], { model: MODEL, outDir, threads: 1, workers: 0 });
    const record = first.records[0];
    strictEqual(record.model, "cogvideox-3");
    strictEqual(record.encoderModel, "tiny_image_encoder.onnx");
    strictEqual(record.backend, "zhipu");
    const manifest = join(outDir, "manifest.jsonl");
    strictEqual((await readManifest(manifest))[0].model, "cogvideox-3");

    // Resumed (nothing recomputed): the input's current fields show (a changed filter decision), both names stay.
    const changed = { ...generated, filter: { kept: false } };
    const second = await extractFeatures([changed], { model: MODEL, outDir, threads: 1, workers: 0 });
    strictEqual(second.skipped, 1);
    deepStrictEqual(second.records[0].filter, { kept: false });
    strictEqual(second.records[0].model, "cogvideox-3");
    strictEqual(second.records[0].encoderModel, "tiny_image_encoder.onnx");

    // A manifest written before encoderModel existed (the encoder under `model`, the generator lost) resumes too.
    const old: VideoRecord = { ...second.records[0], model: "tiny_image_encoder.onnx" };
    delete old.encoderModel;
    await writeManifest(manifest, [old]);
    const third = await extractFeatures([generated], { model: MODEL, outDir, threads: 1, workers: 0 });
    strictEqual(third.skipped, 1);
    strictEqual(third.records[0].model, "cogvideox-3");
    strictEqual(third.records[0].encoderModel, "tiny_image_encoder.onnx");
  }, "extract-faults-");
});

Deno.test("extractFeatures() reports frames within a video: start with the expected count, then frames done", async () => {
  await withTempDir(async (dir) => {
    const events: ExtractProgress[] = [];
    await extractFeatures([{ id: "car", path: CAR, label: "normal", source: "real" }], {
      model: MODEL,
      outDir: dir,
      batchSize: 8,
      threads: 1,
      onProgress: (e) => events.push(e),
    });
    deepStrictEqual(events.map((e) => e.type).filter((t, i, a) => t !== a[i - 1]), [
      "plan",
      "start",
      "frames",
      "video",
    ]);
    deepStrictEqual(events.find((e) => e.type === "start"), { type: "start", id: "car", expectedFrames: 37 });
    const frames = events.filter((e) => e.type === "frames");
    ok(frames.length >= 4, `${frames.length} frame events for 37 frames in batches of 8`);
    const decoded = frames.map((e) => e.decoded);
    ok(decoded.every((d, i) => i === 0 || d > decoded[i - 1]), String(decoded));
    strictEqual(decoded[decoded.length - 1], 37);
    strictEqual(frames.reduce((sum, e) => sum + e.frames, 0), 37);
    ok(frames.every((e) => e.id === "car" && e.expectedFrames === 37));
  }, "extract-faults-");
});

Deno.test("ensureXdgRuntimeDir() gives the WebGPU probe a private runtime folder when none is set", async (t) => {
  const script = `
    import { ensureXdgRuntimeDir } from ${JSON.stringify(join(ROOT, "lib/encode/gpu_env.ts"))};
    const set = await ensureXdgRuntimeDir();
    const dir = Deno.env.get("XDG_RUNTIME_DIR");
    console.log(JSON.stringify({ set, dir, mode: dir ? (Deno.statSync(dir).mode ?? 0) & 0o777 : null }));
  `;
  const probe = async (env: Record<string, string>) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-config", script],
      env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "/tmp", ...env },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    strictEqual(output.code, 0, new TextDecoder().decode(output.stderr));
    return JSON.parse(new TextDecoder().decode(output.stdout));
  };
  await t.step("unset: a new 0700 folder, removed at exit", async () => {
    const r = await probe({});
    ok(typeof r.set === "string" && r.set === r.dir, JSON.stringify(r));
    strictEqual(r.mode, 0o700);
    strictEqual(await exists(r.dir), false);
  });
  await t.step("relative or missing: replaced", async () => {
    for (const value of ["run/user", "/nonexistent/xdg"]) {
      const r = await probe({ XDG_RUNTIME_DIR: value });
      ok(typeof r.set === "string" && r.dir !== value, JSON.stringify(r));
    }
  });
  await t.step("an existing folder: kept", async () => {
    await withTempDir(async (dir) => {
      const r = await probe({ XDG_RUNTIME_DIR: dir });
      strictEqual(r.set, undefined);
      strictEqual(r.dir, dir);
    });
  });
});

Deno.test("selectBackend('auto') probes WebGPU without XDG_RUNTIME_DIR quietly and reports the outcome once", async () => {
  await withTempDir(async (dir) => {
    const script = join(dir, "probe.ts");
    await Deno.writeTextFile(
      script,
      `import * as tf from "@tensorflow/tfjs-core";
       import { selectBackend } from ${JSON.stringify(join(ROOT, "lib/train/backend.ts"))};
       const probe = async () => { const x = tf.ones([8, 8]); await tf.matMul(x, x).data(); tf.dispose(x); };
       const choice = await selectBackend("auto", { candidates: ["webgpu", "cpu"], probe, probeRepeats: 1 });
       console.log(JSON.stringify(choice));`,
    );
    const env = { ...Deno.env.toObject() };
    delete env.XDG_RUNTIME_DIR;
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", join(ROOT, "deno.json"), script],
      cwd: ROOT,
      env,
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    strictEqual(output.code, 0, stderr);
    ok(!stderr.includes("XDG_RUNTIME_DIR"), stderr);
    const choice = JSON.parse(new TextDecoder().decode(output.stdout).trim().split("\n").pop()!);
    ok(["webgpu", "cpu"].includes(choice.name), JSON.stringify(choice));
    ok(!choice.reason.includes("\n"), choice.reason);
    // Where WebGPU has no adapter, the one reason line says so; where it has one, it was measured.
    ok(
      typeof choice.probes.webgpu === "number" || choice.reason.includes("could not start webgpu ("),
      JSON.stringify(choice),
    );
  }, "extract-faults-");
});

Deno.test("extract task: a folder as --model or a file as --out is named before anything is written", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "feats");
    const folderModel = await run(["--videos", CAR, "--model", join(ROOT, "fixtures/models"), "--out", out]);
    strictEqual(folderModel.code, 1);
    ok(/Cannot read --model as it must be an ONNX image encoder file, not a folder/.test(folderModel.err));
    const fileOut = await run(["--videos", CAR, "--model", MODEL, "--out", MODEL]);
    strictEqual(fileOut.code, 1);
    ok(/Cannot write --out as it must be a folder, not a file/.test(fileOut.err), fileOut.err);
    strictEqual(await Deno.stat(out).then(() => true, () => false), false);
  });
});
