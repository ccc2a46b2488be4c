/**
 * Every SQL statement of the coordinator, in one module (tests/integration/coordinator-sql.test.ts
 * runs each against a real PostgreSQL server). The tables are proxx's own, created and
 * migrated here (`migrate`), with a schema version row so that an older binary refuses a
 * newer schema instead of misreading it.
 *
 * Times are always the server's `now()`: a lease is `lease_until = now() + lease`, checked
 * against `now()`, so the clocks of the runners never matter.
 *
 * The fencing token (`fence`): a number from one sequence, new at every claim. Each write
 * of a job's effects first runs `guard`, which renews the lease only for the row that still
 * carries the caller's token and whose lease has not run out; 0 rows means the job is no
 * longer the caller's (taken over, or released), and the caller writes nothing.
 */
import type postgres from "postgres";

export type Sql = postgres.Sql;

/** The schema this binary knows; migrations[i] brings version i to i + 1. */
export const SCHEMA_VERSION = 1;

const MIGRATIONS: readonly string[] = [
  `CREATE SEQUENCE proxx_fence;
   CREATE TABLE proxx_folders (
     folder_id  text PRIMARY KEY,
     marker     text NOT NULL,
     path       text NOT NULL,
     host       text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE TABLE proxx_runners (
     runner_id     bigserial PRIMARY KEY,
     folder_id     text NOT NULL,
     host          text NOT NULL,
     pid           integer NOT NULL,
     version       text NOT NULL,
     path          text NOT NULL,
     lease_seconds double precision NOT NULL,
     started_at    timestamptz NOT NULL DEFAULT now(),
     heartbeat_at  timestamptz NOT NULL DEFAULT now(),
     stopped_at    timestamptz
   );
   CREATE TABLE proxx_jobs (
     folder_id    text NOT NULL,
     name         text NOT NULL,
     sha256       text NOT NULL,
     state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done')),
     fence        bigint,
     runner_id    bigint,
     host         text,
     claimed_at   timestamptz,
     lease_until  timestamptz,
     attempts     integer NOT NULL DEFAULT 0,
     temp_path    text,
     ffmpeg_pid   integer,
     final_status text,
     enqueued_at  timestamptz NOT NULL DEFAULT now(),
     finished_at  timestamptz,
     PRIMARY KEY (folder_id, name, sha256)
   );
   CREATE INDEX proxx_jobs_claim ON proxx_jobs (folder_id, state, name);`,
];

/** Serialises migrations of concurrent first starts (any constant: proxx's own advisory lock key). */
const MIGRATE_LOCK = 0x70726f78; // "prox"
/** Key space of the per-folder manifest lock: hashtext(folder_id) in the second half of the pair. */
const MANIFEST_LOCK = 0x6d616e69; // "mani"
/** Key space of the webhook outbox entries' locks: hashtext(folder_id / entry name). */
const OUTBOX_LOCK = 0x6f757462; // "outb"

export class SchemaTooNewError extends Error {
  override readonly name = "SchemaTooNewError";
  constructor(readonly found: number) {
    super(
      `the coordinator database has proxx schema version ${found}, newer than this proxx knows (${SCHEMA_VERSION}); ` +
        `upgrade proxx on this machine (every runner of the database must run a version that knows schema ${found})`,
    );
  }
}

