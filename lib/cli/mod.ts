/**
 * Command-line plumbing shared by every task: strict flags, top-level error printing, progress bar, progress by
 * frames within videos.
 *
 * @module
 */
export {
  type BooleanFlagDeclaration,
  choiceOrInteger,
  type EnumFlagDeclaration,
  type FlagDeclaration,
  type FlagSpec,
  type FlagValue,
  type FlagValues,
  formatUsage,
  type ListFlagDeclaration,
  type NumberFlagDeclaration,
  type ParsedFlags,
  parseFlags,
  runMain,
  type RunMainOptions,
  runTask,
  type StringFlagDeclaration,
  type TaskDefinition,
  type UsageText,
} from "./flags.ts";
export { DEFAULT_PROGRESS_BAR_OPTIONS, formatDuration, ProgressBar, type ProgressBarOptions } from "./progress.ts";
export {
  DEFAULT_VIDEO_PROGRESS_OPTIONS,
  VideoProgress,
  type VideoProgressEvent,
  type VideoProgressOptions,
} from "./video_progress.ts";
export { checkPathFlag, type PathFlagSpec, type PathKind } from "./paths.ts";
