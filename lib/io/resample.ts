/**
 * Segment resampling of a `[N, D]` sequence to `L` segments, exactly as the reference (`process_feat` in RTFM):
 * `r = np.linspace(0, N, L + 1).astype(int)`; segment `i` is the mean of rows `r[i] … r[i+1]−1`, or row `r[i]`
 * alone when `r[i] = r[i+1]` (short videos repeat rows).
 *
 * @module
 */

/**
 * The segment boundaries `r[0..L]` computed as NumPy's `linspace(0, n, segments + 1)` truncated to integers:
 * `r[i] = floor(i * (n / segments))` in float64, `r[L] = n`.
 *
 * @example
 * ```ts
 * import { segmentBoundaries } from "./resample.ts";
 * segmentBoundaries(3, 4); // Int32Array [0, 0, 1, 2, 3]
 * ```
 */
export function segmentBoundaries(n: number, segments: number): Int32Array {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot resample as the number of rows must be a positive integer: current value is ${n}`);
  }
  if (!Number.isInteger(segments) || segments < 1) {
    throw new RangeError(
      `Cannot resample as the segment count must be a positive integer: current value is ${segments}`,
    );
  }
  const r = new Int32Array(segments + 1);
  const step = n / segments;
  for (let i = 0; i < segments; i++) r[i] = Math.floor(i * step);
  r[segments] = n;
  return r;
}

const PAIRWISE_BLOCK = 128;

/** NumPy's float32 pairwise summation (`pairwise_sum_FLOAT`) of `n` values from `start`. */
function pairwiseSumF32(a: Float32Array, start: number, n: number): number {
  const f = Math.fround;
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res = f(res + a[start + i]);
    return res;
  }
  if (n <= PAIRWISE_BLOCK) {
    const r = new Float32Array(8);
    r.set(a.subarray(start, start + 8));
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let res = f(f(f(r[0] + r[1]) + f(r[2] + r[3])) + f(f(r[4] + r[5]) + f(r[6] + r[7])));
    for (; i < n; i++) res = f(res + a[start + i]);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return f(pairwiseSumF32(a, start, n2) + pairwiseSumF32(a, start + n2, n - n2));
}

/**
 * Resample `rows` (`n` rows of `dim` values, C order) to `segments` rows. Means are computed exactly as NumPy's
 * `np.mean(x, 0)` does for float32 input: a float32 sum row by row (pairwise when `dim` is 1, where NumPy reduces a
 * contiguous column) divided by the count in float32.
 *
 * @example
 * ```ts
 * import { resampleSegments } from "./resample.ts";
 * const out = resampleSegments(new Float32Array([1, 2, 3, 4]), 4, 1, 2); // [1.5, 3.5]
 * ```
 */
export function resampleSegments(rows: Float32Array, n: number, dim: number, segments: number): Float32Array {
  if (!Number.isInteger(dim) || dim < 1) {
    throw new RangeError(`Cannot resample as the row dimension must be a positive integer: current value is ${dim}`);
  }
  if (rows.length !== n * dim) {
    throw new RangeError(
      `Cannot resample as rows must hold n * dim = ${n} * ${dim} = ${n * dim} values: current value is ${rows.length}`,
    );
  }
  const r = segmentBoundaries(n, segments);
  const out = new Float32Array(segments * dim);
  for (let i = 0; i < segments; i++) {
    const a = r[i];
    const b = r[i + 1];
    const target = out.subarray(i * dim, (i + 1) * dim);
    if (a === b) {
      target.set(rows.subarray(a * dim, (a + 1) * dim));
      continue;
    }
    if (dim === 1) {
      target[0] = pairwiseSumF32(rows, a, b - a) / (b - a);
      continue;
    }
    target.set(rows.subarray(a * dim, (a + 1) * dim));
    for (let k = a + 1; k < b; k++) {
      const base = k * dim;
      for (let j = 0; j < dim; j++) target[j] += rows[base + j];
    }
    const count = b - a;
    if (count > 1) { for (let j = 0; j < dim; j++) target[j] = target[j] / count; }
  }
  return out;
}
