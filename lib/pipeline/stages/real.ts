/**
 * Stage `real`: the labelled real set — the demo's videos cut from real clips with planted events, or the user's
 * video or feature manifests (a reference list for features) — written as `real/train.jsonl` and `real/test.jsonl`.
 *
 * @module
 */
import { readManifest, readReferenceList, type VideoRecord, writeManifest } from "../../io/mod.ts";
import { buildDemoRealSet } from "../demo_data.ts";
import type { PipelineConfig } from "../config.ts";
import type { RunLayout } from "../layout.ts";
import type { PipelineStage } from "../types.ts";

/** What the real stage records: videos per split and label, and where they came from. */
export interface RealStageResult {
  /** Training videos per label. */
  train: { normal: number; anomalous: number };
  /** Test videos per label. */
  test: { normal: number; anomalous: number };
  /** `real.source`. */
  source: PipelineConfig["real"]["source"];
}

/** The real set: the demo's cut videos, or the user's manifests copied into the run. */
export const REAL_STAGE: PipelineStage<RealStageResult> = {
  name: "real",
  after: [],
  inputs({ config, inputHashes }) {
    return config.real.source === "demo"
      ? { real: config.real, clips: config.real.clips.map((c) => inputHashes[c]) }
      : { real: config.real, train: inputHashes[config.real.train!], test: inputHashes[config.real.test!] };
  },
  async run({ config, layout, info }) {
    let train: VideoRecord[];
    let test: VideoRecord[];
    if (config.real.source === "demo") {
      ({ train, test } = await buildDemoRealSet(config.real.clips, layout.real.dir, {
        ...config.real,
        onVideo: (id, i, n) => info(`cut ${i}/${n} ${id}`),
      }));
    } else {
      ({ train, test } = await copyUserManifests(config, layout));
    }
    const count = (rs: VideoRecord[], label: string) => rs.filter((r) => r.label === label).length;
    const cutVideos = config.real.source === "demo" ? [...train, ...test] : [];
    return {
      result: {
        train: { normal: count(train, "normal"), anomalous: count(train, "anomalous") },
        test: { normal: count(test, "normal"), anomalous: count(test, "anomalous") },
        source: config.real.source,
      },
      // Besides the manifests, the demo's cut videos (a user's listed files are inputs instead), so that one deleted
      // or cut short after the run makes the stage run again.
      files: [layout.real.train, layout.real.test, ...cutVideos.map((r) => r.path)],
    };
  },
};

/** The user's training (manifest or reference list) and test manifests, checked and written into the run. */
async function copyUserManifests(
  config: PipelineConfig,
  layout: RunLayout,
): Promise<{ train: VideoRecord[]; test: VideoRecord[] }> {
  const real = config.real;
  const train = real.source === "features" && real.anomalousCount !== null
    ? await readReferenceList(real.train!, {
      anomalousCount: real.anomalousCount,
      featuresDir: real.featuresDir ?? undefined,
      layout: real.layout,
      split: "train",
    })
    : await readManifest(real.train!);
  const test = await readManifest(real.test!);
  for (const r of [...train, ...test]) {
    if (real.source === "features" && r.layout === undefined) r.layout = real.layout;
  }
  await writeManifest(layout.real.train, train);
  await writeManifest(layout.real.test, test);
  // Every listed file must exist (all missing ones named at once), before any later stage runs.
  await readManifest(layout.real.train);
  await readManifest(layout.real.test);
  return { train, test };
}
