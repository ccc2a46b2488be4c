/** `proxx status <folder>` and `proxx reset <folder>`: look at and undo a watch folder's bookkeeping. */
import type { Command } from "./command.ts";
import type { Platform } from "../platform/types.ts";
import { folderStatus } from "../watch/status.ts";
import { resetJobs } from "../watch/reset.ts";
import { absoluteFolder } from "../watch/names.ts";
import { hasMirroredTree } from "../watch/tree.ts";
import { LockHeldError } from "../watch/lock.ts";
import { EXIT } from "./exit-codes.ts";
import { numberOption, parse } from "./common.ts";
import { UsageError } from "./usage-error.ts";
import { parseShard, ShardSpecError } from "../shard/spec.ts";
import { coordinatorFrom } from "./coordinator-options.ts";
import { CoordinatorError } from "../coordinator/connection.ts";
import { MARKER_NAME, readMarker } from "../coordinator/folder.ts";
import { LiveRunnersError, refuseLiveRunners } from "../coordinator/reset-check.ts";

function shardFlag(platform: Platform, value: string | undefined, command: string) {
  if (value === undefined) return null;
  try {
    return parseShard(value, (name) => platform.env(name));
  } catch (error) {
    if (error instanceof ShardSpecError) throw new UsageError(error.message, command);
    throw error;
  }
}

