/**
 * Fixtures for watch-folder tests: a FakePlatform with a folder `/w`, a scriptable fake
 * RunJob, and a helper running one `--once` pass with events captured.
 *
 * Fake JobSpec convention (the fake RunJob reads the file through the platform):
 *   {"job_id": "a"}                         → COMPLETED
 *   {"job_id": "a", "outcome": "FAILED"}    → FAILED
 *   {"throw": "boom"}                       → RunJob throws Error("boom")
 *   {"hang": true}                          → waits for the abort, returns INTERRUPTED
 *   {"bogus": true}                         → returns a value that is not a JobResult
 *   anything not a JSON object              → PARTIAL (like the real run-job-file)
 */
import type { ProxxEvent } from "../../src/engine/events.ts";
import type { JobResult } from "../../src/engine/result.ts";
import { runWatchFolder, type WatchOptions, type WatchSummary } from "../../src/watch/runner.ts";
import { FakePlatform } from "./fake-platform.ts";

export const W = "/w";

export function fakeResult(status: JobResult["final_status"], jobId = "job", reason: string | null = null): JobResult {
  return {
    job_id: jobId,
    final_status: status,
    clips: [],
    total_clips: 0,
    completed_clips: 0,
    failed_clips: 0,
    failure_reason: reason,
    validation_error: status === "PARTIAL" ? { message: reason ?? "invalid", errors: [] } : null,
    started_at: "2025-12-28T12:00:00.000000+00:00",
    completed_at: "2025-12-28T12:00:01.000000+00:00",
    duration_seconds: 1,
    _metadata: { jobspec_path: null, result_written_at: null, trace_path: null, proxx_version: "test" },
  };
}

/** The fields of a fake JobSpec (the convention above); `steps` is read by the engine-like fake in watch-workers. */
export interface FakeJobSpec {
  job_id?: string;
  outcome?: JobResult["final_status"];
  throw?: string;
  hang?: boolean;
  bogus?: boolean;
  steps?: number;
}

export interface FakeJobs {
  calls: string[];
  runJob: WatchOptions["runJob"];
  /** Called at the start of every job (e.g. to abort or mutate the folder mid-job). */
  during?: (path: string) => void | Promise<void>;
}

export function fakeJobs(platform: FakePlatform): FakeJobs {
  const jobs: FakeJobs = {
    calls: [],
    runJob: async (path, signal) => {
      jobs.calls.push(path);
      await jobs.during?.(path);
      let spec: FakeJobSpec | null;
      try {
        spec = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(await platform.readFile(path)));
      } catch (error) {
        return fakeResult("PARTIAL", "invalid", `unreadable JobSpec: ${(error as Error).message}`);
      }
      if (!spec || typeof spec !== "object" || Array.isArray(spec)) {
        return fakeResult("PARTIAL", "invalid", "JobSpec must be an object");
      }
      if (spec.throw) throw new Error(spec.throw);
      if (spec.bogus) return { nope: true } as unknown as JobResult;
      if (spec.hang) {
        while (!signal.aborted) await platform.sleep(100);
        return fakeResult("INTERRUPTED", spec.job_id ?? "job", "stopped");
      }
      return fakeResult(
        spec.outcome ?? "COMPLETED",
        spec.job_id ?? "job",
        spec.outcome === "FAILED" ? "ffmpeg exited with code 1" : null,
      );
    },
  };
  return jobs;
}

export function setup(files: Record<string, string> = {}, options: { age?: number } = {}) {
  const platform = new FakePlatform();
  platform.mkdirSync(W);
  for (const [name, text] of Object.entries(files)) platform.writeFile(`${W}/${name}`, text);
  platform.advance(options.age ?? 10_000); // files exist for a while before the runner starts
  const jobs = fakeJobs(platform);
  const events: ProxxEvent[] = [];
  const controller = new AbortController();
  const run = (extra: Partial<WatchOptions> = {}): Promise<WatchSummary> =>
    runWatchFolder(platform, {
      folder: W,
      once: true,
      settleSeconds: 0,
      runJob: jobs.runJob,
      onEvent: (e) => events.push(e),
      signal: controller.signal,
      proxxVersion: "test",
      ...extra,
    });
  return { platform, jobs, events, controller, run };
}

export const job = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ job_id: id, ...extra });
