/**
 * Who hears about a finished job, as the watch runner sees it: it only says *when*
 * (src/notify/notifier.ts decides what: a hook, webhooks, their outbox). The runner stays
 * unaware of processes and HTTP.
 *
 * When (docs/crash-safety.md, step 3a and after step 6):
 * - `resultWritten`: right after the result file is written, before the JobSpec is moved
 *   and its in-flight record cleared. It makes the notifications durable (the outbox), so
 *   a kill -9 at any later point leaves them due; recovery calls it again for a result it
 *   finds written (it is idempotent).
 * - `jobDone`: once the job is recorded (`job_result` sent), and by recovery after it
 *   finished a job. Runs the hook (awaited, bounded by its timeout) and starts deliveries.
 * Neither throws, and neither can change the job's outcome.
 */
import type { EventSink } from "../engine/events.ts";

export interface WrittenResult {
  /** Where the JobSpec was taken from (the result's `_metadata.jobspec_path`). */
  jobspecPath: string;
  sha256: string;
  resultPath: string;
  /** The exact bytes of the result file. */
  resultText: string;
}

export interface JobNotifier {
  /** Under the folder's lock, before recovery: pick up what a previous run left due. */
  open(folder: string, onEvent: EventSink): Promise<void>;
  resultWritten(result: WrittenResult, emit: EventSink): Promise<void>;
  /** `movedTo`: where the JobSpec is now (null when it could not be moved). */
  jobDone(result: WrittenResult & { movedTo: string | null }, emit: EventSink): Promise<void>;
  /** Coordinated runners, at every scan: send what other runners left due in the shared outbox. */
  resume?(): Promise<void>;
  /** Before the lock is released: `wait` for pending deliveries (`--once`), else stop them (they stay due). */
  close(wait: boolean): Promise<void>;
}
