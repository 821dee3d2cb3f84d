/**
 * The modules import one another without a cycle: the pipeline's (the runner, the stage modules, the report and
 * their shared types), and every file of lib/ and tasks/, checked on the module graph `deno info --json` prints.
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

/** The import graph `deno info --json entry` prints, limited to modules under `folder`, with paths relative to it. */
async function importGraph(entry: string, folder: string): Promise<Map<string, string[]>> {
  const root = repositoryRoot();
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", join(root, "deno.json"), entry],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  ok(success, new TextDecoder().decode(stderr));
  const modules = (JSON.parse(new TextDecoder().decode(stdout)) as { modules: InfoModule[] }).modules;
  const prefix = new URL(`file://${folder}/`).href;
  const edges = new Map<string, string[]>();
  for (const m of modules) {
    if (!m.specifier.startsWith(prefix)) continue;
    const deps = (m.dependencies ?? []).flatMap((d) => [d.code?.specifier, d.type?.specifier]);
    edges.set(
      m.specifier.slice(prefix.length),
      deps.filter((s) => s?.startsWith(prefix)).map((s) => s!.slice(prefix.length)),
    );
  }
  return edges;
}

Deno.test("lib/pipeline has no import cycle (report.ts and run.ts import neither each other)", async () => {
  const root = repositoryRoot();
  const edges = await importGraph(join(root, "lib", "pipeline", "mod.ts"), join(root, "lib", "pipeline"));
  ok(edges.has("run.ts") && edges.has("report.ts") && edges.has("stages/train.ts"), [...edges.keys()].join(", "));
  ok(!edges.get("report.ts")!.includes("run.ts"), "report.ts imports run.ts");
  deepStrictEqual(cycles(edges), []);
});

Deno.test("lib/ and tasks/ have no import cycle among their files", async () => {
  const root = repositoryRoot();
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) files.push(path);
    }
  };
  await walk(join(root, "lib"));
  await walk(join(root, "tasks"));
  const dir = await Deno.makeTempDir({ prefix: "imports_" });
  try {
    const entry = join(dir, "all.ts");
    await Deno.writeTextFile(entry, files.map((f) => `import "${new URL(`file://${f}`).href}";`).join("\n"));
    const edges = await importGraph(entry, root);
    ok(edges.size >= files.length, `${edges.size} modules in the graph for ${files.length} files`);
    deepStrictEqual(cycles(edges), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
