/** `proxx coordinator status`: what the coordinated runners of a database are doing (read-only). */
import type { Command } from "./command.ts";
import { EXIT } from "./exit-codes.ts";
import { parse } from "./common.ts";
import { UsageError } from "./usage-error.ts";
import { COORDINATOR_OPTIONS, coordinatorFrom } from "./coordinator-options.ts";
import { connect, describeError } from "../coordinator/connection.ts";
import { type CoordinatorStatus, SCHEMA_VERSION, SchemaTooNewError, status } from "../coordinator/sql.ts";
import { absoluteFolder } from "../watch/names.ts";

export const coordinatorCommand: Command = {
  name: "coordinator",
  summary: "Show the runners and running jobs of a PostgreSQL coordinator (proxx watch --coordinator)",
  help: `Usage: proxx coordinator status [<folder>] --coordinator URL [options]

Read-only: every runner registered with the coordinator (host, pid, version, last
heartbeat) and every running job (which runner, since when, lease left, attempts),
with pending/running/done counts per folder. With <folder> (or --folder-id) only
that folder's; without, every folder of the database.

Options:
  --coordinator URL    postgres://USER[:PASS]@HOST[:PORT]/DB (or $PROXX_COORDINATOR)
  --folder-id NAME     the folder id the runners were started with
  --json               print the status as one JSON object on stdout
  -h, --help           show this help

Examples:
  PROXX_COORDINATOR=postgres://proxx@db.local/proxx proxx coordinator status
  proxx coordinator status /mnt/nas/jobs --coordinator postgres://proxx@db.local/proxx
  proxx coordinator status --folder-id nas-jobs --json | jq .running

A runner whose heartbeat is older than its lease is marked "silent": its jobs are taken
over when their leases run out. A running job with a negative lease left is due for a
takeover at the next runner's poll.

Exit codes: 0 shown, 2 usage error (or a URL that is not postgres://), 4 the
coordinator cannot be reached or has no proxx tables yet (the password is never shown).
`,
  async run(platform, argv) {
    const { values, positionals } = parse("coordinator", argv, {
      ...COORDINATOR_OPTIONS,
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) return (platform.writeStdout(this.help), EXIT.OK);
    if (positionals[0] !== "status") throw new UsageError("expects 'status' (proxx coordinator status)", "coordinator");
    if (positionals.length > 2) throw new UsageError("expects at most one folder", "coordinator");
    const choice = coordinatorFrom(platform, values, "coordinator");
    if (!choice) throw new UsageError("needs --coordinator URL (or PROXX_COORDINATOR)", "coordinator");
    const folderId = choice.folderId ?? (positionals[1] ? await absoluteFolder(platform, positionals[1]) : null);
    const connection = connect(platform, choice.url, { max: 1 });
    let s: CoordinatorStatus;
    try {
      const [known] = await connection.sql<{ version: number }[]>`
        SELECT version FROM proxx_schema`.catch((error) => {
        if ((error as { code?: string }).code === "42P01") {
          throw new Error(`no proxx tables in ${choice.url.database} yet: start a runner with --coordinator first`);
        }
        throw error;
      });
      if (known && known.version > SCHEMA_VERSION) throw new SchemaTooNewError(known.version);
      s = await status(connection.sql, folderId);
    } catch (error) {
      platform.writeStderr(`proxx coordinator: ${describeError(choice.url, error).message}\n`);
      return EXIT.ENVIRONMENT;
    } finally {
      await connection.close();
    }
    if (values.json) {
      platform.writeStdout(`${JSON.stringify({ coordinator: choice.url.redacted, ...s }, null, 2)}\n`);
      return EXIT.OK;
    }
    const lines = [`coordinator: ${choice.url.redacted} (schema ${s.schema_version}, server time ${s.server_time})`];
    for (const c of s.counts) {
      lines.push(`folder ${c.folder_id}: ${c.pending} pending, ${c.running} running, ${c.done} done`);
    }
    const live = s.runners.filter((r) => r.stopped_at === null);
    lines.push(`runners: ${live.length}`);
    for (const r of s.runners) {
      const state = r.stopped_at !== null
        ? `stopped ${r.stopped_at}`
        : r.heartbeat_age_seconds > r.lease_seconds
        ? `silent for ${r.heartbeat_age_seconds.toFixed(0)} s (lease ${r.lease_seconds} s)`
        : `heartbeat ${r.heartbeat_age_seconds.toFixed(1)} s ago`;
      lines.push(`  #${r.runner_id} ${r.host} pid ${r.pid} proxx ${r.version}: ${state}; ${r.path}`);
    }
    lines.push(`running jobs: ${s.running.length}`);
    for (const j of s.running) {
      const left = j.lease_left_seconds === null ? "?" : j.lease_left_seconds.toFixed(1);
      lines.push(
        `  ${j.name}  runner #${j.runner_id} on ${j.host} since ${j.claimed_at}, lease left ${left} s, attempt ${j.attempts}`,
      );
    }
    platform.writeStdout(lines.join("\n") + "\n");
    return EXIT.OK;
  },
};
