/**
 * The public API: `deno.json` exports the root module and one subpath per area (not the task plumbing of lib/cli), the
 * root module holds the stage entry points only, each the same function as in its area, and `deno doc --lint` over
 * all the exports together (what JSR checks) finds nothing.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as api from "../mod.ts";
import * as encode from "../lib/encode/mod.ts";
import * as evaluation from "../lib/eval/mod.ts";
import * as filter from "../lib/filter/mod.ts";
import * as generate from "../lib/generate/mod.ts";
import * as gt from "../lib/gt/mod.ts";
import * as io from "../lib/io/mod.ts";
import * as pipeline from "../lib/pipeline/mod.ts";
import * as prompts from "../lib/prompts/mod.ts";
import * as train from "../lib/train/mod.ts";
import * as video from "../lib/video/mod.ts";

/** The area barrels by subpath. */
const BARRELS: Record<string, Record<string, unknown>> = {
  "./encode": encode,
  "./eval": evaluation,
  "./filter": filter,
  "./generate": generate,
  "./gt": gt,
  "./io": io,
  "./pipeline": pipeline,
  "./prompts": prompts,
  "./train": train,
  "./video": video,
};

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const exportsMap = (JSON.parse(Deno.readTextFileSync(join(root, "deno.json"))) as { exports: Record<string, string> })
  .exports;

/** The areas of lib/ (one folder each), from the file system. */
const areas = [...Deno.readDirSync(join(root, "lib"))].filter((e) => e.isDirectory).map((e) => e.name).sort();

Deno.test("deno.json exports mod.ts as the root and every lib area but cli as a subpath", () => {
  strictEqual(exportsMap["."], "./mod.ts");
  const expected = Object.fromEntries(
    areas.filter((a) => a !== "cli").map((a) => [`./${a}`, `./lib/${a}/mod.ts`]),
  );
  const { ".": _root, ...subpaths } = exportsMap;
  deepStrictEqual(subpaths, expected);
  for (const file of Object.values(exportsMap)) ok(existsSync(join(root, file)), `${file} is missing`);
});

Deno.test("mod.ts exports the stage entry points and nothing of the task plumbing", () => {
  const values = Object.keys(api).sort();
  deepStrictEqual(values, [
    "VIDEO_LABELS",
    "VIDEO_SOURCES",
    "buildGroundTruth",
    "evaluateFrames",
    "evaluateVideos",
    "extractFeatures",
    "filterVideos",
    "generateVideos",
    "inferVideo",
    "inferVideoFolder",
    "readManifest",
    "resolvePipelineConfig",
    "runAblation",
    "runPipeline",
    "synthesizePrompts",
    "trainDetector",
    "trainSeeds",
    "writeManifest",
  ]);
  for (const name of values.filter((n) => n !== "VIDEO_LABELS" && n !== "VIDEO_SOURCES")) {
    strictEqual(typeof (api as Record<string, unknown>)[name], "function", name);
  }
});

Deno.test("each mod.ts export is the same binding as in its area's subpath", () => {
  deepStrictEqual(Object.keys(BARRELS).sort(), Object.keys(exportsMap).filter((k) => k !== ".").sort());
  for (const [name, value] of Object.entries(api)) {
    const owners = Object.keys(BARRELS).filter((key) => BARRELS[key][name] === value);
    ok(owners.length >= 1, `${name} is in no subpath`);
  }
});

Deno.test("deno doc --lint finds nothing over all the exports together", async () => {
  const files = Object.values(exportsMap);
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", ...files],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  ok(success, new TextDecoder().decode(stderr));
});
