import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  createRedactor,
  GenerationAuthenticationError,
  GenerationConnectionError,
  GenerationResponseError,
  GenerationServerError,
  GenerationTimeoutError,
  isRetryableError,
  isUnconfirmedSubmission,
  REDACTED,
  redactError,
  redactUrl,
  redactValue,
} from "../../lib/generate/mod.ts";

const KEY = "sk-proj-Ab12/Cd34+Ef56=Gh78";

Deno.test("createRedactor() replaces a key whole, encoded, escaped and cut to a fragment", async (t) => {
  const redact = createRedactor([KEY, undefined, null, "x", "none"]);
  const cases: [string, string, string][] = [
    ["whole", `Incorrect API key provided: Bearer ${KEY}.`, `Incorrect API key provided: Bearer ${REDACTED}.`],
    ["twice", `${KEY}${KEY} and ${KEY}`, `${REDACTED} and ${REDACTED}`],
    ["URL-encoded", `GET /v1?key=${encodeURIComponent(KEY)}&x=1`, `GET /v1?key=${REDACTED}&x=1`],
    ["JSON-escaped", JSON.stringify({ m: `key ${KEY}` }), JSON.stringify({ m: `key ${REDACTED}` })],
    ["cut at the start", `…${KEY.slice(5)} is wrong`, `…${REDACTED} is wrong`],
    ["cut at the end", `key: ${KEY.slice(0, 13)}`, `key: ${REDACTED}`],
    ["no key", "nothing to see here, x and none stay", "nothing to see here, x and none stay"],
  ];
  for (const [name, input, expected] of cases) {
    await t.step(name, () => strictEqual(redact(input), expected));
  }
  await t.step("short placeholders are not secrets", () => {
    const identity = createRedactor(["x", "none", undefined]);
    strictEqual(identity("x none"), "x none");
  });
});

Deno.test("redactValue() copies records with every string redacted", () => {
  const redact = createRedactor([KEY]);
  const record = { jobId: "a", reason: `HTTP 401: ${KEY}`, nested: [{ text: KEY }], bytes: 3, done: true };
  deepStrictEqual(redactValue(record, redact), {
    jobId: "a",
    reason: `HTTP 401: ${REDACTED}`,
    nested: [{ text: REDACTED }],
    bytes: 3,
    done: true,
  });
  strictEqual(record.reason, `HTTP 401: ${KEY}`); // the original is untouched
});

Deno.test("redactError() redacts message, stack, fields and causes in place and keeps the class", () => {
  const redact = createRedactor([KEY]);
  const inner = Object.assign(new Error(`401 Incorrect API key provided: ${KEY}`), {
    error: { message: `Incorrect API key provided: ${KEY}` },
  });
  const outer = new GenerationAuthenticationError(`submit failed: ${KEY}`, { status: 401, cause: inner });
  const same = redactError(outer, redact);
  strictEqual(same, outer);
  ok(same instanceof GenerationAuthenticationError);
  const texts = [outer.message, outer.stack, inner.message, inner.stack, JSON.stringify(inner.error)].join("\n");
  ok(!texts.includes(KEY.slice(0, 12)), texts);
  ok(outer.message.endsWith(REDACTED));
  strictEqual(outer.status, 401);
});

Deno.test("redactUrl() drops credentials, query and fragment", () => {
  strictEqual(
    redactUrl("https://u:p@files.example.com:8443/v/a.mp4?Signature=abc#t"),
    "https://files.example.com:8443/v/a.mp4",
  );
  strictEqual(redactUrl("not a url"), "<invalid URL>");
});

Deno.test("isUnconfirmedSubmission() holds for lost answers only", async (t) => {
  const cases: [string, unknown, boolean][] = [
    ["body broke off after 200", new GenerationConnectionError("broke off", { status: 200 }), true],
    ["malformed 201 body", new GenerationResponseError("malformed", { status: 201 }), true],
    ["timeout", new GenerationTimeoutError("slow"), true],
    ["connection refused", new GenerationConnectionError("refused"), false],
    ["HTTP 503", new GenerationServerError("down", { status: 503 }), false],
    ["HTTP 401", new GenerationAuthenticationError("key", { status: 401 }), false],
    ["not a service error", new TypeError("bug"), false],
  ];
  for (const [name, error, expected] of cases) {
    await t.step(name, () => strictEqual(isUnconfirmedSubmission(error), expected));
  }
  ok(isRetryableError(new GenerationConnectionError("broke off", { status: 200 })));
});