export const statusCommand: Command = {
  name: "status",
  summary: "Show a watch folder: pending, settling, processed, failed, last results, manifest health",
  help: `Usage: proxx status <folder> [options]

Read-only: never writes, never takes the lock. "pending" lists what the next
'proxx watch' would take, in order.

Options:
  --recursive          look at the tree 'proxx watch --recursive' works on: JobSpecs in
                       subfolders, and processed/ and failed/ with their subfolders
  --shard I/N          only what shard I of N ('proxx watch --shard I/N') owns: its
                       pending, settling and skipped JobSpecs ('auto' forms as for watch)
  --recent N           how many of the latest results to list (default 10)
  --settle-seconds N   files modified less than N seconds ago count as settling (default 2)
  --json               print the status as one JSON object on stdout
  -h, --help           show this help

Examples:
  proxx status ./jobs
  proxx status ./jobs --json | jq .pending
  proxx status ./jobs --recursive      # a folder watched with --recursive
  proxx status ./jobs --shard 2/3      # what shard 2 of 3 takes

Exit codes: 0 shown, 4 folder missing, 2 usage error.
`,
  async run(platform, argv) {
    const { values, positionals } = parse("status", argv, {
      json: { type: "boolean" },
      recursive: { type: "boolean" },
      recent: { type: "string" },
      "settle-seconds": { type: "string" },
      shard: { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) return (platform.writeStdout(this.help), EXIT.OK);
    if (positionals.length !== 1) throw new UsageError("expects exactly one folder", "status");
    const shard = shardFlag(platform, values.shard, "status");
    if (!(await platform.stat(positionals[0]!))?.isDirectory) {
      platform.writeStderr(`proxx status: folder does not exist or is not a directory: ${positionals[0]}\n`);
      return EXIT.ENVIRONMENT;
    }
    const s = await folderStatus(platform, positionals[0]!, {
      recent: numberOption("recent", values.recent, 10, 0),
      settleSeconds: numberOption("settle-seconds", values["settle-seconds"], 2, 0),
      recursive: Boolean(values.recursive),
      shard,
    });
    if (!values.recursive) await hintRecursive(platform, "status", s.folder);
    if (values.json) {
      platform.writeStdout(`${JSON.stringify(s, null, 2)}\n`);
      return EXIT.OK;
    }
    const lines = [
      `folder:     ${s.folder}`,
      `pending:    ${s.pending.length}`,
      `settling:   ${s.settling.length}`,
      `skipped:    ${s.skipped.length}`,
      `processed:  ${s.processed}`,
      `failed:     ${s.failed}`,
      `manifest:   ${s.manifest}`,
      `lock:       ${
        s.lock
          ? `pid ${s.lock.pid} on ${s.lock.host} since ${s.lock.started_at}${
            s.lock_live ? "" : " (stale: the next runner takes it over)"
          }`
          : "none"
      }`,
    ];
    if (s.shard) {
      lines.splice(1, 0, `shard:      ${s.shard} (pending, settling and skipped: this shard's JobSpecs only)`);
    }
    for (const l of s.locks.filter((l) => l.shard !== null)) {
      lines.push(
        `shard lock: ${l.shard}: ${
          l.info ? `pid ${l.info.pid} on ${l.info.host} since ${l.info.started_at}` : "unreadable"
        }`,
      );
    }
    if (s.inflight) lines.push(`in flight:  ${s.inflight.jobspec_path} (attempt ${s.inflight.attempts})`);
    for (const p of s.pending) lines.push(`  pending   ${p}`);
    for (const p of s.settling) lines.push(`  settling  ${p}`);
    for (const f of s.passed_over ?? []) lines.push(`  passed over  ${f.path}: ${f.reason}`);
    if (s.recent.length > 0) lines.push("recent results:");
    for (const r of s.recent) lines.push(`  ${r.time}  ${r.status.padEnd(9)}  ${r.path}`);
    platform.writeStdout(`${lines.join("\n")}\n`);
    return EXIT.OK;
  },
};

export const resetCommand: Command = {
  name: "reset",
  summary: "Undo processing so JobSpecs run again (the seed's 'How to Reset', done safely)",
  help: `Usage: proxx reset <folder> [JOB ...] [--failed] [--all] [options]

Moves the named JobSpecs (or all failed ones, or all) from processed/ and failed/ back
into the folder root, and removes their result files and manifest entries. Never
overwrites a file in the root. Refused while a runner holds the folder's lock.

With --recursive (a folder watched with 'proxx watch --recursive'), processed/ and
failed/ are read with their subfolders and each JobSpec goes back where it came from
(processed/a/job.json -> a/job.json); a JOB is then a relative path: 'a/job' is
a/job.json, plain 'job' the root's job.json.

Options:
  --failed     reset every JobSpec in failed/
  --all        reset everything: processed/, failed/, results and manifest entries
  --recursive  the whole tree, as 'proxx watch --recursive' made it (see above)
  --shard I/N  only JobSpecs shard I of N owns, under that shard's lock: the other
               shards may keep running (without it, reset needs every shard stopped)
  --coordinator URL
               a folder of coordinated runners (proxx watch --coordinator): refused
               while any of them is live; needed once the folder has .proxx-coordinator.json
               (or $PROXX_COORDINATOR)
  --folder-id NAME
               the folder id they use (default: the one in .proxx-coordinator.json)
  --json       print the actions taken as JSON on stdout
  -h, --help   show this help

Examples:
  proxx reset ./jobs my_job            # my_job.json runs again at the next scan
  proxx reset ./jobs --failed          # retry every failed job
  proxx reset ./jobs --all && proxx watch ./jobs --once
  proxx reset ./jobs --recursive a/job --failed   # a/job.json and every failed job of the tree
  proxx reset ./jobs --failed --shard 2/3          # shard 2's failed jobs, shards 1 and 3 running
  PROXX_COORDINATOR=postgres://proxx@db/proxx proxx reset /mnt/nas/jobs --failed   # coordinated runners stopped

Exit codes: 0 done, 1 something was refused or not found, 5 a runner holds the lock
(or coordinated runners are live), 4 folder missing or the coordinator unreachable,
2 usage error (a coordinated folder without --coordinator).
`,
  async run(platform, argv) {
    const { values, positionals } = parse("reset", argv, {
      failed: { type: "boolean" },
      all: { type: "boolean" },
      recursive: { type: "boolean" },
      json: { type: "boolean" },
      shard: { type: "string" },
      coordinator: { type: "string" },
      "folder-id": { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) return (platform.writeStdout(this.help), EXIT.OK);
    const shard = shardFlag(platform, values.shard, "reset");
    const choice = coordinatorFrom(platform, values, "reset");
    const [folder, ...jobs] = positionals;
    if (!folder) throw new UsageError("expects a folder", "reset");
    if (jobs.length === 0 && !values.failed && !values.all) {
      throw new UsageError("name the jobs to reset, or give --failed or --all", "reset");
    }
    if (!(await platform.stat(folder))?.isDirectory) {
      platform.writeStderr(`proxx reset: folder does not exist or is not a directory: ${folder}\n`);
      return EXIT.ENVIRONMENT;
    }
    const absolute = await absoluteFolder(platform, folder);
    const marker = await readMarker(platform, absolute);
    if (marker && !choice) {
      platform.writeStderr(
        `proxx reset: ${folder} is worked on by coordinated runners (${MARKER_NAME}, folder id '${marker.folder_id}'), ` +
          `which hold no folder lock: give --coordinator URL (or PROXX_COORDINATOR) so reset can make sure none is running\n`,
      );
      return EXIT.USAGE;
    }
    if (choice?.folderId !== undefined && marker && choice.folderId !== marker.folder_id) {
      throw new UsageError(
        `--folder-id '${choice.folderId}' is not this folder's: its ${MARKER_NAME} says '${marker.folder_id}'`,
        "reset",
      );
    }
    // PROXX_COORDINATOR alone (a machine's environment) on a folder no coordinated runner ever used: nothing to ask.
    const coordinator = marker || values.coordinator !== undefined ? choice : null;
    // The id the runners use: the marker's (checked equal to --folder-id above), else the absolute path.
    const folderId = coordinator ? coordinator.folderId ?? marker?.folder_id ?? absolute : null;
    try {
      const actions = await resetJobs(platform, folder, {
        jobs,
        failed: values.failed,
        all: values.all,
        recursive: values.recursive,
        shard,
        whileLocked: coordinator ? () => refuseLiveRunners(platform, coordinator.url, folderId!) : undefined,
      });
      if (!values.recursive) await hintRecursive(platform, "reset", await absoluteFolder(platform, folder));
      if (values.json) platform.writeStdout(`${JSON.stringify(actions, null, 2)}\n`);
      else {
        for (const a of actions) {
          const text = a.action === "moved"
            ? `moved ${a.from} → ${a.to}`
            : a.action === "refused"
            ? `refused ${a.path}: ${a.reason}`
            : a.action === "not_found"
            ? `not found: ${a.job}`
            : `${a.action.replaceAll("_", " ")}: ${a.path}`;
          platform.writeStdout(`${text}\n`);
        }
        if (actions.length === 0) platform.writeStdout("nothing to reset\n");
      }
      return actions.some((a) => a.action === "refused" || a.action === "not_found") ? EXIT.FAILED : EXIT.OK;
    } catch (error) {
      if (error instanceof LiveRunnersError) {
        platform.writeStderr(
          `proxx reset: ${error.message}\nStop them (or let them finish) first; nothing was changed.\n`,
        );
        return EXIT.LOCKED;
      }
      if (error instanceof CoordinatorError) {
        platform.writeStderr(`proxx reset: ${error.message}; nothing was changed\n`);
        return EXIT.ENVIRONMENT;
      }
      if (error instanceof LockHeldError) {
        platform.writeStderr(`proxx reset: ${error.message}\nStop the runner first.\n`);
        return EXIT.LOCKED;
      }
      throw error;
    }
  },
};

/** Without --recursive, say on stderr when processed/ or failed/ has subfolders (a --recursive runner's), so nothing is left out unnoticed. */
async function hintRecursive(platform: Platform, command: string, folder: string): Promise<void> {
  if (await hasMirroredTree(platform, folder)) {
    platform.writeStderr(
      `proxx ${command}: note: processed/ or failed/ of ${folder} has subfolders (made by 'proxx watch --recursive'); ` +
        `they are left out: add --recursive to include them\n`,
    );
  }
}
