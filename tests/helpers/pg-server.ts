/**
 * A private PostgreSQL server for one test file: `initdb` + `pg_ctl` into a temp dir,
 * listening on 127.0.0.1 at a free port, never a mock. PostgreSQL refuses to run as root
 * (CI runs as root), so as root the server runs as `nobody` (setpriv) in a temp dir it owns.
 *
 *   const pg = await startPgServer();   // pg.url: postgres://proxx:secret@127.0.0.1:PORT/proxx
 *   ...
 *   await pg.stop();                    // in afterAll: also after a failure
 */
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const PG_PASSWORD = "s3cret-pg-pass";

export interface PgServer {
  /** postgres://proxx:PASSWORD@127.0.0.1:PORT/proxx: the owner of the database (may create tables). */
  url: string;
  /** A role that may connect but not create tables in schema public. */
  readOnlyUrl: string;
  port: number;
  dataDir: string;
  /** Run SQL as the superuser (psql); returns stdout. */
  psql(sql: string): string;
  /** Run SQL as the superuser in another database. */
  psqlDb(db: string, sql: string): string;
  /** `pg_ctl restart -m immediate`: what a crashed database server does. */
  restartImmediate(): void;
  /** `pg_ctl stop -m immediate` / start again (for "database down" tests). */
  stopServer(): void;
  startServer(): void;
  /** Stop the server and remove its directory. */
  stop(): Promise<void>;
}

/** Where Debian's `postgresql` package puts initdb/pg_ctl (the highest version), or null. */
export function pgBinDir(): string | null {
  for (const v of ["17", "16", "15", "14", "13"]) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(join(dir, "pg_ctl"))) return dir;
  }
  const r = spawnSync("sh", ["-c", "command -v pg_ctl"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim().replace(/\/pg_ctl$/, "") : null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPgServer(): Promise<PgServer> {
  const bin = pgBinDir();
  if (!bin) throw new Error("PostgreSQL is not installed (Debian: apt-get install postgresql); scripts/setup does it");
  const root = mkdtempSync(join(tmpdir(), "proxx-pg-"));
  chmodSync(root, 0o755);
  const dataDir = join(root, "data");
  const isRoot = process.getuid?.() === 0;
  // As root: run every server command as nobody:nogroup (PostgreSQL will not run as root).
  const asUser = (cmd: string, args: string[]) =>
    isRoot
      ? ["setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", cmd, ...args]] as const
      : [cmd, args] as const;
  if (isRoot) chownSync(root, uidOf("nobody"), gidOf("nogroup"));
  const run = (cmd: string, args: string[], input?: string) => {
    const [c, a] = asUser(cmd, args);
    const r = spawnSync(c, [...a], { encoding: "utf8", input, cwd: root, env: { ...process.env, LC_ALL: "C" } });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const pwFile = join(root, "pw");
  writeFileSync(pwFile, "superpass\n");
  if (isRoot) chownSync(pwFile, uidOf("nobody"), gidOf("nogroup"));
  run(join(bin, "initdb"), [
    "-D",
    dataDir,
    "-U",
    "postgres",
    "--auth=scram-sha-256",
    `--pwfile=${pwFile}`,
    "-E",
    "UTF8",
    "--no-sync",
  ]);
  const port = await freePort();
  const log = join(root, "server.log");
  const startArgs = [
    "-D",
    dataDir,
    "-l",
    log,
    "-w",
    "-t",
    "30",
    "-o",
    `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${root} -c fsync=off -c max_connections=100`,
  ];
  const startServer = () => void run(join(bin, "pg_ctl"), ["start", ...startArgs]);
  startServer();
  const psql = (sql: string, db = "postgres") =>
    run(join(bin, "psql"), [
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-At",
      "-h",
      root,
      "-p",
      String(port),
      "-U",
      "postgres",
      "-d",
      db,
    ], sql);
  // psql reads the superuser's password from PGPASSWORD.
  process.env.PGPASSWORD = "superpass";
  psql(
    `CREATE ROLE proxx LOGIN PASSWORD '${PG_PASSWORD}';
     CREATE ROLE reader LOGIN PASSWORD '${PG_PASSWORD}';
     CREATE DATABASE proxx OWNER proxx;`,
  );
  psql(`REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO reader;`, "proxx");
  let stopped = false;
  return {
    url: `postgres://proxx:${PG_PASSWORD}@127.0.0.1:${port}/proxx`,
    readOnlyUrl: `postgres://reader:${PG_PASSWORD}@127.0.0.1:${port}/proxx`,
    port,
    dataDir,
    psql: (sql: string) => psql(sql, "proxx"),
    psqlDb: (db: string, sql: string) => psql(sql, db),
    restartImmediate: () => void run(join(bin, "pg_ctl"), ["restart", "-m", "immediate", ...startArgs]),
    stopServer: () => void run(join(bin, "pg_ctl"), ["stop", "-m", "immediate", "-D", dataDir, "-w"]),
    startServer,
    stop: () => {
      if (stopped) return Promise.resolve();
      stopped = true;
      try {
        run(join(bin, "pg_ctl"), ["stop", "-m", "immediate", "-D", dataDir, "-w"]);
      } catch { /* already stopped */ }
      rmSync(root, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

function uidOf(name: string): number {
  return Number(spawnSync("id", ["-u", name], { encoding: "utf8" }).stdout.trim());
}
function gidOf(name: string): number {
  return Number(spawnSync("getent", ["group", name], { encoding: "utf8" }).stdout.split(":")[2]);
}
