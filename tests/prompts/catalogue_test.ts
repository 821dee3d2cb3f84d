import { deepStrictEqual, ok, throws } from "node:assert/strict";
import {
  isCompatible,
  loadCatalogue,
  resolveElements,
  sampleElements,
  UCF_CRIME_CLASSES,
  validateCatalogue,
} from "../../lib/prompts/mod.ts";

Deno.test("loadCatalogue() covers the 13 UCF-Crime classes and more, each with a plausible scene", async () => {
  const catalogue = await loadCatalogue();
  const classes = new Set(catalogue.events.map((e) => e.class));
  for (const name of UCF_CRIME_CLASSES) ok(classes.has(name), name);
  ok(classes.size > UCF_CRIME_CLASSES.length);
  ok(catalogue.viewpoints.length >= 5 && catalogue.locations.length >= 10 && catalogue.subjects.length >= 8);
});

Deno.test("validateCatalogue() rejects malformed and impossible entries, naming them", async (t) => {
  const good = await loadCatalogue();
  await t.step("duplicate id", () => {
    const bad = structuredClone(good);
    bad.subjects.push({ ...bad.subjects[0] });
    throws(() => validateCatalogue(bad, "cat"), { name: "SyntaxError", message: /ids must be unique/ });
  });
  await t.step("unknown subject kind", () => {
    const bad = structuredClone(good);
    (bad.subjects[0] as { kind: string }).kind = "animal";
    throws(() => validateCatalogue(bad, "cat"), { name: "RangeError", message: /kind must be one of person, vehicle/ });
  });
  await t.step("event without any compatible location", () => {
    const bad = structuredClone(good);
    bad.events[0].locations = ["moon"];
    throws(() => validateCatalogue(bad, "cat"), { message: new RegExp(`event ${bad.events[0].id} as no location`) });
  });
  await t.step("missing keywords", () => {
    const bad = structuredClone(good);
    (bad.locations[0] as { keywords?: string[] }).keywords = [];
    throws(() => validateCatalogue(bad, "cat"), { name: "TypeError", message: /keywords must be a non-empty array/ });
  });
});

Deno.test("sampleElements() is seeded, balanced over classes and only yields compatible scenes", async () => {
  const catalogue = await loadCatalogue();
  const a = sampleElements(catalogue, 130, { seed: 11, classes: [...UCF_CRIME_CLASSES] });
  deepStrictEqual(a, sampleElements(catalogue, 130, { seed: 11, classes: [...UCF_CRIME_CLASSES] }));
  ok(
    JSON.stringify(a) !== JSON.stringify(sampleElements(catalogue, 130, { seed: 12, classes: [...UCF_CRIME_CLASSES] })),
  );
  const perClass = new Map<string, number>();
  const perLocation = new Map<string, number>();
  for (const elements of a) {
    ok(isCompatible(catalogue, elements), JSON.stringify(elements));
    const { event, location } = resolveElements(catalogue, elements);
    perClass.set(event.class, (perClass.get(event.class) ?? 0) + 1);
    perLocation.set(location.id, (perLocation.get(location.id) ?? 0) + 1);
  }
  deepStrictEqual([...perClass.values()], Array(13).fill(10));
  ok(perLocation.size >= 15, `locations used: ${perLocation.size}`);
  throws(() => sampleElements(catalogue, 3, { classes: ["Jaywalking"] }), {
    name: "RangeError",
    message: /Jaywalking/,
  });
  throws(() => sampleElements(catalogue, -1), { name: "RangeError" });
});
