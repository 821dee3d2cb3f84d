/**
 * Internal: the running statistics of {@link measureTechnical}'s analysis frames — luma moments, consecutive-frame
 * differences (motion) and per-frame `grid × grid` luma cells — and the content fingerprint built from the cells.
 * @module
 */
import { l2Normalize } from "./_vector.ts";

/**
 * Luma energy (RMS, levels) below which a fingerprint is all zeros: differences under half a level are rounding noise
 * of the 8-bit conversion, so a flat video never looks like a pattern.
 */
const FLAT_FINGERPRINT_ENERGY = 0.5;

/** Luma and motion summary of the frames added to a {@link FrameStats}. */
export interface LumaSummary {
  /** Mean luma (BT.601, 0–255) over all frames and pixels. */
  meanLuma: number;
  /** Standard deviation of luma over all frames and pixels. */
  lumaStd: number;
  /** Mean absolute luma difference between consecutive frames. */
  motion: number;
  /** Median of the per-pair absolute luma differences. */
  motionMedian: number;
  /** Largest per-pair absolute luma difference. */
  motionMax: number;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Accumulates packed-RGB analysis frames of `width × height` pixels, one at a time, in decode order. */
export class FrameStats {
  /** Frames added. */
  frames = 0;
  #pixels: number;
  #grid: number;
  #cellOf: Int32Array;
  #cellCount: Float64Array;
  #cellsPerFrame: Float32Array[] = [];
  #pairDiffs: number[] = [];
  #previous: Float32Array | undefined;
  #current: Float32Array;
  #lumaSum = 0;
  #lumaSquares = 0;

  constructor(width: number, height: number, grid: number) {
    this.#pixels = width * height;
    this.#grid = grid;
    this.#cellOf = new Int32Array(this.#pixels);
    this.#cellCount = new Float64Array(grid * grid);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const c = Math.floor(y * grid / height) * grid + Math.floor(x * grid / width);
        this.#cellOf[y * width + x] = c;
        this.#cellCount[c]++;
      }
    }
    this.#current = new Float32Array(this.#pixels);
  }

  /** Adds one frame (packed RGB bytes, `width × height × 3`). */
  add(rgb: Uint8Array): void {
    const pixels = this.#pixels;
    const current = this.#current;
    const previous = this.#previous;
    const cells = new Float32Array(this.#grid * this.#grid);
    let diff = 0;
    for (let p = 0, q = 0; p < pixels; p++, q += 3) {
      const y = 0.299 * rgb[q] + 0.587 * rgb[q + 1] + 0.114 * rgb[q + 2];
      current[p] = y;
      this.#lumaSum += y;
      this.#lumaSquares += y * y;
      cells[this.#cellOf[p]] += y;
      if (previous) diff += Math.abs(y - previous[p]);
    }
    for (let c = 0; c < cells.length; c++) cells[c] /= this.#cellCount[c];
    this.#cellsPerFrame.push(cells);
    if (previous) this.#pairDiffs.push(diff / pixels);
    this.#current = previous ?? new Float32Array(pixels);
    this.#previous = current;
    this.frames++;
  }

  /** Luma moments and motion of the frames added (at least one). */
  luma(): LumaSummary {
    const n = this.frames * this.#pixels;
    const meanLuma = this.#lumaSum / n;
    const variance = Math.max(0, this.#lumaSquares / n - meanLuma * meanLuma);
    const diffs = this.#pairDiffs;
    return {
      meanLuma,
      lumaStd: Math.sqrt(variance),
      motion: diffs.length > 0 ? diffs.reduce((a, b) => a + b, 0) / diffs.length : 0,
      motionMedian: median(diffs),
      motionMax: diffs.reduce((a, b) => Math.max(a, b), 0), // no spread: long videos exceed the argument limit
    };
  }

  /**
   * Content fingerprint of the frames added (at least one): the cells averaged over `segments` equal parts of the
   * video, concatenated, centred and L2-normalised, rounded to 6 decimals; all zeros for a flat video.
   */
  fingerprint(segments: number): number[] {
    const frames = this.frames;
    const size = this.#grid * this.#grid;
    const used = Math.min(segments, frames);
    const raw = new Float64Array(segments * size);
    const perSegment = new Float64Array(segments);
    for (let i = 0; i < frames; i++) {
      const s = Math.floor(i * used / frames);
      perSegment[s]++;
      const cells = this.#cellsPerFrame[i];
      for (let c = 0; c < cells.length; c++) raw[s * size + c] += cells[c];
    }
    // Fewer frames than segments: repeat the last segment so every fingerprint has the same length.
    for (let s = 0; s < segments; s++) {
      const from = s < used ? s : used - 1;
      for (let c = 0; c < size; c++) raw[s * size + c] = raw[from * size + c] / (perSegment[from] || 1);
    }
    let mean = 0;
    for (const v of raw) mean += v;
    mean /= raw.length;
    const centred = raw.map((v) => v - mean);
    const energy = Math.sqrt(centred.reduce((sum, v) => sum + v * v, 0) / centred.length);
    const fingerprint = energy < FLAT_FINGERPRINT_ENERGY ? new Float32Array(centred.length) : l2Normalize(centred);
    return Array.from(fingerprint, (v) => Math.round(v * 1e6) / 1e6);
  }
}
