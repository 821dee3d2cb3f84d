/**
 * Synthetic features with a planted anomaly signal, for trainer tests: normal clips ~ N(0, 1); clips of an
 * anomalous video inside its annotated interval get `+strength` on the first `signalDims` dimensions.
 */
import { join } from "node:path";
import { writeNpy } from "../../lib/io/npy.ts";
import type { FeatureLayout } from "../../lib/io/features.ts";
import type { VideoRecord } from "../../lib/io/manifest.ts";
import { SeededRandom } from "../../lib/train/random.ts";

export interface SyntheticOptions {
  normal: number;
  anomalous: number;
  dim: number;
  crops: number;
  minClips: number;
  maxClips: number;
  strength: number;
  signalDims: number;
  seed: number;
  prefix: string;
  synthetic: number; // how many of each class are marked source: synthetic
  layout: FeatureLayout;
  text: boolean;
}

function gaussian(r: SeededRandom): number {
  const u = Math.max(r.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.next());
}

export async function writeSyntheticSet(dir: string, options: Partial<SyntheticOptions> = {}): Promise<VideoRecord[]> {
  const o: SyntheticOptions = {
    normal: 6,
    anomalous: 6,
    dim: 16,
    crops: 1,
    minClips: 12,
    maxClips: 24,
    strength: 2,
    signalDims: 4,
    seed: 1,
    prefix: "v",
    synthetic: 0,
    layout: "TD",
    text: false,
    ...options,
  };
  const r = new SeededRandom(o.seed, 9);
  const records: VideoRecord[] = [];
  for (let i = 0; i < o.normal + o.anomalous; i++) {
    const anomalous = i >= o.normal;
    const t = o.minClips + r.int(o.maxClips - o.minClips + 1);
    const start = r.int(Math.max(1, t - 4));
    const end = Math.min(t, start + 2 + r.int(3));
    const c = o.layout === "TD" ? 1 : o.crops;
    const data = new Float32Array(t * c * o.dim);
    const text = new Float32Array(t * o.dim);
    for (let clip = 0; clip < t; clip++) {
      const hot = anomalous && clip >= start && clip < end;
      for (let k = 0; k < o.dim; k++) text[clip * o.dim + k] = gaussian(r) * 0.1 + (hot && k >= o.dim - 2 ? 1 : 0);
      for (let crop = 0; crop < c; crop++) {
        for (let k = 0; k < o.dim; k++) {
          const index = o.layout === "CTD" ? (crop * t + clip) * o.dim + k : (clip * c + crop) * o.dim + k;
          data[index] = gaussian(r) + (hot && k < o.signalDims ? o.strength : 0);
        }
      }
    }
    const id = `${o.prefix}${i}`;
    const path = join(dir, `${id}.npy`);
    const shape = o.layout === "TD" ? [t, o.dim] : o.layout === "CTD" ? [c, t, o.dim] : [t, c, o.dim];
    await writeNpy(path, { data, shape, dtype: "float32" });
    const record: VideoRecord = {
      id,
      path,
      label: anomalous ? "anomalous" : "normal",
      source: (anomalous ? i - o.normal : i) < o.synthetic ? "synthetic" : "real",
      layout: o.layout,
      frames: t * 16,
      intervals: anomalous ? [[start * 16, end * 16 - 1]] : [],
      class: anomalous ? "Planted" : "Normal",
    };
    if (o.text) {
      const textPath = join(dir, `${id}.text.npy`);
      await writeNpy(textPath, { data: text, shape: [t, o.dim], dtype: "float32" });
      record.text = textPath;
    }
    records.push(record);
  }
  return records;
}
