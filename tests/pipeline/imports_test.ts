/**
 * The pipeline's modules import one another without a cycle (the runner, the stage modules, the report and their
 * shared types), checked on the module graph `deno info --json` prints.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import { repositoryRoot } from "../../lib/pipeline/mod.ts";

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
}

/** The cycles (strongly connected components of more than one module) of a module graph. */
function cycles(edges: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}

Deno.test("lib/pipeline has no import cycle (report.ts and run.ts import neither each other)", async () => {
  const root = repositoryRoot();
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", join(root, "lib", "pipeline", "mod.ts")],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  ok(success, new TextDecoder().decode(stderr));
  const modules = (JSON.parse(new TextDecoder().decode(stdout)) as { modules: InfoModule[] }).modules;
  const prefix = new URL(`file://${join(root, "lib", "pipeline")}/`).href;
  const edges = new Map<string, string[]>();
  for (const m of modules) {
    if (!m.specifier.startsWith(prefix)) continue;
    const deps = (m.dependencies ?? []).flatMap((d) => [d.code?.specifier, d.type?.specifier]);
    edges.set(
      m.specifier.slice(prefix.length),
      deps.filter((s) => s?.startsWith(prefix)).map((s) => s!.slice(prefix.length)),
    );
  }
  ok(edges.has("run.ts") && edges.has("report.ts") && edges.has("stages/train.ts"), [...edges.keys()].join(", "));
  ok(!edges.get("report.ts")!.includes("run.ts"), "report.ts imports run.ts");
  deepStrictEqual(cycles(edges), []);
});
