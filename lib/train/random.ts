/**
 * Seeded pseudo-random numbers for initialisation, dropout and shuffling. The state is one 32-bit integer, so it
 * serialises into checkpoints and resumes exactly.
 *
 * Why not `createRandom` from `lib/io/random.ts`: the algorithm is the same (mulberry32, so
 * `new SeededRandom(seed, stream)` yields exactly the numbers of `createRandom(mixSeed(seed, stream) >>> 0)`, which a
 * test pins), but `createRandom` keeps its state in a closure. Exact resume needs to read and restore the state
 * (`state`), and the trainer needs independent per-purpose streams (init 1, dropout 2, sampler 3, hold-out 4) from one
 * seed (`mixSeed`). `fillDropoutMask` inlines the step for speed (millions of values per iteration).
 *
 * @module
 */

/** A seeded generator (mulberry32) whose whole state is `state`. */
export class SeededRandom {
  /** The 32-bit state; save and restore it for an exact resume. */
  state: number;

  /** Create a generator for stream `stream` of `seed` (mixed so that nearby seeds give unrelated streams). */
  constructor(seed: number, stream = 0) {
    this.state = mixSeed(seed, stream);
  }

  /** A uniform float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fill `out` with uniform values in [low, high). */
  fillUniform(out: Float32Array, low: number, high: number): Float32Array {
    const span = high - low;
    for (let i = 0; i < out.length; i++) out[i] = low + span * this.next();
    return out;
  }

  /**
   * Fill `out` with an inverted-dropout mask: 0 with probability `p`, else `1 / (1 - p)` (0 where the uniform value
   * `u / 2³²` is below `p`). The comparison is branch-free integer arithmetic (a random branch mispredicts half the
   * time); the values are those of `next() < p`.
   */
  fillDropoutMask(out: Float32Array, p: number): Float32Array {
    const values = new Float32Array([1 / (1 - p), 0]); // [kept, dropped]
    // u / 2³² < p ⇔ u < ⌈p·2³²⌉ for an integer u; compared as signed integers after flipping the top bit.
    const bound = Math.ceil(p * 4294967296);
    const biasedBound = (bound ^ 0x80000000) | 0;
    let s = this.state;
    for (let i = 0; i < out.length; i++) {
      let t = (s = (s + 0x6d2b79f5) | 0);
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const u = t ^ (t >>> 14) ^ 0x80000000;
      const d = (u - biasedBound) | 0; // u < bound ⇔ the sign of u − bound, overflow-corrected
      out[i] = values[(d ^ ((u ^ biasedBound) & (d ^ u))) >>> 31];
    }
    this.state = s;
    if (bound >= 4294967296) out.fill(0); // p ≥ 1 drops everything
    return out;
  }

  /** A seeded Fisher–Yates permutation of `0 … n-1`. */
  permutation(n: number): number[] {
    const out = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

/** Mix a seed and a stream number into a 32-bit state (splitmix-style). */
export function mixSeed(seed: number, stream = 0): number {
  let z = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d);
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b);
  return (z ^ (z >>> 16)) | 0;
}

/**
 * Xavier-uniform (Glorot) values for a weight with the given fans, as PyTorch's `xavier_uniform_`.
 *
 * @example
 * ```ts
 * import { SeededRandom, xavierUniform } from "./random.ts";
 * const w = xavierUniform(new SeededRandom(0), 768 * 512, 768, 512);
 * ```
 */
export function xavierUniform(random: SeededRandom, size: number, fanIn: number, fanOut: number): Float32Array {
  const bound = Math.sqrt(6 / (fanIn + fanOut));
  return random.fillUniform(new Float32Array(size), -bound, bound);
}
