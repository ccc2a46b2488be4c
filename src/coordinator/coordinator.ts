/**
 * One coordinated runner's side of the protocol (docs/crash-safety.md "Coordinated runners"):
 * registers the folder and the runner, enqueues what the files say is pending, claims one
 * job at a time, keeps the leases of its running jobs alive with a heartbeat, and gives a
 * `Claim` to each job: the fencing check before each effect (`guard`), where its FFmpeg
 * writes (`noteSpawn`), `finish` and `release`.
 *
 * Losing a lease: the heartbeat finds the row no longer ours (a taker has it), or cannot
 * reach the server for 2/3 of the lease (measured on this machine's monotonic clock from
 * the last renewal it sent, which the server can only have seen later, so the estimate is
 * on the safe side). Either way the claim's `lost` signal aborts the job's FFmpeg and every
 * later `guard` refuses: the job writes nothing more. A job stopped for lack of the server
 * is released (pending again, the attempt not counted) once the server answers again.
 */
import type { Platform } from "../platform/types.ts";
import type { EventSink } from "../engine/events.ts";
import { deadline } from "../util/timers.ts";
import type { Connection } from "./connection.ts";
import { describeError } from "./connection.ts";
import * as q from "./sql.ts";
import type { JobClaim } from "../watch/job.ts";

export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";
}

export interface CoordinatorOptions {
  folder: string;
  folderId: string;
  host: string;
  leaseSeconds: number;
  maxAttempts: number;
  version: string;
  onEvent: EventSink;
}

export class Coordinator {
  runnerId = 0;
  readonly claims = new Map<number, Claim>();
  /** Fences of jobs stopped while the server was away: released when it answers again. */
  private readonly toRelease = new Set<number>();
  private stopHeartbeat = () => {};
  /** Whether the last round trip failed (a warning is emitted once per outage). */
  private down = false;

  constructor(readonly platform: Platform, readonly connection: Connection, readonly options: CoordinatorOptions) {}

  get sql(): q.Sql {
    return this.connection.sql;
  }

  /** A round trip with a time limit: a dead TCP connection (cable pulled) must not hang a job. */
  async query<T>(
    run: (sql: q.Sql) => Promise<T>,
    ms = Math.max(1000, (this.options.leaseSeconds * 1000) / 3),
  ): Promise<T> {
    try {
      const value = await deadline(this.platform, run(this.sql), ms);
      if (this.down) {
        this.down = false;
        this.options.onEvent({ type: "warning", message: `coordinator ${this.connection.url.redacted} answers again` });
      }
      return value;
    } catch (error) {
      if (!this.down) {
        this.down = true;
        this.options.onEvent({
          type: "warning",
          message:
            `${
              describeError(this.connection.url, error).message
            }; running jobs stop when their lease cannot be renewed, ` +
            `and the runner retries with backoff`,
        });
      }
      throw error;
    }
  }

  async register(path: string): Promise<void> {
    this.runnerId = await q.registerRunner(this.sql, {
      folderId: this.options.folderId,
      host: this.options.host,
      pid: this.platform.pid,
      version: this.options.version,
      path,
      leaseSeconds: this.options.leaseSeconds,
    });
    this.scheduleHeartbeat();
  }

  enqueue(jobs: { name: string; sha256: string }[]): Promise<void> {
    return this.query((sql) => q.enqueue(sql, this.options.folderId, jobs));
  }

  /** The next job for this runner, or null when there is none. Throws when the server is away. */
  async claim(): Promise<Claim | null> {
    await this.releaseStopped();
    const row = await this.query((sql) =>
      q.claim(sql, this.options.folderId, {
        runnerId: this.runnerId,
        host: this.options.host,
        leaseSeconds: this.options.leaseSeconds,
      })
    );
    if (!row) return null;
    const claim = new Claim(this, row, this.platform.monotonic());
    this.claims.set(row.fence, claim);
    return claim;
  }

  private scheduleHeartbeat(): void {
    const every = Math.max(200, (this.options.leaseSeconds * 1000) / 3);
    this.stopHeartbeat = this.platform.setTimer(every, () => {
      void this.beat().finally(() => {
        if (this.runnerId !== 0) this.scheduleHeartbeat();
      });
    });
  }

  /** One heartbeat: renew every running claim (and the runner's row); lose those not renewed. */
  async beat(): Promise<void> {
    const sent = this.platform.monotonic();
    const live = [...this.claims.values()].filter((c) => !c.lost.aborted);
    try {
      const renewed = await this.query((sql) =>
        q.heartbeat(sql, this.runnerId, live.map((c) => c.fence), this.options.leaseSeconds)
      );
      for (const c of live) {
        if (renewed.has(c.fence)) c.confirmed(sent);
        else c.lose("its lease ran out and another runner took the job over");
      }
      await this.releaseStopped();
    } catch {
      for (const c of live) c.loseIfStale("the coordinator cannot be reached to renew its lease");
    }
  }

  private async releaseStopped(): Promise<void> {
    if (this.toRelease.size === 0) return;
    const fences = [...this.toRelease];
    await this.query((sql) => q.release(sql, fences));
    for (const f of fences) this.toRelease.delete(f);
  }

  /** Release one claim now; when the server is away, at the first heartbeat it answers. */
  async releaseNow(fence: number): Promise<void> {
    this.toRelease.add(fence);
    await this.releaseStopped().catch(() => {});
  }

  /** A job stopped itself (lease not renewable): give it back once the server answers. */
  noteStopped(fence: number): void {
    this.toRelease.add(fence);
  }

