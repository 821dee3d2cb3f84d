/**
 * A small progress bar for tasks: redraws in place on a terminal, prints occasional plain lines otherwise
 * (CI logs, files). Shows count, percentage, rate and ETA.
 *
 * @module
 */

/** Options of {@linkcode ProgressBar}. */
export interface ProgressBarOptions {
  /**
   * Sink for the text; defaults to stderr.
   * @default {writes to stderr}
   */
  write?: (s: string) => void;
  /**
   * Redraw in place with `\r` (terminal). Defaults to whether stderr is a terminal (false when `write` is given).
   * @default {Deno.stderr.isTerminal()}
   */
  isTerminal?: boolean;
  /**
   * Minimum milliseconds between terminal redraws.
   * @default {100}
   */
  redrawIntervalMs?: number;
  /**
   * Minimum milliseconds between plain lines when not on a terminal (a line is also printed at every 10 %).
   * @default {30000}
   */
  lineIntervalMs?: number;
  /**
   * Width of the bar in characters.
   * @default {24}
   */
  width?: number;
  /**
   * Clock in milliseconds (injectable for tests).
   * @default {performance.now}
   */
  now?: () => number;
}

/** Defaults of {@linkcode ProgressBarOptions}. */
export const DEFAULT_PROGRESS_BAR_OPTIONS = { redrawIntervalMs: 100, lineIntervalMs: 30_000, width: 24 } as const;

function writeStderr(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
}

/** Format seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/**
 * Progress over `total` items.
 *
 * @example
 * ```ts
 * import { ProgressBar } from "./progress.ts";
 * const lines: string[] = [];
 * const bar = new ProgressBar("extract", 2, { write: (s) => lines.push(s) });
 * bar.tick(1, "a.mp4");
 * bar.done();
 * ```
 */
export class ProgressBar {
  #label: string;
  #total: number;
  #count = 0;
  #write: (s: string) => void;
  #terminal: boolean;
  #redrawMs: number;
  #lineMs: number;
  #width: number;
  #now: () => number;
  #start: number;
  #lastDraw = -Infinity;
  #lastDecile = 0;
  #finished = false;

  /** Creates a bar labelled `label` that counts to `total` (a non-negative number, else `RangeError`). */
  constructor(label: string, total: number, options: ProgressBarOptions = {}) {
    if (!Number.isFinite(total) || total < 0) {
      throw new RangeError(
        `Cannot create progress bar as total must be a non-negative number: current value is ${total}`,
      );
    }
    this.#label = label;
    this.#total = total;
    this.#write = options.write ?? writeStderr;
    this.#terminal = options.isTerminal ?? (options.write === undefined && Deno.stderr.isTerminal());
    this.#redrawMs = options.redrawIntervalMs ?? DEFAULT_PROGRESS_BAR_OPTIONS.redrawIntervalMs;
    this.#lineMs = options.lineIntervalMs ?? DEFAULT_PROGRESS_BAR_OPTIONS.lineIntervalMs;
    this.#width = options.width ?? DEFAULT_PROGRESS_BAR_OPTIONS.width;
    this.#now = options.now ?? (() => performance.now());
    this.#start = this.#now();
    this.#lastDraw = this.#terminal ? -Infinity : this.#start;
  }

  /** Items done so far. */
  get count(): number {
    return this.#count;
  }

  #text(info?: string): string {
    const elapsed = (this.#now() - this.#start) / 1000;
    const fraction = this.#total > 0 ? Math.min(1, this.#count / this.#total) : 1;
    const rate = elapsed > 0 ? this.#count / elapsed : 0;
    const eta = rate > 0 ? (this.#total - this.#count) / rate : NaN;
    const filled = Math.round(fraction * this.#width);
    const bar = this.#terminal ? ` [${"#".repeat(filled)}${"-".repeat(this.#width - filled)}]` : "";
    const rateText = rate >= 10 ? rate.toFixed(0) : rate.toFixed(2);
    return `${this.#label}${bar} ${this.#count}/${this.#total} ${(fraction * 100).toFixed(1)}% ${rateText}/s ` +
      `elapsed ${formatDuration(elapsed)} eta ${this.#finished ? "0s" : formatDuration(eta)}${info ? ` ${info}` : ""}`;
  }

  /** Advance by `n` items (default 1); `info` is shown after the numbers (e.g. the current file). */
  tick(n = 1, info?: string): void {
    if (this.#finished) return;
    this.#count += n;
    const now = this.#now();
    if (this.#terminal) {
      if (now - this.#lastDraw >= this.#redrawMs) {
        this.#lastDraw = now;
        this.#write(`\r\x1b[2K${this.#text(info)}`);
      }
      return;
    }
    const decile = this.#total > 0 ? Math.floor((10 * this.#count) / this.#total) : 0;
    if (decile > this.#lastDecile || now - this.#lastDraw >= this.#lineMs) {
      this.#lastDecile = Math.max(decile, this.#lastDecile);
      this.#lastDraw = now;
      if (this.#count < this.#total) this.#write(`${this.#text(info)}\n`);
    }
  }

  /** Finish: prints the final state on its own line. Later calls do nothing. */
  done(info?: string): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#write(`${this.#terminal ? "\r\x1b[2K" : ""}${this.#text(info)}\n`);
  }
}
