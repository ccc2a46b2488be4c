/**
 * Who hears about a finished job: the `--on-job-done` hook and the `--webhook` receivers,
 * for `proxx watch` (through the runner's JobNotifier calls, with the folder's outbox) and
 * for `proxx run` (`notifyRunResult`, nothing kept on disk).
 *
 * For each job: the deliveries are written to the outbox when the result is written; once
 * the job is recorded they start (each on its own retry schedule, in the background), and
 * then the hook runs, awaited, bounded by its timeout. Delivery events (`webhook_delivered`,
 * `webhook_failed` plus a `warning`) come when a delivery ends, so in the log they can fall
 * after later jobs' events; `hook_finished` is part of its job's events. Nothing here throws
 * into the runner or changes a job's outcome.
 */
import type { Platform } from "../platform/types.ts";
import type { EventSink } from "../engine/events.ts";
import type { JobNotifier, WrittenResult } from "../watch/job-notifier.ts";
import { type HookCommand, runHook } from "./hook.ts";
import { Outbox, type OutboxEntry } from "./outbox.ts";
import { deliver, redactUrl, type RetryPolicy, type WebhookTarget } from "./webhook.ts";

export interface NotifyConfig {
  hook: HookCommand | null;
  webhooks: WebhookTarget[];
  secret: string | null;
  policy: RetryPolicy;
  userAgent: string;
  /** The operator's stop (SIGINT/SIGTERM): deliveries stop at once and stay due in the outbox. */
  signal?: AbortSignal;
}

/**
 * Coordinated runners share one outbox (src/coordinator/delivery-locks.ts): an entry is sent
 * only by the runner holding its lock, so a runner starting (or resuming) while another one
 * is still sending an entry, or retrying it against a receiver that is down, leaves it alone.
 */
export interface DeliveryLocks {
  /** True: this runner may send entry `name` now. False: another runner is sending it. Throws when that cannot be known. */
  acquire(name: string): Promise<boolean>;
  release(name: string): Promise<void>;
  /**
   * An entry file younger than this is its writer's to start (right after its job is
   * recorded); only an older one is resumed by other runners (its writer died first).
   */
  readonly settleMs: number;
}

/** What the notifications need from a result file's text. */
interface ResultFacts {
  jobId: string;
  finalStatus: string;
  writtenAt: string;
}

function factsOf(resultText: string): ResultFacts {
  try {
    const r = JSON.parse(resultText);
    return {
      jobId: typeof r.job_id === "string" ? r.job_id : "unknown",
      finalStatus: typeof r.final_status === "string" ? r.final_status : "FAILED",
      writtenAt: typeof r._metadata?.result_written_at === "string" ? r._metadata.result_written_at : "unknown",
    };
  } catch {
    return { jobId: "unknown", finalStatus: "FAILED", writtenAt: "unknown" };
  }
}

