/**
 * Label conventions of the training stage's test evaluation. Test frame labels are built by lib/eval's
 * `videoScoresFromRecord` (shared with `deno task evaluate`, so both report clipped intervals the same way), whose
 * labels are lib/gt's `buildVideoLabels` (exact length): no copy of the interval rule lives in lib/train.
 *
 * @module
 */

import type { IntervalEnd } from "../gt/labels.ts";

/** How an interval's end frame counts (lib/gt's type, so the public API has one). */
export type { IntervalEnd };
