/**
 * The connection to the coordinator: the npm client `postgres` (docs/coordinator.md says why
 * it and not Bun's built-in SQL client: it runs the same on Bun, on Deno and in the compiled binary, so the
 * core needs no platform seam for it). Errors come out as `CoordinatorError`, whose message
 * names the server as user@host:port/db and never carries the password.
 */
import postgres from "postgres";
import type { Platform } from "../platform/types.ts";
import { type CoordinatorUrl, redactSecrets } from "./url.ts";
import { migrate, SchemaTooNewError, type Sql } from "./sql.ts";

export class CoordinatorError extends Error {
  override readonly name = "CoordinatorError";
  constructor(message: string, readonly code: string | undefined = undefined) {
    super(message);
  }
}

export interface Connection {
  sql: Sql;
  url: CoordinatorUrl;
  /** Round trips made (the benchmark's "queries per job"). */
  queries: () => number;
  close(): Promise<void>;
}

/**
 * postgres 3.4.9 can schedule a write (setImmediate) that runs after its socket closed when
 * the server drops the connection (`pg_ctl restart -m immediate`): a TypeError thrown
 * outside any promise, which would kill the runner although the query itself fails and is
 * retried. Only that one error is swallowed; anything else stays fatal, as without the handler.
 */
const guarded = new WeakSet<Platform>();
function guardDriverRace(platform: Platform): void {
  if (guarded.has(platform)) return;
  guarded.add(platform);
  platform.onUncaughtException((error) => {
    const stack = String((error as Error)?.stack ?? "");
    if (error instanceof TypeError && /postgres[\\/]src[\\/]connection\.js/.test(stack) && /socket/.test(stack)) return;
    platform.writeStderr(`${stack || String(error)}\n`);
    platform.exit(70);
  });
}

export function connect(
  platform: Platform,
  url: CoordinatorUrl,
  options: {
    max?: number;
    connectTimeoutSeconds?: number;
    /** false: a connection is never closed for being idle or old (one holding session locks). */
    recycle?: boolean;
  } = {},
): Connection {
  guardDriverRace(platform);
  let count = 0;
  const sql = postgres(url.url, {
    max: options.max ?? 4,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: options.recycle === false ? 0 : 60,
    ...(options.recycle === false ? { max_lifetime: 0 } : {}),
    // Nothing proxx sends depends on prepared statements surviving a reconnect.
    prepare: false,
    // One round trip less per new connection; sql.ts passes lists as JSON, not as arrays.
    fetch_types: false,
    onnotice: () => {},
    connection: { application_name: "proxx" },
    debug: () => void count++,
  });
  return {
    sql,
    url,
    queries: () => count,
    close: async () => {
      await sql.end({ timeout: 2 }).catch(() => {});
    },
  };
}

/**
 * What went wrong, for a person: the server (no password), what the driver or server said
 * (scrubbed), and what to check. Used for the start-up errors (exit 4) and the warnings
 * while running.
 */
export function describeError(url: CoordinatorUrl, error: unknown): CoordinatorError {
  if (error instanceof CoordinatorError) return error;
  const e = error as { message?: string; code?: string; errno?: string };
  const raw = redactSecrets(String(e?.message ?? error), url.password);
  const code = e?.code ?? e?.errno;
  const where = `coordinator ${url.redacted}`;
  if (error instanceof SchemaTooNewError) return new CoordinatorError(`${where}: ${error.message}`, "SCHEMA_TOO_NEW");
  switch (code) {
    case "28P01":
    case "28000":
      return new CoordinatorError(`${where}: authentication failed (${raw}); check the user and password`, code);
    case "42501":
      return new CoordinatorError(
        `${where}: permission denied (${raw}); proxx creates its own tables (proxx_*) at first start, so the user ` +
          `needs CREATE on the schema, e.g. as the owner: GRANT CREATE ON SCHEMA public TO ${url.user}`,
        code,
      );
    case "3D000":
      return new CoordinatorError(`${where}: ${raw}; create it first (createdb ${url.database})`, code);
    case "ECONNREFUSED":
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "ETIMEDOUT":
    case "CONNECT_TIMEOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return new CoordinatorError(`${where}: cannot reach ${url.host}:${url.port} (${raw})`, code);
  }
  return new CoordinatorError(`${where}: ${raw}`, code);
}

/** Connect, check the server answers, create or migrate proxx's tables. Throws CoordinatorError. */
export async function openCoordinator(
  platform: Platform,
  url: CoordinatorUrl,
  options: { max?: number } = {},
): Promise<Connection> {
  const connection = connect(platform, url, options);
  try {
    await migrate(connection.sql);
    return connection;
  } catch (error) {
    await connection.close();
    throw describeError(url, error);
  }
}
