/**
 * `ClipSums` — one video's running sums of frame embeddings per clip and crop, grown as clips arrive, pooled into the
 * written array (`[crop][clip][D]`, i.e. `CTD`, which is `TD` for one crop) when the video ends.
 * @module
 */

/** Running sums `[clip][crop][D]` of one video's weighted frame embeddings. */
export class ClipSums {
  #sums: Float32Array;
  #capacity: number;
  readonly #crops: number;
  readonly #dim: number;

  /** Room for `expectedClips` clips to start with (grows when more arrive), `crops` crops of `dim` floats. */
  constructor(expectedClips: number, crops: number, dim: number) {
    this.#capacity = Math.max(1, expectedClips);
    this.#crops = crops;
    this.#dim = dim;
    this.#sums = new Float32Array(this.#capacity * crops * dim);
  }

  /**
   * Adds `weight ×` the embedding at `rows[offset … offset + D)` to `clip`/`crop`; with `normalizeFrame` the embedding
   * is L2-normalised first.
   */
  add(clip: number, crop: number, rows: ArrayLike<number>, offset: number, weight: number, normalizeFrame: boolean) {
    if (clip >= this.#capacity) this.#grow(clip);
    const dim = this.#dim;
    let scale = weight;
    if (normalizeFrame) {
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += rows[offset + d] * rows[offset + d];
      if (norm > 0) scale /= Math.sqrt(norm);
    }
    const base = (clip * this.#crops + crop) * dim;
    for (let d = 0; d < dim; d++) this.#sums[base + d] += rows[offset + d] * scale;
  }

  #grow(clip: number): void {
    let capacity = this.#capacity * 2;
    while (clip >= capacity) capacity *= 2;
    const grown = new Float32Array(capacity * this.#crops * this.#dim);
    grown.set(this.#sums);
    this.#sums = grown;
    this.#capacity = capacity;
  }

  /**
   * The first `clips` clips pooled: each sum divided by `positions` (the frames pooling averages), crop-major
   * (`[crop][clip][D]`); with `normalizeClip` each pooled row is L2-normalised.
   */
  pooled(clips: number, positions: number, normalizeClip: boolean): Float32Array {
    const dim = this.#dim;
    const out = new Float32Array(this.#crops * clips * dim);
    for (let t = 0; t < clips; t++) {
      for (let c = 0; c < this.#crops; c++) {
        const src = (t * this.#crops + c) * dim;
        const dst = (c * clips + t) * dim;
        let norm = 0;
        for (let d = 0; d < dim; d++) {
          const v = t < this.#capacity ? this.#sums[src + d] / positions : 0;
          out[dst + d] = v;
          norm += v * v;
        }
        if (normalizeClip && norm > 0) {
          const inv = 1 / Math.sqrt(norm);
          for (let d = 0; d < dim; d++) out[dst + d] *= inv;
        }
      }
    }
    return out;
  }
}
