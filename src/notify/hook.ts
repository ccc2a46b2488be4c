/**
 * `--on-job-done CMD`: one program run after a job's result is written, with the job's
 * facts in its environment. It is told, not asked: whatever it does (exit 1, hang, print
 * 50 MB) is logged and never changes the job's outcome, and it never holds up the next
 * job for longer than its timeout. At the timeout it gets SIGTERM and the next job goes
 * on; the hook is given `KILL_GRACE_MS` to go, then SIGKILL, in the background (`gone`),
 * which proxx waits for only before it exits, so a hook that ignores signals (or a
 * grandchild holding its pipes) can hang neither the next job nor the runner's exit.
 *
 * Hooks come from the command line only: a JobSpec can never name a program to run
 * (the JobSpec schema is strict, so an `on_job_done` field is refused as unknown).
 */
import type { ChildProcess, ExitStatus, Platform } from "../platform/types.ts";
import { deadline } from "../util/timers.ts";
import { LineTail } from "../ffmpeg/spawn.ts";

export interface HookCommand {
  /** Program and arguments (argv-split.ts made them from the command line). */
  argv: string[];
  timeoutMs: number;
}

/** The four facts the hook's environment carries (names fixed by the issue). */
export interface HookJob {
  resultPath: string;
  jobspecPath: string;
  finalStatus: string;
  jobId: string;
}

export interface HookOutcome {
  exit_code: number | null;
  signal: string | null;
  timed_out: boolean;
  duration_seconds: number;
  /** The last lines the hook wrote to stdout and stderr, in the order they arrived. */
  output_tail: string[];
  /** Why it could not be started (not found, not executable); null when it ran. */
  error: string | null;
}

/** Time between SIGTERM and SIGKILL, and the longest wait after SIGKILL for a hook to be gone. */
export const KILL_GRACE_MS = 2000;
/** Lines of the hook's output kept for the log. */
export const HOOK_TAIL_LINES = 20;

export function hookEnvironment(job: HookJob, platform: Pick<Platform, "env">): Record<string, string> {
  const env: Record<string, string> = {
    PROXX_RESULT_PATH: job.resultPath,
    PROXX_JOBSPEC_PATH: job.jobspecPath,
    PROXX_FINAL_STATUS: job.finalStatus,
    PROXX_JOB_ID: job.jobId,
  };
  // The webhook secret is for signatures only, and webhook URLs can carry tokens: a hook inherits neither.
  if (platform.env("PROXX_WEBHOOK_SECRET") !== undefined) env.PROXX_WEBHOOK_SECRET = "";
  if (platform.env("PROXX_WEBHOOK") !== undefined) env.PROXX_WEBHOOK = "";
  return env;
}

/**
 * What a hook did, and (after a timeout) a promise that settles once it is gone: with null
 * when SIGTERM was enough, else with what the log should say (SIGKILL was needed, or it
 * is still there).
 */
export interface HookRun {
  outcome: HookOutcome;
  gone: Promise<string | null>;
}

export async function runHook(platform: Platform, hook: HookCommand, job: HookJob): Promise<HookRun> {
  const started = platform.monotonic();
  const tail = new LineTail(HOOK_TAIL_LINES);
  const seconds = () => Math.round(platform.monotonic() - started) / 1000;
  let child: ChildProcess;
  try {
    child = platform.spawn(hook.argv[0]!, hook.argv.slice(1), {
      env: hookEnvironment(job, platform),
      onStdout: (chunk) => tail.push(chunk),
      onStderr: (chunk) => tail.push(chunk),
    });
  } catch (error) {
    return {
      outcome: {
        exit_code: null,
        signal: null,
        timed_out: false,
        duration_seconds: seconds(),
        output_tail: [],
        error: `could not start ${hook.argv[0]}: ${(error as Error).message}`,
      },
      gone: Promise.resolve(null),
    };
  }
  const status = await within(platform, child.exited, hook.timeoutMs);
  const outcome = (exit: ExitStatus | null, timedOut: boolean): HookOutcome => ({
    exit_code: exit?.code ?? null,
    signal: exit ? exit.signal : "SIGTERM",
    timed_out: timedOut,
    duration_seconds: seconds(),
    output_tail: tail.lines(),
    error: null,
  });
  if (status !== null) return { outcome: outcome(status, false), gone: Promise.resolve(null) };
  // The timeout is the hook's whole budget: SIGTERM now, SIGKILL later, off the job's path.
  child.kill("SIGTERM");
  const gone = within(platform, child.exited, KILL_GRACE_MS).then(async (exit) => {
    if (exit !== null) return null;
    child.kill("SIGKILL");
    const killed = await within(platform, child.exited, KILL_GRACE_MS);
    return killed !== null
      ? `ignored SIGTERM and was killed with SIGKILL ${KILL_GRACE_MS / 1000} s later`
      : `(pid ${child.pid}) was still running after SIGKILL`;
  });
  return { outcome: outcome(null, true), gone };
}

/** The exit status if the process is gone within `ms`, else null. */
function within(platform: Platform, exited: Promise<ExitStatus>, ms: number): Promise<ExitStatus | null> {
  return deadline(platform, exited, ms).catch(() => null);
}

/**
 * Whether `program` can be found the way spawn will look for it (a path, or a name on
 * PATH), so a typo fails when proxx starts rather than after every job. Not checked on
 * Windows (PATHEXT), where the first job's hook_finished says it.
 */
export async function programExists(platform: Platform, program: string): Promise<boolean> {
  if (platform.os === "windows") return true;
  const isFile = async (path: string) => (await platform.stat(path))?.isFile === true;
  if (program.includes("/")) return await isFile(program.startsWith("/") ? program : `${platform.cwd()}/${program}`);
  for (const dir of (platform.env("PATH") ?? "").split(":")) {
    if (dir !== "" && (await isFile(`${dir}/${program}`))) return true;
  }
  return false;
}