  forget(fence: number): void {
    this.claims.delete(fence);
  }

  /** SIGTERM / end: release what is still claimed (at once, so another runner can take it), deregister. */
  async close(): Promise<void> {
    this.stopHeartbeat();
    const id = this.runnerId;
    this.runnerId = 0;
    for (const c of this.claims.values()) this.toRelease.add(c.fence);
    try {
      await this.releaseStopped();
      if (id !== 0) await this.query((sql) => q.stopRunner(sql, id));
    } catch { /* the server is away: the leases run out on their own */ }
    await this.connection.close();
  }
}

/** One claimed job: its fencing token, and the checks its effects go through. */
export class Claim implements JobClaim {
  readonly fence: number;
  readonly name: string;
  readonly sha256: string;
  readonly attempts: number;
  readonly takeover: boolean;
  readonly previousTemp: string | null;
  readonly previousPid: number | null;
  readonly previousHost: string | null;
  /** This runner's part of FFmpeg's temp names: two runners never write the same temp file. */
  readonly partialTag: string;
  private readonly controller = new AbortController();
  private lastConfirmedMono: number;
  lostReason: string | null = null;

  constructor(private readonly coordinator: Coordinator, row: q.ClaimedRow, sentMono: number) {
    this.fence = row.fence;
    this.name = row.name;
    this.sha256 = row.sha256;
    this.attempts = row.attempts;
    this.takeover = row.takeover;
    this.previousTemp = row.previousTemp;
    this.previousPid = row.previousPid;
    this.previousHost = row.previousHost;
    this.lastConfirmedMono = sentMono;
    this.partialTag = `${coordinator.options.host}-${coordinator.platform.pid}`;
  }

  /** Aborted when the lease is lost: the job's FFmpeg is stopped through it. */
  get lost(): AbortSignal {
    return this.controller.signal;
  }

  confirmed(sentMono: number): void {
    if (sentMono > this.lastConfirmedMono) this.lastConfirmedMono = sentMono;
  }

  lose(reason: string): void {
    if (this.controller.signal.aborted) return;
    this.lostReason = reason;
    this.controller.abort(new LeaseLostError(reason));
  }

  /** Without the server: lose the claim once 2/3 of the lease passed since the last renewal sent. */
  loseIfStale(reason: string): void {
    const elapsed = this.coordinator.platform.monotonic() - this.lastConfirmedMono;
    if (elapsed >= (this.coordinator.options.leaseSeconds * 1000 * 2) / 3) {
      this.lose(reason);
      this.coordinator.noteStopped(this.fence);
    }
  }

  /**
   * The fencing check before an effect: throws LeaseLostError unless the server renewed the
   * lease for this fence just now (so the effect has a whole lease to complete in).
   */
  async guard(effect: string): Promise<void> {
    const { platform, options } = this.coordinator;
    if (this.lost.aborted) throw new LeaseLostError(`${this.lostReason}; not done: ${effect}`);
    if (platform.monotonic() - this.lastConfirmedMono >= options.leaseSeconds * 1000) {
      // Paused past the lease (SIGSTOP, a suspended VM): whatever the server says, we were not holding it.
      this.lose("this runner was paused past its lease");
    } else {
      // A database blip (a restart) is retried while the lease is surely still ours (2/3 of it).
      const budget = (options.leaseSeconds * 1000 * 2) / 3;
      for (let attempt = 1;; attempt++) {
        const sent = platform.monotonic();
        let answer: boolean | null = null;
        try {
          answer = await this.coordinator.query((sql) => q.guard(sql, this.fence, options.leaseSeconds));
        } catch { /* retried below */ }
        if (answer === true) return this.confirmed(sent);
        if (answer === false) {
          this.lose("its lease ran out and another runner took the job over");
          break;
        }
        if (this.lost.aborted || platform.monotonic() - this.lastConfirmedMono + 200 * attempt >= budget) {
          this.lose("the coordinator could not confirm its lease");
          this.coordinator.noteStopped(this.fence);
          break;
        }
        await platform.sleep(200 * attempt);
      }
    }
    throw new LeaseLostError(`${this.lostReason}; not done: ${effect}`);
  }

  /** Where this job's FFmpeg writes (before it starts), so a taker can remove it. Fenced. */
  async noteSpawn(tempPath: string, pid: number | null): Promise<void> {
    if (this.lost.aborted) throw new LeaseLostError(`${this.lostReason}; not started: FFmpeg`);
    const ok = await this.coordinator.query((sql) => q.noteSpawn(sql, this.fence, tempPath, pid)).catch(() => false);
    if (!ok) {
      this.lose("the coordinator did not accept its temp file");
      throw new LeaseLostError(`${this.lostReason}; not started: FFmpeg`);
    }
  }

  /** Every effect written: the row is done. */
  async finish(status: string | null): Promise<void> {
    this.coordinator.forget(this.fence);
    try {
      await this.coordinator.query((sql) => q.finish(sql, this.fence, status));
    } catch {
      // Every effect is on disk; the row is settled once the server answers: released, then
      // whoever claims it finds the JobSpec gone (or its result written) and marks it done.
      this.coordinator.noteStopped(this.fence);
    }
  }

  /** Give it back at once (SIGTERM), or once the server answers (lease lost for lack of it). */
  async release(): Promise<void> {
    this.coordinator.forget(this.fence);
    await this.coordinator.releaseNow(this.fence);
  }

  /** The job was not ours to run after all (gone, already has a result): done, nothing written. */
  async drop(): Promise<void> {
    await this.finish(null);
  }
}
