/**
 * Private helper of `trainDetector()`: cut `metrics.jsonl` back to a checkpoint before a resumed run appends to it.
 *
 * @module
 */
import { writeFileAtomic } from "../io/atomic.ts";

/**
 * Rewrite the metrics log at `path` atomically so that it holds only what the run had logged up to the checkpoint
 * at `iteration`: lines whose `iteration` is at most `iteration`, and lines without a numeric `iteration` that come
 * before the first dropped line. `final` lines are dropped (the resumed run writes its own). A last line that is not
 * valid JSON is the torn write of a killed run and is dropped; an invalid line elsewhere is a `SyntaxError` naming
 * the file and line. A missing file is left missing. Returns the number of lines dropped.
 */
export async function truncateMetricsLog(path: string, iteration: number): Promise<number> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
  const lines = text.split("\n");
  while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
  const kept: string[] = [];
  let dropped = 0;
  let cut = false;
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k].trim();
    if (line === "") continue;
    let value: { type?: unknown; iteration?: unknown };
    try {
      value = JSON.parse(line);
    } catch (error) {
      if (k === lines.length - 1) {
        dropped++;
        continue;
      }
      throw new SyntaxError(
        `Cannot resume the metrics log ${path}:${k + 1} as every line must be JSON: current value is ${
          line.slice(0, 80)
        }`,
        { cause: error },
      );
    }
    const stepped = typeof value?.iteration === "number";
    const keep = value?.type !== "final" && (stepped ? (value.iteration as number) <= iteration : !cut);
    if (keep) {
      kept.push(line);
    } else {
      dropped++;
      cut = true;
    }
  }
  if (dropped > 0) await writeFileAtomic(path, kept.map((l) => l + "\n").join(""));
  return dropped;
}
