import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { type VideoRecord, writeManifest } from "../../lib/io/mod.ts";
import {
  type AblationEvent,
  type AblationProgressEvent,
  type AblationWarningEvent,
  planAblation,
  runAblation,
} from "../../lib/pipeline/mod.ts";
import { main } from "../../tasks/ablate.ts";
import { writeSyntheticSet } from "../train/_synthetic.ts";

// Tiny grids (16-d features, 2 iterations, batches of 1, 4 segments, cpu backend): the mechanics, not the numbers.
const CHEAP = { backend: "cpu" as const, iterations: 2, batchSize: 1, segments: 4 };

/** Training records: 2 + 2 real and 1 + 1 synthetic videos; the synthetic ones carry the filter's decisions. */
async function trainingSet(dir: string, kept: [boolean, boolean]): Promise<VideoRecord[]> {
  const records = await writeSyntheticSet(dir, { prefix: "tr", normal: 3, anomalous: 3, synthetic: 1 });
  let k = 0;
  return records.map((r) => r.source === "synthetic" ? { ...r, filter: { kept: kept[k++] } } : r);
}

/** A clock that moves one second each time it is read. */
function tickingClock(): () => number {
  let t = 0;
  return () => (t += 1000);
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "ablate-faults-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("runAblation() reports progress over the whole grid with elapsed time and an ETA", async () => {
  await withDir(async (dir) => {
    const train = await trainingSet(dir, [true, false]);
    const test = await writeSyntheticSet(dir, { prefix: "te", normal: 2, anomalous: 2 });
    const options = { outDir: join(dir, "run"), rows: ["real-only", "synthetic"], seeds: [0, 1], ...CHEAP };
    const events: AblationProgressEvent[] = [];
    await runAblation(train, test, {
      ...options,
      now: tickingClock(),
      onEvent: (e) => e.type === "progress" && events.push(e),
    });
    const done = events.filter((e) => e.phase === "done");
    deepStrictEqual(done.map((e) => e.done), [1, 2, 3, 4]);
    deepStrictEqual(done.map((e) => `${e.row}/${e.seed}/${e.outcome}`), [
      "real-only/0/trained",
      "real-only/1/trained",
      "synthetic/0/trained",
      "synthetic/1/trained",
    ]);
    ok(events.every((e) => e.total === 4 && e.iterations === 2));
    // The first line comes when the first cell starts, before any training: no ETA yet.
    strictEqual(events[0].phase, "start");
    strictEqual(events[0].done, 0);
    ok(Number.isNaN(events[0].etaSeconds));
    // Every iteration is reported, and the first one already gives an estimate.
    deepStrictEqual(events.filter((e) => e.phase === "step").map((e) => e.iteration), [1, 2, 1, 2, 1, 2, 1, 2]);
    ok(Number.isFinite(events[1].etaSeconds) && events[1].etaSeconds > 0, JSON.stringify(events[1]));
    for (let i = 1; i < events.length; i++) ok(events[i].elapsedSeconds > events[i - 1].elapsedSeconds);
    ok(done.slice(0, 3).every((e) => Number.isFinite(e.etaSeconds) && e.etaSeconds > 0));
    strictEqual(done[3].etaSeconds, 0);

    // A rerun skips every cell: each is reported as done, none starts.
    const again: AblationProgressEvent[] = [];
    await runAblation(train, test, { ...options, onEvent: (e) => e.type === "progress" && again.push(e) });
    deepStrictEqual(again.map((e) => `${e.phase}:${e.done}:${e.outcome}`), [
      "done:1:skipped",
      "done:2:skipped",
      "done:3:skipped",
      "done:4:skipped",
    ]);
  });
});

Deno.test("planAblation() marks the filtering rows as the same as the rows without filtering when all was kept", async (t) => {
  await withDir(async (dir) => {
    await t.step("every synthetic video kept", async () => {
      const rows = planAblation(await trainingSet(dir, [true, true]), { tables: ["components"] });
      const marks = Object.fromEntries(rows.map((r) => [r.id, [r.sameAs ?? null, r.note ?? null]]));
      deepStrictEqual(marks, {
        "real-only": [null, null],
        "synthetic": [null, null],
        "synthetic-filtered": ["synthetic", "same as + synthetic: the synthetic set was already filtered"],
        "synthetic-ssls": [null, null],
        "synthetic-filtered-ssls": [
          "synthetic-ssls",
          "same as + synthetic + SSLS (per-sample, λ=0.5): the synthetic set was already filtered",
        ],
        "synthetic-filtered-ssls-batch": [
          null,
          "the synthetic set was already filtered: filtering changed nothing",
        ],
      });
    });
    await t.step("the row without filtering left out of the grid", async () => {
      const rows = planAblation(await trainingSet(dir, [true, true]), { rows: ["synthetic-filtered"] });
      deepStrictEqual(rows.map((r) => [r.sameAs ?? null, r.note]), [
        [null, "the synthetic set was already filtered: filtering changed nothing"],
      ]);
    });
    await t.step("a synthetic video rejected by the filter", async () => {
      const rows = planAblation(await trainingSet(dir, [true, false]), { tables: ["components"] });
      ok(rows.every((r) => r.sameAs === undefined && r.note === undefined));
    });
    await t.step("--filtered naming every synthetic video", async () => {
      const train = await trainingSet(dir, [true, false]);
      const keptIds = train.filter((r) => r.source === "synthetic").map((r) => r.id);
      const rows = planAblation(train, { rows: ["synthetic", "synthetic-filtered"], keptIds });
      strictEqual(rows[1].sameAs, "synthetic");
    });
  });
});

