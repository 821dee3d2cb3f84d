/**
 * Command-line plumbing shared by every task: strict flags, top-level error printing, progress bar.
 *
 * @module
 */
export {
  enumFlag,
  type FlagSpec,
  formatUsage,
  numberFlag,
  type ParsedFlags,
  parseFlags,
  runMain,
  type RunMainOptions,
  runTask,
  type TaskDefinition,
} from "./flags.ts";
export { DEFAULT_PROGRESS_BAR_OPTIONS, formatDuration, ProgressBar, type ProgressBarOptions } from "./progress.ts";
