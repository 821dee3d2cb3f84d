import { ok, strictEqual } from "node:assert/strict";
import {
  findNearDuplicate,
  jaccard,
  loadCatalogue,
  resolveElements,
  shingles,
  validatePairAnswer,
} from "../../lib/prompts/mod.ts";

const ELEMENTS = {
  viewpoint: "ceiling_cctv",
  location: "convenience_store",
  subject: "man_hoodie",
  event: "robbery_gun",
};
const GOOD = {
  anomalous: "From a ceiling camera in a small convenience store, a man points a handgun at the cashier.",
  normal: "From a ceiling camera in a small convenience store, a man pays for a drink at the counter.",
};

Deno.test("validatePairAnswer() accepts a good pair and rejects each kind of bad answer", async (t) => {
  const resolved = resolveElements(await loadCatalogue(), ELEMENTS);
  const ok1 = validatePairAnswer(JSON.stringify(GOOD), resolved);
  ok(ok1.ok);
  const cases: [string, unknown, string][] = [
    ["invalid JSON", '{"anomalous": "x", ', "json"],
    ["not an object", "[1, 2]", "schema"],
    ["missing field", JSON.stringify({ anomalous: GOOD.anomalous }), "schema"],
    ["extra field", JSON.stringify({ ...GOOD, mood: "tense" }), "schema"],
    ["non-string", JSON.stringify({ ...GOOD, normal: 3 }), "schema"],
    ["too long", JSON.stringify({ ...GOOD, anomalous: GOOD.anomalous + " store".repeat(100) }), "length"],
    ["too short", JSON.stringify({ ...GOOD, normal: "store" }), "length"],
    ["identical", JSON.stringify({ anomalous: GOOD.normal, normal: GOOD.normal.toUpperCase() }), "identical"],
    ["no location", JSON.stringify({ ...GOOD, normal: "A man pays for a drink and leaves calmly." }), "mentions"],
    ["normal shows the event", JSON.stringify({ ...GOOD, normal: GOOD.normal + " He has a gun." }), "mentions"],
  ];
  for (const [name, answer, kind] of cases) {
    await t.step(name, () => {
      const check = validatePairAnswer(answer, resolved);
      strictEqual(check.ok, false);
      if (!check.ok) strictEqual(check.kind, kind, check.reason);
    });
  }
  await t.step("requireEventMention", () => {
    const quiet = { ...GOOD, anomalous: "From a ceiling camera in a small convenience store, a man shouts at staff." };
    ok(validatePairAnswer(quiet, resolved).ok);
    strictEqual(validatePairAnswer(quiet, resolved, { requireEventMention: true }).ok, false);
  });
});

Deno.test("shingles() and jaccard() measure near-duplicates", () => {
  const a = shingles("A man walks into the store and buys milk.");
  const b = shingles("A man walks into the store and buys bread.");
  const c = shingles("Two cars collide at the intersection at night.");
  strictEqual(a.size, 7);
  strictEqual(jaccard(a, a), 1);
  strictEqual(jaccard(a, b), 6 / 8);
  strictEqual(jaccard(a, c), 0);
  strictEqual(findNearDuplicate(b, [c, a], { threshold: 0.7 }), 1);
  strictEqual(findNearDuplicate(b, [c, a], { threshold: 0.8 }), -1);
  strictEqual(shingles("hi", { shingleSize: 3 }).size, 1);
});
