/**
 * Internal: the near-duplicate phase of `filterVideos()` and the final decisions — {@link decideNearDuplicates}
 * compares the clips kept so far (CLIP embeddings with an image encoder, fingerprints without) and settles `kept`.
 * @module
 */
import { roundTo } from "./_vector.ts";
import type { FilterRun } from "./_run.ts";
import { findNearDuplicates } from "./duplicates.ts";

/** What the near-duplicate check compares: CLIP embeddings (with an image encoder) or fingerprints. */
export type DuplicateMethod = "clip" | "fingerprint";

/**
 * Rejects each clip kept so far that is a near-duplicate of an earlier one (within its label with the `label`
 * scope), records the highest cosine, and sets `kept` on every clip without reasons. Returns the method used.
 */
export function decideNearDuplicates(run: FilterRun): DuplicateMethod {
  const { records, decisions, options: o } = run;
  const method: DuplicateMethod = run.keys.image !== undefined ? "clip" : "fingerprint";
  const candidates = records.flatMap((r, i) => {
    if (decisions[i].reasons.length > 0) return [];
    const vector = method === "clip" ? run.videoEmbeddings.get(r.id)! : run.fingerprints.get(r.id)!;
    return [{ id: r.id, vector, group: o.duplicateScope === "label" ? r.label : undefined }];
  });
  const { duplicates, maxCosine } = findNearDuplicates(candidates, { threshold: o.duplicateThreshold });
  records.forEach((r, i) => {
    const decision = decisions[i];
    if (decision.reasons.length > 0) return;
    const cosine = maxCosine.get(r.id);
    if (cosine !== undefined) decision.scores.duplicateCosine = roundTo(cosine);
    const dup = duplicates.get(r.id);
    if (dup) {
      decision.checks.duplicate = "fail";
      decision.duplicateOf = dup.of;
      decision.reasons.push(
        `near-duplicate: of ${dup.of} (${method} cosine ${dup.cosine.toFixed(4)} >= ${o.duplicateThreshold})`,
      );
    } else decision.checks.duplicate = "pass";
    decision.kept = decision.reasons.length === 0;
  });
  return method;
}
