/**
 * Faults of the prompt stage with the LLM backend (issue 9 §3): invalid JSON and broken bodies give clear,
 * per-scene errors with the pair candidate's index (retried where retryable, then dropped and counted while the
 * rest continue), and a key echoed by the endpoint never reaches a file or the terminal.
 * @module
 */
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { parse } from "csv-parse";
import { LlmAnswerError, LlmResponseError, synthesizePrompts } from "../../lib/prompts/mod.ts";
import { createLlmClient, requestLlmPair } from "../../lib/prompts/llm.ts";
import { loadCatalogue, resolveElements } from "../../lib/prompts/catalogue.ts";
import { sampleElements } from "../../lib/prompts/sample.ts";
import { loadPromptTemplate } from "../../lib/prompts/template.ts";
import { MIN_SECRET_CHARS } from "../../lib/generate/redact.ts";
import { startLlmServer } from "../_servers/llm_server.ts";
import { withTempDir } from "../_helpers/temp.ts";

const KEY = "sk-Lm4Qz8Wx2Vb6Np0Rt3Yc7Hk";
const FAST = { backend: "openai" as const, apiKey: KEY, model: "test-llm", concurrency: 1, responseRetryDelayMs: 1 };

/** Every window of `MIN_SECRET_CHARS` characters of `key` found in `text`. */
function keyFragments(text: string, key: string): string[] {
  const found: string[] = [];
  for (let i = 0; i + MIN_SECRET_CHARS <= key.length; i++) {
    if (text.includes(key.slice(i, i + MIN_SECRET_CHARS))) found.push(key.slice(i, i + MIN_SECRET_CHARS));
  }
  return found;
}

