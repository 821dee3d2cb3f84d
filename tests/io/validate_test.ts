import { strictEqual, throws } from "node:assert/strict";
import { checkNumber, describeNumberRule } from "../../lib/io/validate.ts";

Deno.test("checkNumber() returns values within the rule", async (t) => {
  const cases: [string, unknown, Parameters<typeof checkNumber>[2]][] = [
    ["an integer at its minimum", 1, { action: "x", integer: true, min: 1 }],
    ["a number inside [0, 1]", 0.5, { action: "x", min: 0, max: 1 }],
    ["a number at its maximum", 1, { action: "x", min: 0, max: 1 }],
    ["any finite number", -3.5, { action: "x" }],
    ["Infinity when allowed", Infinity, { action: "x", integer: true, min: 1, allowInfinity: true }],
  ];
  for (const [name, value, rule] of cases) await t.step(name, () => strictEqual(checkNumber("n", value, rule), value));
});

Deno.test("checkNumber() throws a RangeError in the house form", async (t) => {
  const cases: [string, unknown, Parameters<typeof checkNumber>[2], string][] = [
    [
      "below min",
      0,
      { action: "cut video", integer: true, min: 1 },
      "Cannot cut video as n must be an integer >= 1: current value is 0",
    ],
    [
      "not an integer",
      2.5,
      { action: "cut video", integer: true, min: 1 },
      "Cannot cut video as n must be an integer >= 1: current value is 2.5",
    ],
    [
      "above max",
      2,
      { action: "filter videos", min: 0, max: 1 },
      "Cannot filter videos as n must be a number in [0, 1]: current value is 2",
    ],
    ["NaN", NaN, { action: "a" }, "Cannot a as n must be a number: current value is NaN"],
    [
      "Infinity by default",
      Infinity,
      { action: "a", min: 0 },
      "Cannot a as n must be a number >= 0: current value is Infinity",
    ],
    [
      "NaN even with allowInfinity",
      NaN,
      { action: "a", allowInfinity: true },
      "Cannot a as n must be a number: current value is NaN",
    ],
    [
      "-Infinity below min",
      -Infinity,
      { action: "a", min: 0, allowInfinity: true },
      "Cannot a as n must be a number >= 0: current value is -Infinity",
    ],
    ["a string", "3", { action: "a", integer: true }, "Cannot a as n must be an integer: current value is 3"],
    [
      "undefined",
      undefined,
      { action: "a", max: 4 },
      "Cannot a as n must be a number <= 4: current value is undefined",
    ],
  ];
  for (const [name, value, rule, message] of cases) {
    await t.step(name, () => throws(() => checkNumber("n", value, rule), { name: "RangeError", message }));
  }
});

Deno.test("describeNumberRule() names the bounds", () => {
  strictEqual(describeNumberRule({ integer: true, min: 2 }), "an integer >= 2");
  strictEqual(describeNumberRule({ min: 0, max: 1 }), "a number in [0, 1]");
  strictEqual(describeNumberRule({ integer: true, max: 9 }), "an integer <= 9");
  strictEqual(describeNumberRule({}), "a number");
});
