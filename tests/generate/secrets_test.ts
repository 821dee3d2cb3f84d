import { ok, strictEqual } from "node:assert/strict";
import { main } from "../../tasks/generate.ts";
import { writeJsonLines } from "../../lib/io/jsonl.ts";
import { startOpenAiVideosServer, startZhipuServer } from "../_servers/video_servers.ts";
import { tinyVideo } from "../_servers/video_fixture.ts";
import { allText, makePairs, withTempDir } from "./_helpers.ts";

const SECRET = "sk-NEVER-WRITE-ME-7d1f9c";

async function captureConsole(fn: () => Promise<number>): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const original = { log: console.log, error: console.error, warn: console.warn };
  const capture = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  console.log = capture;
  console.error = capture;
  console.warn = capture;
  try {
    const code = await fn();
    return { code, text: lines.join("\n") };
  } finally {
    Object.assign(console, original);
  }
}

Deno.test("deno task generate never writes or prints the API key", async (t) => {
  const video = await tinyVideo();
  for (
    const [backend, env, start] of [
      ["zhipu", "ZHIPUAI_API_KEY", startZhipuServer],
      ["openai-videos", "OPENAI_API_KEY", startOpenAiVideosServer],
    ] as const
  ) {
    await t.step(backend, async () => {
      const server = start({ video });
      server.faults.add("submit", { kind: "status", status: 401 }); // an error path is printed too
      const previous = Deno.env.get(env);
      Deno.env.set(env, SECRET);
      try {
        await withTempDir(async (dir) => {
          await writeJsonLines(`${dir}/pairs.jsonl`, makePairs(2));
          const { code, text } = await captureConsole(() =>
            main([
              "--descriptions",
              `${dir}/pairs.jsonl`,
              "--backend",
              backend,
              "--base-url",
              server.baseUrl,
              "--out",
              `${dir}/out`,
              "--poll-interval-ms",
              "5",
              "--base-delay-ms",
              "5",
              "--min-frames",
              "16",
              "--verbose",
            ])
          );
          strictEqual(code, 2); // one job failed with 401
          ok(text.includes("GenerationAuthenticationError"), text);
          ok(!text.includes(SECRET), "key printed");
          const files = await allText(dir);
          ok(files.includes('"state":"failed"'), "the job manifest records the failed job");
          ok(!files.includes(SECRET), "key written to a file");
          const config = JSON.parse(await Deno.readTextFile(`${dir}/out/config.json`));
          strictEqual(config.apiKeyEnv, env);
          // the key reached the server (exact value not asserted: --parallel test files share the process env)
          ok(server.submits.every((s) => s.authorization?.startsWith("Bearer sk-")));
        });
      } finally {
        if (previous === undefined) Deno.env.delete(env);
        else Deno.env.set(env, previous);
        await server.close();
      }
    });
  }
});

Deno.test("deno task generate refuses a base URL whose host the net permission does not allow", async () => {
  await withTempDir(async (dir) => {
    await writeJsonLines(`${dir}/pairs.jsonl`, makePairs(1));
    const task = new URL("../../tasks/generate.ts", import.meta.url).pathname;
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-net=127.0.0.1",
        task,
        "--descriptions",
        `${dir}/pairs.jsonl`,
        "--backend",
        "zhipu",
        "--base-url",
        `http://127.0.0.2:9/api?signature=${SECRET}`, // a signed URL: its query never reaches the message
        "--out",
        `${dir}/out`,
      ],
      env: { ZHIPUAI_API_KEY: SECRET },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    strictEqual(output.code, 1);
    ok(stderr.includes("Cannot connect to 127.0.0.2:9 as the net permission does not allow it"), stderr);
    ok(stderr.includes("deno.json"), stderr);
    ok(!stderr.includes(SECRET));
  });
});
