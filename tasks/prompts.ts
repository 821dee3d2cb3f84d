/**
 * `deno task prompts` — synthesize description pairs (anomalous + normal of the same scene) from the element
 * catalogues in `prompts/`, with the offline template backend (default) or an OpenAI-compatible LLM.
 *
 * Permissions: read/write (catalogues, output); net `127.0.0.1,localhost,api.openai.com` (openai backend only;
 * add other hosts in deno.json, see docs/synthetic.md); env `OPENAI_API_KEY` (openai backend; never logged).
 * Inputs: `prompts/elements/*.json`, `prompts/templates/<version>.json`.
 * Outputs: `<out>` (JSON Lines of pairs), `<out minus .jsonl>.csv`, `config.json` beside them.
 *
 * @example
 * ```sh
 * deno task prompts --count 300 --seed 1 --out runs/prompts/demo/pairs.jsonl
 * OPENAI_API_KEY=... deno task prompts --backend openai --base-url http://127.0.0.1:8000/v1 --model qwen2.5-7b --count 50
 * ```
 * @module
 */
import { dirname, resolve } from "node:path";
import { type FlagSpec, runTask } from "../lib/cli/flags.ts";
import { createRunDir, writeRunConfig } from "../lib/io/run_dir.ts";
import { assertNetPermission } from "../lib/generate/permissions.ts";
import { createRedactor, redactValue } from "../lib/generate/redact.ts";
import {
  DEFAULT_SYNTHESIZE_PROMPTS_OPTIONS,
  type DroppedCandidate,
  PROMPT_BACKENDS,
  resolveSynthesizePromptsOptions,
  synthesizePrompts,
  type SynthesizePromptsOptions,
} from "../lib/prompts/synthesize.ts";
import { UCF_CRIME_CLASSES } from "../lib/prompts/catalogue.ts";

const D = DEFAULT_SYNTHESIZE_PROMPTS_OPTIONS;
const DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1";

const SPEC = {
  count: { type: "integer", min: 0, short: "n", default: D.count, description: "number of pairs" },
  seed: { type: "integer", min: 0, default: D.seed, description: "sampling seed" },
  backend: {
    type: "enum",
    values: PROMPT_BACKENDS,
    default: D.backend,
    description: `backend: ${PROMPT_BACKENDS.join(" | ")}`,
  },
  out: { type: "string", short: "o", description: "pairs JSON Lines file (default runs/prompts/<id>/pairs.jsonl)" },
  classes: { type: "list", description: "comma-separated classes to sample (default all)" },
  "ucf-only": { type: "boolean", default: false, description: "only the 13 UCF-Crime classes" },
  "prompts-dir": { type: "string", description: "folder with elements/ and templates/ (default prompts/)" },
  version: { type: "string", default: D.promptVersion, description: "prompt template version" },
  model: { type: "string", default: D.model, description: "LLM model (openai backend)" },
  "base-url": { type: "string", description: `LLM endpoint (default ${DEFAULT_OPENAI_BASE_URL})` },
  temperature: { type: "number", min: 0, max: 2, default: D.temperature, description: "LLM temperature" },
  "max-attempts": {
    type: "integer",
    min: 1,
    default: D.maxAttempts,
    description: "LLM answers tried per scene",
  },
  "retry-delay-ms": {
    type: "number",
    min: 0,
    default: D.responseRetryDelayMs,
    description: "first wait before asking again when an LLM response broke off or is not JSON (doubles)",
  },
  concurrency: { type: "integer", min: 1, default: D.concurrency, description: "concurrent LLM requests" },
  "max-chars": { type: "integer", min: 1, default: D.maxChars, description: "maximum characters per description" },
  "duplicate-threshold": {
    type: "number",
    min: 0.01,
    max: 1,
    default: D.duplicateThreshold,
    description: "shingle Jaccard at which a description is a near-duplicate",
  },
  "require-event-mention": {
    type: "boolean",
    default: false,
    description: "reject anomalous descriptions without an event keyword",
  },
  quiet: { type: "boolean", short: "q", default: false, description: "print only the summary" },
} as const satisfies FlagSpec;

const USAGE = "deno task prompts [options]";
const DESCRIPTION = "Synthesize pairs of anomalous/normal scene descriptions from the catalogues in prompts/ " +
  "(offline templates or an LLM).";
const EXAMPLES = [
  "deno task prompts --count 6 --seed 0 --out runs/prompts/demo/pairs.jsonl",
  `OPENAI_API_KEY=... deno task prompts --backend openai --base-url http://127.0.0.1:8000/v1 --model qwen2.5-7b \\
     --count 50 --out runs/prompts/llm/pairs.jsonl`,
];

