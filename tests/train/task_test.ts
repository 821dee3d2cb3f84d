import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { writeManifest } from "../../lib/io/manifest.ts";
import { main } from "../../tasks/train.ts";
import { writeSyntheticSet } from "./_synthetic.ts";

Deno.test("tasks/train.ts main() trains, scores and evaluates from manifests; rejects bad flags", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "train-task-" });
  const log = console.log;
  console.log = () => {};
  try {
    await writeManifest(
      join(dir, "train.jsonl"),
      await writeSyntheticSet(dir, { prefix: "tr", normal: 4, anomalous: 4, synthetic: 1 }),
    );
    await writeManifest(
      join(dir, "test.jsonl"),
      await writeSyntheticSet(dir, { prefix: "te", seed: 2, normal: 3, anomalous: 3 }),
    );
    const base = [
      "--train",
      join(dir, "train.jsonl"),
      "--test",
      join(dir, "test.jsonl"),
      "--backend",
      "wasm",
      "--batch-size",
      "2",
      "--segments",
      "8",
      "--bootstrap",
      "0",
    ];
    await t.step("a run writes config.json, metrics.json and scores", async () => {
      const out = join(dir, "run");
      strictEqual(await main([...base, "--preset", "mil", "--iterations", "3", "--out", out]), 0);
      const metrics = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
      ok(metrics.protocol.modelSelection.startsWith("last"));
      ok((await Deno.stat(join(out, "scores", "te0.npy"))).isFile);
      const config = JSON.parse(await Deno.readTextFile(join(out, "config.json")));
      strictEqual(config.backend.name, "wasm");
    });
    await t.step("--seeds writes one folder per seed and summary.json", async () => {
      const out = join(dir, "seeds");
      strictEqual(await main([...base, "--preset", "mil", "--iterations", "2", "--seeds", "0,1", "--out", out]), 0);
      ok((await Deno.stat(join(out, "summary.json"))).isFile);
      ok((await Deno.stat(join(out, "seed-1", "metrics.json"))).isFile);
    });
    await t.step("repeated --train joins manifests and rejects an id found in two of them", async () => {
      const extraDir = join(dir, "extra");
      await Deno.mkdir(extraDir);
      await writeManifest(
        join(extraDir, "more.jsonl"),
        await writeSyntheticSet(extraDir, { prefix: "mo", seed: 3, normal: 2, anomalous: 2 }),
      );
      const out = join(dir, "joined");
      const joined = [...base, "--train", join(extraDir, "more.jsonl"), "--preset", "mil", "--iterations", "2"];
      strictEqual(await main([...joined, "--out", out]), 0);
      const config = JSON.parse(await Deno.readTextFile(join(out, "config.json")));
      strictEqual(JSON.stringify(config).includes("more.jsonl"), true);
      let message = "";
      const twice = [...base, "--train", join(dir, "train.jsonl"), "--preset", "mil", "--out", join(dir, "twice")];
      strictEqual(await main(twice, { writeError: (text) => (message += text) }), 1);
      ok(message.includes("unique") && message.includes("train.jsonl"), message);
    });
    await t.step("unknown flags and bad values fail naming the flag and value", async () => {
      const cases: [string[], string][] = [
        [["--nope"], "nope"],
        [["--crops", "middle"], "middle"],
        [["--ssls", "sometimes"], "sometimes"],
        [["--triplet-clips", "-1"], "triplet-clips"],
      ];
      for (const [args, needle] of cases) {
        let message = "";
        strictEqual(await main([...base, ...args], { writeError: (text) => (message += text) }), 1);
        ok(message.startsWith("error: ") && message.includes(needle), message);
      }
    });
    await t.step("--help prints the usage with the top-k flags and returns 0", async () => {
      let printed = "";
      console.log = (text: string) => (printed += text);
      try {
        strictEqual(await main(["--help"]), 0);
      } finally {
        console.log = () => {};
      }
      ok(printed.includes("--top-k") && printed.includes("--triplet-clips"), printed);
    });
  } finally {
    console.log = log;
    await Deno.remove(dir, { recursive: true });
  }
});