/** Create or migrate proxx's tables. Throws SchemaTooNewError; permission errors come from the server. */
export async function migrate(sql: Sql): Promise<{ from: number; to: number }> {
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATE_LOCK})`;
    await tx`CREATE TABLE IF NOT EXISTS proxx_schema (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      version integer NOT NULL
    )`;
    const rows = await tx<{ version: number }[]>`SELECT version FROM proxx_schema`;
    const from = rows[0]?.version ?? 0;
    if (from > SCHEMA_VERSION) throw new SchemaTooNewError(from);
    for (let v = from; v < SCHEMA_VERSION; v++) await tx.unsafe(MIGRATIONS[v]!);
    if (rows.length === 0) await tx`INSERT INTO proxx_schema (version) VALUES (${SCHEMA_VERSION})`;
    else if (from !== SCHEMA_VERSION) await tx`UPDATE proxx_schema SET version = ${SCHEMA_VERSION}`;
    return { from, to: SCHEMA_VERSION };
  }) as { from: number; to: number };
}

/** The folder's marker as registered, after registering `marker` if the folder id is new. */
export async function registerFolder(
  sql: Sql,
  folder: { folderId: string; marker: string; path: string; host: string },
): Promise<{ marker: string; path: string; host: string }> {
  await sql`INSERT INTO proxx_folders (folder_id, marker, path, host)
    VALUES (${folder.folderId}, ${folder.marker}, ${folder.path}, ${folder.host})
    ON CONFLICT (folder_id) DO NOTHING`;
  const [row] = await sql<{ marker: string; path: string; host: string }[]>`
    SELECT marker, path, host FROM proxx_folders WHERE folder_id = ${folder.folderId}`;
  return row!;
}

export async function registerRunner(
  sql: Sql,
  runner: { folderId: string; host: string; pid: number; version: string; path: string; leaseSeconds: number },
): Promise<number> {
  const [row] = await sql<{ runner_id: string }[]>`
    INSERT INTO proxx_runners (folder_id, host, pid, version, path, lease_seconds)
    VALUES (${runner.folderId}, ${runner.host}, ${runner.pid}, ${runner.version}, ${runner.path}, ${runner.leaseSeconds})
    RETURNING runner_id`;
  return Number(row!.runner_id);
}

export async function stopRunner(sql: Sql, runnerId: number): Promise<void> {
  await sql`UPDATE proxx_runners SET stopped_at = now(), heartbeat_at = now() WHERE runner_id = ${runnerId}`;
}

/**
 * Make each (name, sha256) known as pending. Idempotent: a row already pending or running
 * is left alone. A row `done` whose JobSpec the files say is pending again (a reset, or a
 * JobSpec dropped in again after its result was removed) becomes pending: the files are the
 * truth, and the claim re-checks them before anything runs.
 */
export async function enqueue(sql: Sql, folderId: string, jobs: { name: string; sha256: string }[]): Promise<void> {
  if (jobs.length === 0) return;
  // Arrays travel as one JSON text parameter: no client-side array types needed (fetch_types off).
  const list = JSON.stringify(jobs.map((j) => ({ n: j.name, h: j.sha256 })));
  await sql`INSERT INTO proxx_jobs (folder_id, name, sha256)
    SELECT ${folderId}, n, h FROM json_to_recordset(${list}::text::json) AS t(n text, h text)
    ON CONFLICT (folder_id, name, sha256) DO UPDATE
      SET state = 'pending', attempts = 0, fence = NULL, runner_id = NULL, host = NULL, lease_until = NULL,
          temp_path = NULL, ffmpeg_pid = NULL, final_status = NULL, enqueued_at = now(), finished_at = NULL
      WHERE proxx_jobs.state = 'done'`;
}

export interface ClaimedRow {
  name: string;
  sha256: string;
  fence: number;
  /** Attempts including this one. */
  attempts: number;
  /** The row was running under another runner whose lease ran out: a takeover. */
  takeover: boolean;
  /** What the previous holder's FFmpeg was writing (takeover only). */
  previousTemp: string | null;
  previousPid: number | null;
  previousHost: string | null;
  previousRunner: number | null;
}

/**
 * Claim the first pending job (name order), or a running one whose lease has run out (a
 * takeover). `FOR UPDATE SKIP LOCKED`: two runners claiming at once get different rows.
 */
export async function claim(
  sql: Sql,
  folderId: string,
  runner: { runnerId: number; host: string; leaseSeconds: number },
): Promise<ClaimedRow | null> {
  const rows = await sql<
    {
      name: string;
      sha256: string;
      fence: string;
      attempts: number;
      takeover: boolean;
      previous_temp: string | null;
      previous_pid: number | null;
      previous_host: string | null;
      previous_runner: string | null;
    }[]
  >`
    WITH next AS (
      SELECT folder_id, name, sha256, state AS old_state, temp_path AS old_temp, ffmpeg_pid AS old_pid, host AS old_host,
             runner_id AS old_runner
      FROM proxx_jobs
      WHERE folder_id = ${folderId}
        AND (state = 'pending' OR (state = 'running' AND lease_until < now()))
      ORDER BY name, sha256
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    )
    UPDATE proxx_jobs j
    SET state = 'running', fence = nextval('proxx_fence'), runner_id = ${runner.runnerId}, host = ${runner.host},
        claimed_at = now(), lease_until = now() + make_interval(secs => ${runner.leaseSeconds}),
        attempts = j.attempts + 1, temp_path = NULL, ffmpeg_pid = NULL
    FROM next
    WHERE j.folder_id = next.folder_id AND j.name = next.name AND j.sha256 = next.sha256
    RETURNING j.name, j.sha256, j.fence, j.attempts, next.old_state = 'running' AS takeover,
              next.old_temp AS previous_temp, next.old_pid AS previous_pid, next.old_host AS previous_host, next.old_runner AS previous_runner`;
  const row = rows[0];
  if (!row) return null;
  return {
    name: row.name,
    sha256: row.sha256,
    fence: Number(row.fence),
    attempts: row.attempts,
    takeover: row.takeover,
    previousTemp: row.previous_temp,
    previousPid: row.previous_pid,
    previousHost: row.previous_host,
    previousRunner: row.previous_runner === null ? null : Number(row.previous_runner),
  };
}

/**
 * The fencing check: renew the lease of the row carrying `fence` if it is still running and
 * its lease has not run out. False: the job is no longer ours; write nothing.
 */
export async function guard(sql: Sql, fence: number, leaseSeconds: number): Promise<boolean> {
  const rows = await sql`UPDATE proxx_jobs SET lease_until = now() + make_interval(secs => ${leaseSeconds})
    WHERE fence = ${fence} AND state = 'running' AND lease_until >= now()
    RETURNING fence`;
  return rows.length === 1;
}

/**
 * The heartbeat: renew every lease in `fences` (as `guard`) and the runner's own heartbeat,
 * in one round trip. Returns the fences renewed; the others are lost.
 */
export async function heartbeat(
  sql: Sql,
  runnerId: number,
  fences: number[],
  leaseSeconds: number,
): Promise<Set<number>> {
  const rows = await sql<{ fence: string }[]>`
    WITH runner AS (UPDATE proxx_runners SET heartbeat_at = now() WHERE runner_id = ${runnerId})
    UPDATE proxx_jobs SET lease_until = now() + make_interval(secs => ${leaseSeconds})
    WHERE fence IN (SELECT value::bigint FROM json_array_elements_text(${JSON.stringify(fences)}::text::json))
      AND state = 'running' AND lease_until >= now()
    RETURNING fence`;
  return new Set(rows.map((r) => Number(r.fence)));
}

/** Note what the job's FFmpeg writes (temp path, then pid), so a taker can clean it. Fenced. */
export async function noteSpawn(sql: Sql, fence: number, tempPath: string, pid: number | null): Promise<boolean> {
  const rows = await sql`UPDATE proxx_jobs SET temp_path = ${tempPath}, ffmpeg_pid = ${pid}
    WHERE fence = ${fence} AND state = 'running' AND lease_until >= now() RETURNING fence`;
  return rows.length === 1;
}

/** The job's effects are all written: done. Fenced (a taker's own finish wins). */
export async function finish(sql: Sql, fence: number, finalStatus: string | null): Promise<boolean> {
  const rows = await sql`UPDATE proxx_jobs
    SET state = 'done', final_status = ${finalStatus}, finished_at = now(), lease_until = NULL, temp_path = NULL, ffmpeg_pid = NULL
    WHERE fence = ${fence} AND state = 'running' RETURNING fence`;
  return rows.length === 1;
}

/**
 * Give the job back at once (SIGTERM, or a lease this runner stopped itself): pending
 * again, and this attempt does not count towards --max-attempts (a requested stop is not a
 * crash). No-op when the row carries another fence by now.
 */
export async function release(sql: Sql, fences: number[]): Promise<number> {
  if (fences.length === 0) return 0;
  const rows = await sql`UPDATE proxx_jobs
    SET state = 'pending', attempts = greatest(attempts - 1, 0), fence = NULL, runner_id = NULL, host = NULL,
        lease_until = NULL, temp_path = NULL, ffmpeg_pid = NULL
    WHERE fence IN (SELECT value::bigint FROM json_array_elements_text(${JSON.stringify(fences)}::text::json))
      AND state = 'running' RETURNING fence`;
  return rows.length;
}

/**
 * Run `fn` holding the folder's manifest lock (a transaction-level advisory lock: the
 * server drops it if this runner dies, so a crash never leaves the manifest locked).
 * `stillHeld` asks the lock's own connection: a server restart drops the lock without the
 * holder noticing, so the holder asks right before its write and once more after it.
 */
export async function withManifestLock<T>(
  sql: Sql,
  folderId: string,
  fn: (stillHeld: () => Promise<void>) => Promise<T>,
): Promise<T> {
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MANIFEST_LOCK}, hashtext(${folderId}))`;
    return await fn(async () => void (await tx`SELECT 1`));
  }) as T;
}

