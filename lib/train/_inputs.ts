/**
 * Private checks of `trainDetector()`'s inputs that do not fit in one line there.
 *
 * @module
 */
import type { SelectPolicy } from "./train.ts";

/**
 * `best-on-test` selects on test AUC, so it needs test videos: without them it would silently become `last`.
 * Throws a `RangeError` naming the policy.
 */
export function checkSelectionInputs(select: SelectPolicy, testVideos: number): void {
  if (select === "best-on-test" && testVideos === 0) {
    throw new RangeError(
      'Cannot select "best-on-test" as it chooses by test AUC and needs test videos (use "last" or "val"): ' +
        "current value is 0 test videos",
    );
  }
}