function filesIn(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

async function readLines(path: string): Promise<Record<string, unknown>[]> {
  const text = (await Deno.readTextFile(path)).trim();
  return text === "" ? [] : text.split("\n").map((line) => JSON.parse(line));
}

function runTask(args: string[], env: Record<string, string>): Promise<Deno.CommandOutput> {
  const task = new URL("../../tasks/prompts.ts", import.meta.url).pathname;
  return new Deno.Command(Deno.execPath(), {
    // the task's own permissions from deno.json, network narrowed to the local server
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-net=127.0.0.1",
      "--allow-env=OPENAI_API_KEY,OPENAI_BASE_URL",
      task,
      ...args,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("requestLlmPair() names the pair candidate and quotes a short excerpt of text that is not the JSON pair", async () => {
  const server = startLlmServer();
  try {
    const catalogue = await loadCatalogue();
    const template = await loadPromptTemplate("v1");
    const resolved = resolveElements(catalogue, sampleElements(catalogue, 1, { seed: 1 })[0]);
    const client = createLlmClient({ baseUrl: server.baseUrl, apiKey: KEY });
    const chatter = `Sure! Here is the pair you asked for: {anomalous: "a man…", normal: ${"blah ".repeat(40)}`;
    server.answers.push({ kind: "content", content: chatter }, { kind: "content", content: "" });
    await rejects(
      requestLlmPair(client, resolved, template, { maxAttempts: 2, pairIndex: 7 }),
      (error: LlmAnswerError) => {
        ok(error instanceof LlmAnswerError);
        strictEqual(error.kind, "json");
        ok(error.message.startsWith("Cannot get a valid pair for pair candidate 7 as 2 answers were invalid"));
        const [first, second] = error.reasons;
        ok(first.startsWith('json: the model returned text that is not the expected JSON pair {"anomalous"'), first);
        ok(first.includes('"Sure! Here is the pair you asked for: {anomalous: \\"a man…\\", normal: blah blah'), first);
        ok(first.length < 250 && !first.includes("Unexpected token"), first);
        ok(second.endsWith("(empty)"), second);
        return true;
      },
    );
  } finally {
    await server.close();
  }
});

Deno.test("synthesizePrompts() retries a response whose body breaks off and keeps the pair", async () => {
  const server = startLlmServer();
  try {
    server.faults.add("chat", { kind: "broken-body" });
    const result = await synthesizePrompts({ ...FAST, baseUrl: server.baseUrl, count: 2, seed: 1 });
    strictEqual(result.pairs.length, 2);
    strictEqual(server.requests.length, 3); // the endpoint answered the broken request too
    strictEqual(result.requests, 3);
    deepStrictEqual([result.responseDropped, result.invalidDropped, result.dropped], [0, 0, []]);
  } finally {
    await server.close();
  }
});

Deno.test("synthesizePrompts() drops and records a scene whose responses stay broken; the rest continue", async (t) => {
  const server = startLlmServer();
  try {
    for (const kind of ["broken-body", "malformed"] as const) {
      await t.step(kind, async () => {
        // maxHttpRetries 2: three broken answers for candidate 0, then candidate 1 and 2 answer normally
        server.faults.add("chat", ...Array(3).fill({ kind }));
        const events: string[] = [];
        const result = await synthesizePrompts({
          ...FAST,
          baseUrl: server.baseUrl,
          count: 2,
          seed: 2,
          onEvent: (e) => e.type === "invalid" && events.push(`${e.candidate} ${e.failure}`),
        });
        strictEqual(result.pairs.length, 2);
        strictEqual(result.responseDropped, 1);
        deepStrictEqual(events, ["0 response"]);
        const [drop] = result.dropped;
        deepStrictEqual([drop.candidate, drop.failure, drop.reasons.length], [0, "response", 1]);
        ok(
          drop.reasons[0].startsWith("response: Cannot read the LLM answer for pair candidate 0 as "),
          drop.reasons[0],
        );
        ok(
          drop.reasons[0].includes(
            kind === "broken-body"
              ? "the response body broke off after the headers: current value is HTTP 200"
              : `body is not a chat completion (a JSON object): current value is "{\\"id\\": \\"broken"`,
          ),
          drop.reasons[0],
        );
      });
    }
  } finally {
    await server.close();
  }
});

Deno.test("deno task prompts --backend openai drops bad scenes with clear reasons, exits 2 and writes whole files", async () => {
  const server = startLlmServer();
  try {
    // candidate 0: three broken bodies (each consumes a scripted answer); candidates 1 and 2: invalid JSON
    server.faults.add("chat", ...Array(3).fill({ kind: "broken-body" }));
    server.answers.push(
      ...Array(3).fill({ kind: "pair" }),
      { kind: "content", content: "Sure! Here is the pair: {anomalous: ..." },
      { kind: "content", content: "```json\n{'anomalous': 'x'}\n```" },
    );
    await withTempDir(async (dir) => {
      const output = await runTask([
        "--backend",
        "openai",
        "--base-url",
        server.baseUrl,
        "--count",
        "1",
        "--concurrency",
        "1",
        "--max-attempts",
        "1",
        "--retry-delay-ms",
        "1",
        "--out",
        `${dir}/run/pairs.jsonl`,
      ], { OPENAI_API_KEY: KEY });
      const stdout = new TextDecoder().decode(output.stdout);
      const stderr = new TextDecoder().decode(output.stderr);
      strictEqual(output.code, 2, stderr); // no pair could be made from the 3 candidates
      ok(!/Unexpected token|SyntaxError/.test(stdout + stderr), stdout + stderr);
      ok(stdout.includes("pairs: 0 of 1"), stdout);
      ok(stdout.includes("invalid dropped: 2; broken responses dropped: 1"), stdout);
      ok(
        stdout.includes(
          "dropped pair candidate 0: after retries: response: Cannot read the LLM answer for pair candidate 0 as the " +
            "response body broke off after the headers: current value is HTTP 200",
        ),
        stdout,
      );
      ok(
        stdout.includes("dropped pair candidate 1: every answer was invalid (1): json: the model returned text"),
        stdout,
      );
      ok(stdout.includes('"Sure! Here is the pair: {anomalous: ..."'), stdout);
      ok(stderr.includes("dropped pair candidate 2"), stderr);
      // nothing half-written: the kept pairs (none) in both files, no temporary files
      deepStrictEqual(filesIn(`${dir}/run`), ["config.json", "pairs.csv", "pairs.jsonl"]);
      deepStrictEqual(await readLines(`${dir}/run/pairs.jsonl`), []);
      deepStrictEqual(parse(await Deno.readTextFile(`${dir}/run/pairs.csv`), { columns: true }), []);
      deepStrictEqual(keyFragments(stdout + stderr + await Deno.readTextFile(`${dir}/run/config.json`), KEY), []);
    });
  } finally {
    await server.close();
  }
});

Deno.test("deno task prompts redacts a key the endpoint echoes from stdout, stderr and its files", async () => {
  const server = startLlmServer();
  try {
    // request 1: an answer quoting the key (invalid JSON, printed as a reason); request 2: a 401 echoing it
    server.answers.push({ kind: "content", content: `Your key Bearer ${KEY} is fine, but no JSON today.` });
    server.faults.add("chat", { kind: "slow", ms: 0 }, { kind: "echo-key", status: 401 });
    await withTempDir(async (dir) => {
      const output = await runTask([
        "--backend",
        "openai",
        "--base-url",
        server.baseUrl,
        "--count",
        "1",
        "--concurrency",
        "1",
        "--max-attempts",
        "1",
        "--out",
        `${dir}/run/pairs.jsonl`,
      ], { OPENAI_API_KEY: KEY });
      const stdout = new TextDecoder().decode(output.stdout);
      const stderr = new TextDecoder().decode(output.stderr);
      strictEqual(output.code, 1, stderr);
      strictEqual(server.authorizations[0], `Bearer ${KEY}`); // sent in the header only
      ok(stderr.includes("dropped pair candidate 0"), stderr);
      ok(stderr.includes("error: LLM endpoint answered HTTP 401"), stderr);
      ok(stderr.includes("Bearer [redacted]"), stderr);
      deepStrictEqual(keyFragments(stdout + stderr, KEY), []);
      // an error stops the run before any pair file exists; the config never holds the key
      deepStrictEqual(filesIn(`${dir}/run`), ["config.json"]);
      deepStrictEqual(keyFragments(await Deno.readTextFile(`${dir}/run/config.json`), KEY), []);
    });
  } finally {
    await server.close();
  }
});

Deno.test("synthesizePrompts() surfaces an echoed key nowhere in the error or its causes", async () => {
  const server = startLlmServer();
  try {
    server.faults.add("chat", { kind: "echo-key", status: 403, format: "text", offset: 10 });
    await rejects(synthesizePrompts({ ...FAST, baseUrl: server.baseUrl, count: 1 }), (error: Error) => {
      let text = "";
      for (let e: unknown = error; e instanceof Error; e = e.cause) text += `${e.message}\n${e.stack}\n`;
      deepStrictEqual(keyFragments(text, KEY), []);
      ok(text.includes("[redacted]"), text);
      ok(!(error instanceof LlmResponseError));
      return true;
    });
  } finally {
    await server.close();
  }
});
