import { deepStrictEqual, rejects, strictEqual, throws } from "node:assert/strict";
import { type GenerationJob, JobStore } from "../../lib/generate/mod.ts";
import { canRepoll, jobRequests, planJobs, summarizePlan } from "../../lib/generate/job_plan.ts";
import { makePairs, withTempDir } from "./_helpers.ts";

const CLIENT = { backend: "zhipu", model: "cogvideox-3" };

Deno.test("jobRequests() makes one request per pair and label in order, and refuses repeated pair ids", () => {
  const pairs = makePairs(2);
  const requests = jobRequests(pairs, ["anomalous", "normal"]);
  deepStrictEqual(requests.map((r) => r.jobId), [
    "pair-0000-anomalous",
    "pair-0000-normal",
    "pair-0001-anomalous",
    "pair-0001-normal",
  ]);
  strictEqual(requests[1].prompt, pairs[0].normal);
  strictEqual(requests[1].class, "Assault");
  strictEqual(requests[3].pairHash, pairs[1].hash);
  throws(() => jobRequests([pairs[0], pairs[0]], ["normal"]), {
    name: "RangeError",
    message: /pair ids must be unique: current value is pair-0000 \(pairs\[1\]\)/,
  });
});

Deno.test("planJobs() resumes recorded jobs, adds new pending ones, and refuses a changed description or backend", async () => {
  await withTempDir(async (dir) => {
    const jobsPath = `${dir}/jobs.jsonl`;
    const requests = jobRequests(makePairs(1), ["anomalous", "normal"]);
    const store = await JobStore.open(jobsPath);
    const dry = await planJobs(requests, store, CLIENT, { jobsPath, dryRun: true });
    strictEqual(dry.length, 2);
    strictEqual(store.all().length, 0);
    const jobs = await planJobs(requests, store, CLIENT, { jobsPath });
    deepStrictEqual(jobs.map((j) => [j.jobId, j.state, j.backend, j.model, j.submissions]), [
      ["pair-0000-anomalous", "pending", "zhipu", "cogvideox-3", 0],
      ["pair-0000-normal", "pending", "zhipu", "cogvideox-3", 0],
    ]);
    store.set({ ...jobs[0], state: "submitted", providerId: "task-1" });
    const resumed = await planJobs(requests, store, CLIENT, { jobsPath });
    deepStrictEqual([resumed[0].state, resumed[0].providerId], ["submitted", "task-1"]);
    await rejects(planJobs(requests, store, { ...CLIENT, backend: "openai-videos" }, { jobsPath }), {
      name: "TypeError",
      message: /made with backend zhipu: current value is openai-videos/,
    });
    const changed = [{ ...requests[0], prompt: "another description" }];
    await rejects(planJobs(changed, store, CLIENT, { jobsPath }), {
      name: "TypeError",
      message: /description changed/,
    });
  });
});

Deno.test("summarizePlan() counts what a run will submit and poll; canRepoll() needs a provider id and no provider failure", () => {
  const base: GenerationJob = {
    jobId: "j",
    pairId: "p",
    label: "normal",
    class: "Assault",
    prompt: "x",
    promptSha256: "0",
    backend: "zhipu",
    model: "m",
    state: "pending",
    submissions: 0,
  };
  const jobs: GenerationJob[] = [
    base,
    { ...base, unconfirmedSubmissions: 1 },
    { ...base, state: "submitted", providerId: "a" },
    { ...base, state: "done" },
    { ...base, state: "failed", failure: "timeout", providerId: "b" },
    { ...base, state: "failed", failure: "provider", providerId: "c" },
    { ...base, state: "failed", failure: "submit", unconfirmedSubmissions: 2 },
  ];
  deepStrictEqual(jobs.map(canRepoll), [false, false, false, false, true, false, false]);
  deepStrictEqual(summarizePlan(jobs, false), { toSubmit: 2, toPoll: 1, done: 1, failed: 3, unconfirmed: 1 });
  deepStrictEqual(summarizePlan(jobs, true), { toSubmit: 4, toPoll: 2, done: 1, failed: 3, unconfirmed: 2 });
});