/**
 * The right to send one webhook outbox entry (src/coordinator/delivery-locks.ts): a
 * session-level advisory lock on the caller's own reserved connection, so it lasts while
 * that runner is alive and connected and the server drops it when the runner dies. Two
 * names sharing a hash only wait for each other.
 */
export async function tryDeliveryLock(sql: Sql, folderId: string, name: string): Promise<boolean> {
  const [row] = await sql<{ held: boolean }[]>`
    SELECT pg_try_advisory_lock(${OUTBOX_LOCK}, hashtext(${folderId} || '/' || ${name})) AS held`;
  return row!.held;
}

export async function releaseDeliveryLock(sql: Sql, folderId: string, name: string): Promise<void> {
  await sql`SELECT pg_advisory_unlock(${OUTBOX_LOCK}, hashtext(${folderId} || '/' || ${name}))`;
}

/** Runners of `folderId` alive now: not stopped, and a heartbeat within their lease (by the server's clock). */
export async function liveRunners(sql: Sql, folderId: string): Promise<{ host: string; pid: number }[]> {
  return await sql<{ host: string; pid: number }[]>`
    SELECT host, pid FROM proxx_runners
    WHERE folder_id = ${folderId} AND stopped_at IS NULL
      AND heartbeat_at > now() - make_interval(secs => lease_seconds)
    ORDER BY host, pid`;
}

