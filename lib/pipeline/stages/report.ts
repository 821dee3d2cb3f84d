/**
 * Stage `report`: `report.md` and the self-contained `report.html` (figures inline, also in `figures/`), written by
 * `writeReport` from `evaluate/results.json` and the run's files.
 *
 * @module
 */
import { writeReport } from "../report.ts";
import type { PipelineResults, PipelineStage } from "../types.ts";

/** What the report stage records: the two reports' paths. */
export interface ReportStageResult {
  /** `report.md`. */
  markdown: string;
  /** `report.html`. */
  html: string;
}

/** The run's report. */
export const REPORT_STAGE: PipelineStage<ReportStageResult> = {
  name: "report",
  after: ["evaluate"],
  inputs({ config }) {
    return { config };
  },
  async run({ config, layout, inputHashes, promptsHash }) {
    const results = JSON.parse(await Deno.readTextFile(layout.evaluate.results)) as PipelineResults;
    const paths = await writeReport(layout.root, { config, results, inputHashes, promptsHash });
    return { result: paths, files: [paths.markdown, paths.html] };
  },
};
