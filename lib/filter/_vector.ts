/**
 * Internal vector helpers of the filter area: L2 normalisation, cosine similarity, float32 ↔ base64.
 * @module
 */

/** Returns a copy of `v` scaled to unit L2 norm (all zeros stays all zeros). */
export function l2Normalize(v: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const norm = Math.sqrt(sum);
  const out = new Float32Array(v.length);
  if (norm === 0 || !Number.isFinite(norm)) return out;
  for (let i = 0; i < v.length; i++) out[i] = v[i] / norm;
  return out;
}

/** Cosine similarity; 0 when either vector is all zeros. Throws when the lengths differ. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new RangeError(`Cannot compare vectors as their lengths differ: current value is ${a.length} vs ${b.length}`);
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

/** Float32 little-endian bytes as base64 (compact JSON storage of embeddings). */
export function encodeFloat32Base64(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Inverse of {@link encodeFloat32Base64}. */
export function decodeFloat32Base64(text: string): Float32Array {
  const binary = atob(text);
  if (binary.length % 4 !== 0) {
    throw new SyntaxError(
      `Cannot decode embedding as its byte length must be a multiple of 4: current value is ${binary.length}`,
    );
  }
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) view.setUint8(i, binary.charCodeAt(i));
  const out = new Float32Array(binary.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Rounds to `digits` decimals (for scores written to JSON). */
export function roundTo(value: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
