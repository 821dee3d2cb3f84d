import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { parse } from "csv-parse";
import {
  LlmServerError,
  pairHash,
  synthesizePrompts,
  UCF_CRIME_CLASSES,
  writePromptPairs,
} from "../../lib/prompts/mod.ts";
import { main } from "../../tasks/prompts.ts";
import { startLlmServer } from "../_servers/llm_server.ts";
import { withTempDir as withTempDir } from "../_helpers/temp.ts";

Deno.test("synthesizePrompts() with the template backend is deterministic, valid and balanced", async () => {
  const a = await synthesizePrompts({ count: 26, seed: 4, classes: [...UCF_CRIME_CLASSES] });
  const b = await synthesizePrompts({ count: 26, seed: 4, classes: [...UCF_CRIME_CLASSES] });
  deepStrictEqual(a.pairs, b.pairs);
  strictEqual(a.pairs.length, 26);
  const perClass = new Map<string, number>();
  for (const pair of a.pairs) {
    perClass.set(pair.class, (perClass.get(pair.class) ?? 0) + 1);
    ok(pair.anomalous.length <= 512 && pair.normal.length <= 512);
    ok(pair.anomalous !== pair.normal);
    strictEqual(pair.backend, "template");
    strictEqual(pair.model, null);
    strictEqual(pair.promptVersion, "v1");
    strictEqual(pair.hash, await pairHash(pair));
  }
  deepStrictEqual([...perClass.values()], Array(13).fill(2));
  deepStrictEqual(a.pairs.map((p) => p.pairId).slice(0, 2), ["pair-0000", "pair-0001"]);
});

Deno.test("synthesizePrompts() removes and counts near-duplicates", async () => {
  const strict = await synthesizePrompts({ count: 40, seed: 1, duplicateThreshold: 0.3 });
  ok(strict.duplicatesRemoved > 0);
  strictEqual(strict.candidates, strict.pairs.length + strict.duplicatesRemoved);
  const loose = await synthesizePrompts({ count: 40, seed: 1, duplicateThreshold: 1 });
  ok(loose.duplicatesRemoved <= strict.duplicatesRemoved);
});

Deno.test("synthesizePrompts() rejects maxChars below minChars before sampling", async () => {
  await rejects(synthesizePrompts({ count: 1, maxChars: 5, minChars: 20 }), (error: Error) => {
    ok(error instanceof RangeError);
    ok(error.message.startsWith("Cannot synthesize prompts as maxChars must be at least minChars"), error.message);
    return true;
  });
});

Deno.test("writePromptPairs() writes JSON Lines and a CSV with the same pairs", async () => {
  await withTempDir(async (dir) => {
    const { pairs } = await synthesizePrompts({ count: 3, seed: 2 });
    const files = await writePromptPairs(`${dir}/pairs.jsonl`, pairs);
    strictEqual(files.csv, `${dir}/pairs.csv`);
    const lines = (await Deno.readTextFile(files.jsonl)).trim().split("\n").map((l) => JSON.parse(l));
    deepStrictEqual(lines, pairs);
    const rows = parse(await Deno.readTextFile(files.csv), { columns: true }) as Record<string, string>[];
    deepStrictEqual(
      rows.map((r) => [r.pairId, r.anomalous, r.location]),
      pairs.map((p) => [p.pairId, p.anomalous, p.elements.location]),
    );
  });
});

