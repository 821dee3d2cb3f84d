/**
 * The caveat every output carries when its model was selected on the test set (house rule: model selection never
 * touches the test set unless the output labels it as best-on-test).
 *
 * @module
 */

/**
 * What best-on-test selection means for the numbers, written after the policy in selection labels, reports and
 * tables: `best-on-test (iteration 40, chosen by test AUC: …)`.
 *
 * @example
 * ```ts
 * import { BEST_ON_TEST_CAVEAT } from "./selection_caveat.ts";
 * const label = `best-on-test (${BEST_ON_TEST_CAVEAT})`;
 * ```
 */
export const BEST_ON_TEST_CAVEAT = "chosen by test AUC: optimistic, only for comparison with published numbers";