Deno.test("runAblation() warns when filtering changes nothing, and marks and reuses the rows", async () => {
  await withDir(async (dir) => {
    const train = await trainingSet(dir, [true, true]);
    const test = await writeSyntheticSet(dir, { prefix: "te", normal: 2, anomalous: 2 });
    const outDir = join(dir, "run");
    const events: AblationEvent[] = [];
    const result = await runAblation(train, test, {
      outDir,
      rows: ["synthetic", "synthetic-filtered"],
      seeds: [0],
      ...CHEAP,
      onEvent: (e) => events.push(e),
    });
    const warnings = events.filter((e): e is AblationWarningEvent => e.type === "warning");
    strictEqual(warnings.length, 1);
    strictEqual(events[0], warnings[0]); // before any cell
    ok(warnings[0].message.includes("kept all 2 synthetic videos"), warnings[0].message);
    ok(warnings[0].message.includes("synthetic-filtered is the same as synthetic"), warnings[0].message);
    deepStrictEqual(warnings[0].rows, ["synthetic-filtered"]);
    const done = events.filter((e): e is AblationProgressEvent => e.type === "progress" && e.phase === "done");
    deepStrictEqual(done.map((e) => e.outcome), ["trained", "reused"]);
    const [synthetic, filtered] = result.rows;
    strictEqual(filtered.sameAs, "synthetic");
    deepStrictEqual(filtered.metrics, synthetic.metrics);
    deepStrictEqual(filtered.trainVideos, synthetic.trainVideos);
    const md = await Deno.readTextFile(result.files.markdown);
    ok(
      md.includes("| + synthetic + filtering — same as + synthetic: the synthetic set was already filtered | 4 + 2 |"),
      md,
    );
    const json = JSON.parse(await Deno.readTextFile(result.files.json));
    strictEqual(json.rows[1].note, "same as + synthetic: the synthetic set was already filtered");
    // Not trained again: no stage record of its own.
    await rejects(() => Deno.stat(join(outDir, "stages", "synthetic-filtered-seed-0.json")), Deno.errors.NotFound);
  });
});

Deno.test("runAblation() warns when the filter kept no synthetic video", async () => {
  await withDir(async (dir) => {
    const train = await trainingSet(dir, [false, false]);
    const test = await writeSyntheticSet(dir, { prefix: "te", normal: 2, anomalous: 2 });
    const warnings: string[] = [];
    const result = await runAblation(train, test, {
      outDir: join(dir, "run"),
      rows: ["synthetic-filtered"],
      seeds: [0],
      ...CHEAP,
      onEvent: (e) => e.type === "warning" && warnings.push(e.message),
    });
    deepStrictEqual(warnings, [
      "the filter kept none of the 2 synthetic videos, so the filtering rows train on real videos only",
    ]);
    strictEqual(result.rows[0].trainVideos.synthetic, 0);
  });
});

Deno.test("ablate task prints a progress line per cell with an ETA, and the filtering warning", async () => {
  await withDir(async (dir) => {
    const trainPath = join(dir, "train.jsonl");
    const testPath = join(dir, "test.jsonl");
    await writeManifest(trainPath, await trainingSet(dir, [true, true]));
    await writeManifest(testPath, await writeSyntheticSet(dir, { prefix: "te", normal: 2, anomalous: 2 }));
    const out: string[] = [];
    const err: string[] = [];
    const log = console.log;
    const error = console.error;
    console.log = (...parts: unknown[]) => out.push(parts.join(" "));
    console.error = (...parts: unknown[]) => err.push(parts.join(" "));
    let code: number;
    try {
      code = await main([
        ...["--train", trainPath, "--test", testPath, "--out", join(dir, "run")],
        ...["--rows", "synthetic,synthetic-filtered", "--seeds", "0,1"],
        ...["--backend", "cpu", "--iterations", "2", "--batch-size", "1", "--segments", "4"],
      ]);
    } finally {
      console.log = log;
      console.error = error;
    }
    strictEqual(code, 0, err.join("\n"));
    strictEqual(err.length, 1);
    ok(err[0].startsWith("warning: the filter kept all 2 synthetic videos"), err[0]);
    strictEqual(out[0], `ablate: 2 rows × 2 seeds = 4 trainings of 2 iterations into ${join(dir, "run")}`);
    ok(/^ablate 0\/4 · synthetic seed 0: training \(2 iterations\) · elapsed \d+s · eta \?$/.test(out[1]), out[1]);
    const doneLines = out.filter((l) => /^ablate [1-4]\/4 · .*: AUC /.test(l));
    strictEqual(doneLines.length, 4, out.join("\n"));
    ok(
      doneLines[2].includes("synthetic-filtered seed 0: AUC ") && doneLines[2].includes("(same as synthetic, reused)"),
    );
    ok(doneLines[3].endsWith("eta 0s"), doneLines[3]);
    ok(out.some((l) => l.includes("same as + synthetic: the synthetic set was already filtered")), out.join("\n"));
  });
});
