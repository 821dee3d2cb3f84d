/**
 * Internal: the alignment phase of `filterVideos()` — CLIP embeddings of the technically sound videos
 * ({@link embedVideos}) and the semantic check of each against its own and its opposite description
 * ({@link checkAlignment}), or the skip notice without both encoders. {@link alignVideos} runs it and closes the
 * encoders it opened.
 * @module
 */
import { sha256Hex } from "../io/mod.ts";
import { createImageEncoder, createTextEncoder } from "../encode/mod.ts";
import type { ClipTextEncoder, ImageEncoder } from "../encode/mod.ts";
import { cosineSimilarity, decodeFloat32Base64, encodeFloat32Base64, l2Normalize, roundTo } from "./_vector.ts";
import type { FilterRun } from "./_run.ts";
import { recordDescriptions } from "./options.ts";
import { embedVideo } from "./semantic.ts";

/** The CLIP encoders of a run, opened on first use. */
interface Encoders {
  image?: ImageEncoder;
  text?: ClipTextEncoder;
}

/** Indices of the records that passed the technical check. */
function technicallySound(run: FilterRun): number[] {
  return run.records.flatMap((_, i) => (run.decisions[i].checks.technical === "pass" ? [i] : []));
}

/**
 * CLIP image embeddings of the technically sound videos into `run.videoEmbeddings`, from the cache when possible,
 * one video at a time (the encoder uses every core), with an `image` event per video.
 */
export async function embedVideos(run: FilterRun, encoders: Encoders): Promise<void> {
  const { records, options: o } = run;
  const passed = technicallySound(run);
  for (let k = 0; k < passed.length; k++) {
    const index = passed[k];
    const record = records[index];
    const key = `${record.id}\n${run.hashes[index]}\n${run.keys.image}`;
    const stored = run.cache.get<string>("image", key);
    if (stored !== undefined) {
      run.videoEmbeddings.set(record.id, decodeFloat32Base64(stored));
      run.counts.imageCached++;
    } else {
      encoders.image ??= await createImageEncoder(o.imageModel!, { device: o.device, threads: o.threads });
      const embedding = await embedVideo(record.path, encoders.image, {
        frames: run.measurements[index]!.frames,
        sampleFrames: o.sampleFrames,
        resize: o.resize,
        ffmpegPath: o.ffmpegPath,
        ffprobePath: o.ffprobePath,
      });
      await run.cache.set("image", key, encodeFloat32Base64(embedding));
      run.videoEmbeddings.set(record.id, embedding);
      run.counts.imageComputed++;
    }
    o.onEvent?.({
      type: "image",
      index,
      done: k + 1,
      total: passed.length,
      id: record.id,
      cached: stored !== undefined,
    });
  }
}

/** L2-normalised CLIP embeddings of `texts`, from the cache when possible, with a `texts` event. */
async function embedTexts(
  run: FilterRun,
  encoders: Encoders,
  texts: Iterable<string>,
): Promise<Map<string, Float32Array>> {
  const o = run.options;
  const embeddings = new Map<string, Float32Array>();
  const textKeys = new Map<string, string>();
  for (const text of texts) textKeys.set(text, `${run.keys.text}\n${await sha256Hex(text)}`);
  const missing: string[] = [];
  for (const [text, key] of textKeys) {
    const stored = run.cache.get<string>("text", key);
    if (stored !== undefined) {
      embeddings.set(text, decodeFloat32Base64(stored));
      run.counts.textCached++;
    } else missing.push(text);
  }
  if (missing.length > 0) {
    encoders.text ??= await createTextEncoder(o.textModel!, {
      device: o.device,
      threads: o.threads,
      ...(o.vocabPath !== undefined ? { vocabPath: o.vocabPath } : {}),
    });
    const dim = encoders.text.dim;
    const rows = await encoders.text.encodeTexts(missing);
    for (let i = 0; i < missing.length; i++) {
      const v = l2Normalize(rows.subarray(i * dim, (i + 1) * dim));
      embeddings.set(missing[i], v);
      await run.cache.set("text", textKeys.get(missing[i])!, encodeFloat32Base64(v));
      run.counts.textComputed++;
    }
  }
  o.onEvent?.({ type: "texts", computed: run.counts.textComputed, cached: run.counts.textCached });
  return embeddings;
}

/**
 * The semantic check of every technically sound record: similarity to its own description minus similarity to the
 * opposite one must reach `semanticMargin`; a record without both descriptions is skipped with a notice.
 */
export async function checkAlignment(run: FilterRun, encoders: Encoders): Promise<void> {
  const { records, decisions, options: o } = run;
  const described = records.map((r, i) =>
    decisions[i].checks.technical === "pass" ? recordDescriptions(r, run.pairs) : {}
  );
  const texts = new Set<string>();
  for (const d of described) if (d.own && d.opposite) texts.add(d.own).add(d.opposite);
  const embeddings = await embedTexts(run, encoders, texts);
  records.forEach((r, i) => {
    const decision = decisions[i];
    if (decision.checks.technical !== "pass") return;
    const d = described[i];
    if (!d.own || !d.opposite) {
      decision.checks.semantic = "skipped";
      decision.notices.push(
        `semantic check skipped for this clip: no ${!d.own ? "own" : "opposite"} description (neither in the ` +
          `record nor in the pairs${typeof r.pairId === "string" ? ` for pairId ${r.pairId}` : ""})`,
      );
      return;
    }
    const video = run.videoEmbeddings.get(r.id)!;
    const own = cosineSimilarity(video, embeddings.get(d.own)!);
    const other = cosineSimilarity(video, embeddings.get(d.opposite)!);
    decision.scores.ownSimilarity = roundTo(own);
    decision.scores.oppositeSimilarity = roundTo(other);
    decision.scores.semanticMargin = roundTo(own - other);
    if (own - other >= o.semanticMargin) decision.checks.semantic = "pass";
    else {
      decision.checks.semantic = "fail";
      decision.reasons.push(
        `semantic: own ${own.toFixed(4)} - opposite ${other.toFixed(4)} = ${(own - other).toFixed(4)} < margin ` +
          `${o.semanticMargin}`,
      );
    }
  });
}

/** Marks the semantic check of every technically sound record as skipped, with the run's notice. */
function skipAlignment(run: FilterRun): void {
  for (const decision of run.decisions) {
    if (decision.checks.technical === "pass") {
      decision.checks.semantic = "skipped";
      decision.notices.push(run.semantic.notice!);
    }
  }
}

/**
 * The alignment phase: video embeddings (with an image encoder, also for the near-duplicate check), then the
 * semantic check or its skip notice; the encoders opened are closed, also on failure.
 */
export async function alignVideos(run: FilterRun): Promise<void> {
  const encoders: Encoders = {};
  try {
    if (run.keys.image !== undefined) await embedVideos(run, encoders);
    if (run.semantic.status === "applied") await checkAlignment(run, encoders);
    else skipAlignment(run);
  } finally {
    await encoders.image?.close();
    await encoders.text?.close();
  }
}