export interface StatusRunner {
  runner_id: number;
  folder_id: string;
  host: string;
  pid: number;
  version: string;
  path: string;
  started_at: string;
  heartbeat_at: string;
  /** Seconds since the last heartbeat, by the server's clock. */
  heartbeat_age_seconds: number;
  lease_seconds: number;
  stopped_at: string | null;
}

export interface StatusJob {
  folder_id: string;
  name: string;
  runner_id: number | null;
  host: string | null;
  claimed_at: string | null;
  /** Seconds left on the lease (negative: ran out, a takeover is due). */
  lease_left_seconds: number | null;
  attempts: number;
}

export interface CoordinatorStatus {
  schema_version: number;
  server_time: string;
  runners: StatusRunner[];
  running: StatusJob[];
  counts: { folder_id: string; pending: number; running: number; done: number }[];
}

/** Runners not stopped (and those stopped in the last hour), running jobs, counts per folder. */
export async function status(sql: Sql, folderId: string | null): Promise<CoordinatorStatus> {
  const [meta] = await sql<{ version: number; now: Date }[]>`SELECT version, now() FROM proxx_schema`;
  const runners = await sql<StatusRunner[]>`
    SELECT runner_id::int AS runner_id, folder_id, host, pid, version, path, started_at, heartbeat_at,
           extract(epoch FROM now() - heartbeat_at)::float8 AS heartbeat_age_seconds, lease_seconds, stopped_at
    FROM proxx_runners
    WHERE (${folderId}::text IS NULL OR folder_id = ${folderId})
      AND (stopped_at IS NULL OR stopped_at > now() - interval '1 hour')
      AND heartbeat_at > now() - interval '1 day'
    ORDER BY folder_id, host, pid, runner_id`;
  const running = await sql<StatusJob[]>`
    SELECT folder_id, name, runner_id::int AS runner_id, host, claimed_at,
           extract(epoch FROM lease_until - now())::float8 AS lease_left_seconds, attempts
    FROM proxx_jobs WHERE state = 'running' AND (${folderId}::text IS NULL OR folder_id = ${folderId})
    ORDER BY folder_id, name`;
  const counts = await sql<{ folder_id: string; pending: number; running: number; done: number }[]>`
    SELECT folder_id, count(*) FILTER (WHERE state = 'pending')::int AS pending,
           count(*) FILTER (WHERE state = 'running')::int AS running,
           count(*) FILTER (WHERE state = 'done')::int AS done
    FROM proxx_jobs WHERE (${folderId}::text IS NULL OR folder_id = ${folderId})
    GROUP BY folder_id ORDER BY folder_id`;
  const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : d === null ? null : String(d));
  return {
    schema_version: meta!.version,
    server_time: iso(meta!.now)!,
    runners: runners.map((r) => ({
      ...r,
      started_at: iso(r.started_at)!,
      heartbeat_at: iso(r.heartbeat_at)!,
      stopped_at: iso(r.stopped_at),
    })),
    running: running.map((j) => ({ ...j, claimed_at: iso(j.claimed_at) })),
    counts: [...counts],
  };
}
