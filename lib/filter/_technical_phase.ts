/**
 * Internal: the technical phase of `filterVideos()` — {@link measureVideos} measures every video (or reads it from
 * the cache), `concurrency` at a time, and {@link decideTechnical} applies the technical thresholds to the
 * measurements.
 * @module
 */
import { sha256File, type VideoRecord } from "../io/mod.ts";
import { runPool } from "../io/pool.ts";
import { roundTo } from "./_vector.ts";
import type { FilterRun } from "./_run.ts";
import { measureTechnical, type TechnicalMeasurement, technicalReasons } from "./technical.ts";

function isFile(path: string): Promise<boolean> {
  return Deno.stat(path).then((i) => i.isFile, (error) => {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  });
}

/**
 * Measures the video of record `index` into `run.measurements` (and its sha256 into `run.hashes`), from the cache
 * when possible. Returns whether it came from the cache, or undefined when the file is missing.
 */
async function measureVideo(run: FilterRun, record: VideoRecord, index: number): Promise<boolean | undefined> {
  if (!(await isFile(record.path))) return undefined;
  const sha = await sha256File(record.path);
  run.hashes[index] = sha;
  const key = `${record.id}\n${sha}\n${run.keys.technical}`;
  let m = run.cache.get<TechnicalMeasurement>("technical", key);
  const cached = m !== undefined;
  if (m) run.counts.technicalCached++;
  else {
    m = await measureTechnical(record.path, run.options);
    await run.cache.set("technical", key, m);
    run.counts.technicalComputed++;
  }
  run.measurements[index] = m;
  return cached;
}

/**
 * Measures every video, `concurrency` at a time (process start-up dominates for short clips), with a `technical`
 * event per video. The first error (a missing ffmpeg, a permission error) stops new videos and is thrown.
 */
export async function measureVideos(run: FilterRun): Promise<void> {
  const { records, options: o } = run;
  let done = 0;
  await runPool(records, o.concurrency, async (record, index) => {
    const cached = await measureVideo(run, record, index);
    done++;
    o.onEvent?.({ type: "technical", index, done, total: records.length, id: record.id, cached });
  });
}

/**
 * Decides the technical check of every record from its measurement and the thresholds: the scores, the reasons
 * (`missing` for a file that does not exist), and the fingerprints of the videos that pass.
 */
export function decideTechnical(run: FilterRun): void {
  const o = run.options;
  run.records.forEach((record, index) => {
    const decision = run.decisions[index];
    const m = run.measurements[index];
    if (!m) {
      decision.reasons.push(`missing: the video file does not exist: ${record.path}`);
      decision.checks.technical = "fail";
      return;
    }
    const s = decision.scores;
    s.frames = m.frames;
    if (m.width !== undefined) s.width = m.width;
    if (m.height !== undefined) s.height = m.height;
    if (m.fps !== undefined) s.fps = roundTo(m.fps);
    if (m.decodable) {
      s.meanLuma = roundTo(m.meanLuma!, 4);
      s.lumaStd = roundTo(m.lumaStd!, 4);
      s.motion = roundTo(m.motion!, 6);
      s.motionMedian = roundTo(m.motionMedian!, 6);
    }
    decision.reasons.push(...technicalReasons(m, o));
    decision.checks.technical = decision.reasons.length === 0 ? "pass" : "fail";
    if (decision.checks.technical === "pass") run.fingerprints.set(record.id, m.fingerprint!);
  });
}
