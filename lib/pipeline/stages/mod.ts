/**
 * `PIPELINE_STAGES`: the pipeline's stages, one module each in this folder, in the order `runPipeline()` runs them
 * (each after the stages its `after` names). Adding a stage is one module here and one line in the list (with its
 * import); see docs/architecture.md ("Adding a pipeline stage").
 *
 * @module
 */
import type { PipelineStage } from "../types.ts";
import { REAL_STAGE } from "./real.ts";
import { PROMPTS_STAGE } from "./prompts.ts";
import { GENERATE_STAGE } from "./generate.ts";
import { FILTER_STAGE } from "./filter.ts";
import { EXTRACT_STAGE } from "./extract.ts";
import { TRAIN_STAGE } from "./train.ts";
import { EVALUATE_STAGE } from "./evaluate.ts";
import { REPORT_STAGE } from "./report.ts";

/** The pipeline's stages, in the order they run. */
export const PIPELINE_STAGES: readonly PipelineStage<unknown, unknown>[] = Object.freeze([
  REAL_STAGE,
  PROMPTS_STAGE,
  GENERATE_STAGE,
  FILTER_STAGE,
  EXTRACT_STAGE,
  TRAIN_STAGE,
  EVALUATE_STAGE,
  REPORT_STAGE,
]);