Deno.test("synthesizePrompts() with the openai backend asks for a strict JSON schema and validates answers", async (t) => {
  const server = startLlmServer();
  const base = {
    backend: "openai" as const,
    baseUrl: server.baseUrl,
    apiKey: "sk-llm-SECRET",
    model: "test-llm",
    concurrency: 1,
    maxHttpRetries: 2,
  };
  try {
    await t.step("valid answers become pairs", async () => {
      const result = await synthesizePrompts({ ...base, count: 3, seed: 1 });
      strictEqual(result.pairs.length, 3);
      strictEqual(result.requests, 3);
      const body = server.requests[0] as {
        response_format: { type: string; json_schema: { strict: boolean; schema: { required: string[] } } };
        model: string;
        temperature: number;
        messages: { role: string; content: string }[];
      };
      strictEqual(body.response_format.type, "json_schema");
      strictEqual(body.response_format.json_schema.strict, true);
      deepStrictEqual(body.response_format.json_schema.schema.required, ["anomalous", "normal"]);
      strictEqual(body.model, "test-llm");
      strictEqual(body.temperature, 0.7);
      ok(body.messages[1].content.includes("Location: "));
      strictEqual(server.authorizations[0], "Bearer sk-llm-SECRET");
      for (const pair of result.pairs) {
        strictEqual(pair.backend, "openai");
        strictEqual(pair.model, "test-llm");
        strictEqual(pair.temperature, 0.7);
      }
    });
    await t.step("invalid JSON, a schema violation and a refusal are retried", async () => {
      server.requests.length = 0;
      server.answers.push(
        { kind: "content", content: "Sure! Here is the pair: {anomalous: ..." },
        { kind: "content", content: JSON.stringify({ anomalous: "only one" }) },
        { kind: "refusal", refusal: "I can't help with that." },
      );
      const result = await synthesizePrompts({ ...base, count: 1, seed: 2, maxAttempts: 4 });
      strictEqual(result.pairs.length, 1);
      strictEqual(result.requests, 4);
      strictEqual(result.invalidAnswers, 3);
      strictEqual(result.invalidDropped, 0);
    });
    await t.step("a scene whose answers are all invalid is dropped and counted", async () => {
      server.answers.push(
        { kind: "refusal", refusal: "no" },
        { kind: "content", content: "not json" },
      );
      const reasons: string[] = [];
      const result = await synthesizePrompts({
        ...base,
        count: 2,
        seed: 3,
        maxAttempts: 2,
        onEvent: (e) => e.type === "invalid" && reasons.push(...e.reasons),
      });
      strictEqual(result.pairs.length, 2);
      strictEqual(result.invalidDropped, 1);
      ok(reasons[0].startsWith("refusal"));
      ok(reasons[1].startsWith("json"));
    });
    await t.step("HTTP 429 with Retry-After is retried by the client", async () => {
      server.faults.add("chat", { kind: "status", status: 429, retryAfter: "1" });
      const started = performance.now();
      const result = await synthesizePrompts({ ...base, count: 1, seed: 4 });
      strictEqual(result.pairs.length, 1);
      ok(performance.now() - started >= 900);
    });
    await t.step("persistent 5xx surfaces as LlmServerError with status and request id", async () => {
      server.faults.add("chat", ...Array(3).fill({ kind: "status", status: 503, retryAfter: "0" }));
      await rejects(synthesizePrompts({ ...base, count: 1, seed: 5 }), (error: LlmServerError) => {
        ok(error instanceof LlmServerError);
        strictEqual(error.status, 503);
        strictEqual(error.requestId, "req-fault-503");
        ok(!error.message.includes("sk-llm-SECRET"));
        return true;
      });
    });
  } finally {
    await server.close();
  }
});

Deno.test("deno task prompts writes pairs, CSV and config without the key", async () => {
  const server = startLlmServer();
  const previous = Deno.env.get("OPENAI_API_KEY");
  Deno.env.set("OPENAI_API_KEY", "sk-task-SECRET-99");
  const log = console.log;
  const lines: string[] = [];
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    await withTempDir(async (dir) => {
      strictEqual(await main(["--count", "4", "--seed", "9", "--out", `${dir}/t/pairs.jsonl`]), 0);
      strictEqual((await Deno.readTextFile(`${dir}/t/pairs.jsonl`)).trim().split("\n").length, 4);
      ok((await Deno.stat(`${dir}/t/pairs.csv`)).isFile);
      strictEqual(
        await main([
          "--backend",
          "openai",
          "--base-url",
          server.baseUrl,
          "--count",
          "2",
          "--out",
          `${dir}/o/pairs.jsonl`,
        ]),
        0,
      );
      const written = await Deno.readTextFile(`${dir}/o/pairs.jsonl`) + await Deno.readTextFile(`${dir}/o/config.json`);
      ok(!written.includes("sk-task-SECRET-99"));
      ok(!lines.join("\n").includes("sk-task-SECRET-99"));
      // the env key was sent (exact value not asserted: --parallel test files share the process env)
      ok(server.authorizations.at(-1)?.startsWith("Bearer "));
    });
  } finally {
    console.log = log;
    if (previous === undefined) Deno.env.delete("OPENAI_API_KEY");
    else Deno.env.set("OPENAI_API_KEY", previous);
    await server.close();
  }
});

Deno.test("prompts task rejects bad options before creating its folder or config", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "prompts-task-" });
  try {
    const cases: [string, string[]][] = [
      ["an unknown class", ["--classes", "Arsonn"]],
      ["an unknown template version", ["--version", "v999"]],
      ["a missing prompts folder", ["--prompts-dir", `${dir}/nowhere`]],
    ];
    for (const [name, extra] of cases) {
      await t.step(name, async () => {
        const out = `${dir}/run`;
        strictEqual(await main(["--count", "2", "--out", `${out}/pairs.jsonl`, ...extra]), 1);
        await rejects(() => Deno.stat(out), Deno.errors.NotFound);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