/** `Idempotency-Key`: the JobSpec's SHA-256 and the result's written-at, the same on every retry and restart. */
export function idempotencyKey(sha256: string, resultWrittenAt: string): string {
  return `${sha256}:${resultWrittenAt}`;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class Notifier implements JobNotifier {
  private outbox: Outbox | null = null;
  private onEvent: EventSink;
  private readonly stop = new AbortController();
  /** Deliveries running, by outbox file name (one per job × receiver). */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly killedHooks = new Set<Promise<void>>();
  /** Deliveries that ended in this process (so recovery's second call does not send again). */
  private readonly ended = new Set<string>();
  /** Written by `resultWritten`, started by `jobDone`, by JobSpec path. */
  private readonly due = new Map<string, OutboxEntry[]>();
  private stopped = 0;

  /** Entries whose outbox file could not be written: seen by no other runner, so sent without a lock. */
  private readonly unsaved = new Set<string>();
  /** Coordinated: entries left due because their lock could not be asked for (said once each; counted at close). */
  private readonly deferred = new Set<string>();

  constructor(
    private readonly platform: Platform,
    private readonly config: NotifyConfig,
    onEvent: EventSink,
    private readonly locks: DeliveryLocks | null = null,
  ) {
    this.onEvent = onEvent;
    const signal = config.signal;
    if (signal?.aborted) this.stop.abort();
    else signal?.addEventListener("abort", () => this.stop.abort(), { once: true });
  }

  async open(folder: string, onEvent: EventSink): Promise<void> {
    this.onEvent = onEvent;
    this.outbox = new Outbox(this.platform, folder);
    const entries = await this.listOutbox();
    if (entries === null) return;
    const strangers = new Set<string>();
    let kept = 0;
    for (const entry of entries) {
      const target = this.config.webhooks.find((w) => w.id === entry.webhook_id);
      if (target) {
        if (await this.resumable(entry)) this.start(target, entry);
      } else {
        kept++;
        strangers.add(entry.webhook);
      }
    }
    if (kept > 0) {
      onEvent({
        type: "warning",
        message: `${kept} webhook ${kept === 1 ? "delivery" : "deliveries"} in ${this.outbox.dir} ${
          kept === 1 ? "is" : "are"
        } for a webhook this run was not given (${
          [...strangers].sort().join(", ")
        }); kept until a run with that --webhook sends them (delete the files to drop them)`,
      });
    }
  }

  /**
   * Coordinated runners, at every scan: send what is due in the shared outbox and not being
   * sent by anyone (a runner that died with deliveries due; one that could not reach the
   * coordinator to take a lock). Entries for receivers this run was not given stay, unsaid
   * (open said so once).
   */
  async resume(): Promise<void> {
    if (!this.outbox || !this.locks || this.config.webhooks.length === 0 || this.stop.signal.aborted) return;
    // Entries being sent (or sent) by this runner are not read again at every scan.
    const known = (name: string) => this.pending.has(name) || this.ended.has(name);
    for (const entry of (await this.listOutbox(known)) ?? []) {
      const target = this.config.webhooks.find((w) => w.id === entry.webhook_id);
      if (target && (await this.resumable(entry))) this.start(target, entry);
    }
  }

  /**
   * Whether a listed entry is this runner's to start now. Alone on a folder: always. Shared:
   * not one this runner wrote and starts once its job is recorded (jobDone), and not one
   * younger than `settleMs`, which its writer, alive, is about to start itself.
   */
  private async resumable(entry: OutboxEntry): Promise<boolean> {
    if (!this.locks) return true;
    if (this.due.has(entry.jobspec_path)) return false;
    const written = (await this.platform.lstat(this.outbox!.pathOf(entry)))?.mtimeMs;
    return written !== undefined && this.platform.now() - written >= this.locks.settleMs;
  }

  private async listOutbox(skip?: (name: string) => boolean): Promise<OutboxEntry[] | null> {
    try {
      return await this.outbox!.list(
        (name, reason) =>
          this.onEvent({
            type: "warning",
            message: `removed unreadable outbox entry ${this.outbox!.dir}/${name} (${reason})`,
          }),
        {
          // Shared with other runners: a temp file may be another runner's write in progress.
          shared: this.locks !== null,
          skip,
        },
      );
    } catch (error) {
      this.onEvent({
        type: "warning",
        message: `could not read the webhook outbox ${this.outbox!.dir}: ${messageOf(error)}`,
      });
      return null;
    }
  }

  async resultWritten(result: WrittenResult, emit: EventSink): Promise<void> {
    if (this.config.webhooks.length === 0) return;
    const facts = factsOf(result.resultText);
    const entries = this.config.webhooks.map((w): OutboxEntry => ({
      version: 1,
      webhook_id: w.id,
      webhook: w.display,
      idempotency_key: idempotencyKey(result.sha256, facts.writtenAt),
      job_id: facts.jobId,
      jobspec_path: result.jobspecPath,
      result_path: result.resultPath,
      created_at: facts.writtenAt,
      body: result.resultText,
    }));
    for (const entry of entries) {
      const name = Outbox.nameOf(entry);
      // Resumed from the outbox at start and already running or done: writing it again would re-send it later.
      if (this.pending.has(name) || this.ended.has(name)) continue;
      try {
        await this.outbox?.put(entry);
        this.unsaved.delete(name);
      } catch (error) {
        this.unsaved.add(name);
        emit({
          type: "warning",
          message: `could not write the webhook outbox entry ${this.outbox!.pathOf(entry)} (${
            messageOf(error)
          }); delivering to ${entry.webhook} anyway, but if proxx is killed before it is done it is not sent again`,
        });
      }
    }
    this.due.set(result.jobspecPath, entries);
  }

  async jobDone(result: WrittenResult & { movedTo: string | null }, emit: EventSink): Promise<void> {
    const entries = this.due.get(result.jobspecPath) ?? [];
    this.due.delete(result.jobspecPath);
    for (const entry of entries) {
      const target = this.config.webhooks.find((w) => w.id === entry.webhook_id);
      if (target) this.start(target, entry);
    }
    const hook = this.config.hook;
    if (!hook) return;
    const facts = factsOf(result.resultText);
    const { outcome, gone } = await runHook(this.platform, hook, {
      resultPath: result.resultPath,
      // The hook runs after the move: it gets the JobSpec where it is now.
      jobspecPath: result.movedTo ?? result.jobspecPath,
      finalStatus: facts.finalStatus,
      jobId: facts.jobId,
    });
    // A URL with credentials among the hook's arguments (`curl https://user:pw@…`) is not logged in full either.
    const command = hook.argv.map((arg) => (/^https?:\/\//i.test(arg) ? redactUrl(arg) : arg));
    emit({ type: "hook_finished", job_id: facts.jobId, jobspec_path: result.jobspecPath, command, ...outcome });
    // A hook killed at its timeout is reaped in the background; only the exit waits for it.
    const reaped = gone.then((left) => {
      this.killedHooks.delete(reaped);
      if (left !== null) {
        this.onEvent({ type: "warning", message: `hook ${hook.argv[0]} for job ${facts.jobId} ${left}` });
      }
    });
    this.killedHooks.add(reaped);
  }

  async close(wait: boolean): Promise<void> {
    if (!wait) this.stop.abort();
    while (this.pending.size > 0) await Promise.all([...this.pending.values()]);
    await Promise.all([...this.killedHooks]);
    this.stopped += this.deferred.size;
    this.deferred.clear();
    if (this.stopped > 0) {
      const n = this.stopped === 1 ? "1 webhook delivery" : `${this.stopped} webhook deliveries`;
      this.onEvent({
        type: "warning",
        message: this.outbox
          ? `stopped with ${n} not done; ${
            this.stopped === 1 ? "it stays" : "they stay"
          } in ${this.outbox.dir} and the next start sends ${this.stopped === 1 ? "it" : "them"}`
          : `stopped with ${n} not done; ${this.stopped === 1 ? "it is" : "they are"} not sent`,
      });
    }
  }

  /**
   * Send one entry in the background, unless it is already running or ended in this process,
   * or (coordinated) another runner holds its lock, or sent it already (its file is gone).
   */
  private start(target: WebhookTarget, entry: OutboxEntry): void {
    const name = Outbox.nameOf(entry);
    if (this.pending.has(name) || this.ended.has(name)) return;
    // An entry whose outbox file could not be written is seen by no other runner: no lock needed.
    const locked = this.locks !== null && !this.unsaved.has(name);
    const run = async () => {
      if (locked && !(await this.lock(name, entry))) return;
      try {
        await this.send(target, entry, name);
      } finally {
        if (locked) await this.locks!.release(name).catch(() => {});
      }
    };
    const promise = run().catch((error) =>
      this.onEvent({ type: "warning", message: `webhook ${entry.webhook}: ${messageOf(error)}` })
    ).finally(() => this.pending.delete(name));
    this.pending.set(name, promise);
  }

  /** Coordinated: take the entry's lock; false when another runner has it, has sent it, or the coordinator is away (a later scan resumes it). */
  private async lock(name: string, entry: OutboxEntry): Promise<boolean> {
    let held = false;
    try {
      held = await this.locks!.acquire(name);
    } catch (error) {
      if (!this.deferred.has(name)) {
        this.deferred.add(name);
        this.onEvent({
          type: "warning",
          message:
            `webhook ${entry.webhook} for job ${entry.job_id} waits: the coordinator cannot be reached to take ` +
            `its delivery lock (${
              messageOf(error)
            }); it stays due in ${this.outbox?.dir}, sent by a later scan or start`,
        });
      }
      return false;
    }
    this.deferred.delete(name);
    if (!held) return false;
    if (this.outbox && !(await this.outbox.has(name))) {
      // Sent and removed by another runner between our listing (or our write) and the lock.
      this.ended.add(name);
      await this.locks!.release(name).catch(() => {});
      return false;
    }
    return true;
  }

  private async send(target: WebhookTarget, entry: OutboxEntry, name: string): Promise<void> {
    const outcome = await deliver(this.platform, target, { key: entry.idempotency_key, body: entry.body }, {
      secret: this.config.secret,
      userAgent: this.config.userAgent,
      policy: this.config.policy,
      signal: this.stop.signal,
    });
    if (outcome.kind === "stopped") {
      this.stopped++;
      return;
    }
    this.ended.add(name);
    this.unsaved.delete(name);
    try {
      await this.outbox?.remove(entry);
    } catch (error) {
      this.onEvent({
        type: "warning",
        message: `could not remove the delivered outbox entry ${this.outbox!.pathOf(entry)} (${
          messageOf(error)
        }); the next start sends it again (same Idempotency-Key)`,
      });
    }
    const common = {
      job_id: entry.job_id,
      jobspec_path: entry.jobspec_path,
      webhook: entry.webhook,
      idempotency_key: entry.idempotency_key,
      attempts: outcome.attempts,
    };
    if (outcome.kind === "delivered") {
      this.onEvent({ type: "webhook_delivered", ...common, status: outcome.status });
      return;
    }
    this.onEvent({ type: "webhook_failed", ...common, status: outcome.status, reason: outcome.reason });
    this.onEvent({
      type: "warning",
      message: `webhook ${entry.webhook} did not take the result of job ${entry.job_id}: ${outcome.reason}`,
    });
  }
}

/**
 * `proxx run`: the hook and the webhooks for its one job, then wait for the deliveries
 * (within their retry budget). With no `--result` file the hook gets a temporary copy of
 * the result, removed when it ends. No outbox: a killed `proxx run` does not send later.
 */
export async function notifyRunResult(
  platform: Platform,
  notifier: Notifier,
  job: { jobspecPath: string; sha256: string; resultPath: string | null; resultText: string; hook: boolean },
  emit: EventSink,
): Promise<void> {
  let resultPath = job.resultPath;
  let temp: string | null = null;
  if (resultPath === null && job.hook) {
    temp = `${platform.tempDir()}/proxx-result-${platform.pid}.json`;
    await platform.writeFileAtomic(temp, job.resultText);
    resultPath = temp;
  }
  try {
    const written = {
      jobspecPath: job.jobspecPath,
      sha256: job.sha256,
      resultPath: resultPath ?? "",
      resultText: job.resultText,
    };
    await notifier.resultWritten(written, emit);
    await notifier.jobDone({ ...written, movedTo: null }, emit);
    await notifier.close(true);
  } finally {
    if (temp) await platform.remove(temp).catch(() => {});
  }
}