/** Entry point; returns the exit code. */
export function main(args: string[]): Promise<number> {
  // every line this task prints or writes passes through `redact`: an endpoint's error body may echo the key
  const redact = createRedactor([Deno.env.get("OPENAI_API_KEY")]);
  const say = (text: string) => console.log(redact(text));
  const warn = (text: string) => console.error(redact(text));
  return runTask(args, {
    flags: SPEC,
    usage: USAGE,
    description: DESCRIPTION,
    examples: EXAMPLES,
    print: console.log,
    run: async ({ values }) => {
      const backend = values.backend;
      const classes = values["ucf-only"] ? [...UCF_CRIME_CLASSES] : values.classes;
      const options: SynthesizePromptsOptions = {
        count: values.count,
        seed: values.seed,
        backend,
        classes,
        promptsDir: values["prompts-dir"],
        promptVersion: values.version,
        maxChars: values["max-chars"],
        duplicateThreshold: values["duplicate-threshold"],
        requireEventMention: values["require-event-mention"],
      };
      if (backend === "openai") {
        const baseUrl = values["base-url"] ?? DEFAULT_OPENAI_BASE_URL;
        await assertNetPermission(baseUrl, "LLM base URL");
        const apiKey = Deno.env.get("OPENAI_API_KEY") ?? "";
        if (apiKey === "" && new URL(baseUrl).hostname === "api.openai.com") {
          throw new TypeError("Cannot use api.openai.com as OPENAI_API_KEY is not set: current value is empty");
        }
        Object.assign(options, {
          baseUrl,
          apiKey,
          model: values.model,
          temperature: values.temperature,
          maxAttempts: values["max-attempts"],
          responseRetryDelayMs: values["retry-delay-ms"],
          concurrency: values.concurrency,
        });
      }
      // Resolved fully (catalogue, template and classes checked) before any folder or file exists.
      const resolved = await resolveSynthesizePromptsOptions(options);
      const out = resolve(values.out ?? resolve(await createRunDir("runs", "prompts"), "pairs.jsonl"));
      const controller = new AbortController();
      const onSignal = () => controller.abort(new DOMException("interrupted", "AbortError"));
      Deno.addSignalListener("SIGINT", onSignal);
      try {
        const { apiKey: _secret, catalogue: _catalogue, template, ...recorded } = resolved;
        await Deno.mkdir(dirname(out), { recursive: true });
        // The run's first output: the resolved configuration (the key never; the template by version and folder).
        await writeRunConfig(
          dirname(out),
          redactValue({ task: "prompts", ...recorded, promptVersion: template.version, out }, redact),
        );
        const result = await synthesizePrompts({
          ...resolved,
          out,
          signal: controller.signal,
          onEvent: values.quiet ? undefined : (event) => {
            if (event.type === "invalid") warn(describeDrop(event));
          },
        });
        const perClass = new Map<string, number>();
        for (const pair of result.pairs) perClass.set(pair.class, (perClass.get(pair.class) ?? 0) + 1);
        say(`pairs: ${result.pairs.length} of ${options.count ?? D.count} (backend ${backend})`);
        say(
          `near-duplicates removed: ${result.duplicatesRemoved}; invalid dropped: ${result.invalidDropped}` +
            (backend === "openai" ? `; broken responses dropped: ${result.responseDropped}` : ""),
        );
        if (backend === "openai") {
          say(`LLM requests: ${result.requests}; invalid answers: ${result.invalidAnswers}`);
        }
        for (const drop of result.dropped.slice(0, 10)) say(`  ${describeDrop(drop)}`);
        if (result.dropped.length > 10) say(`  … and ${result.dropped.length - 10} more dropped scenes`);
        say(`per class: ${[...perClass].map(([c, n]) => `${c} ${n}`).join(", ")}`);
        say(`wrote ${result.files!.jsonl}\nwrote ${result.files!.csv}`);
        return result.pairs.length < (options.count ?? D.count) ? 2 : 0;
      } finally {
        Deno.removeSignalListener("SIGINT", onSignal);
      }
    },
  }, { writeError: (text) => writeStderr(redact(text)) });
}

/** Write `text` to stderr as `runTask` does by default (here after redaction). */
function writeStderr(text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let written = 0; written < bytes.length;) written += Deno.stderr.writeSync(bytes.subarray(written));
}

/** One line for a dropped scene: which candidate, why, and each rejected answer's reason. */
function describeDrop(drop: Pick<DroppedCandidate, "candidate" | "failure" | "reasons">): string {
  const why = drop.failure === "answers" ? `every answer was invalid (${drop.reasons.length})` : "after retries";
  return `dropped pair candidate ${drop.candidate}: ${why}: ${drop.reasons.join("; ")}`;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
