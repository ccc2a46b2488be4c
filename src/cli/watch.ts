/** `proxx watch <folder>`: the seed's watch-folder runner, wired to the engine. */
import type { Command } from "./command.ts";
import { runWatchFolder } from "../watch/runner.ts";
import { LockHeldError } from "../watch/lock.ts";
import { engineJobs } from "../watch/engine-jobs.ts";
import { absoluteFolder } from "../watch/names.ts";
import { createRenderer } from "./render.ts";
import { EXIT, EXIT_CODE_HELP } from "./exit-codes.ts";
import {
  FFMPEG_OPTIONS,
  interruptions,
  NOTIFY_HELP,
  NOTIFY_OPTIONS,
  notifyConfigFrom,
  numberOption,
  OUTPUT_OPTIONS,
  parse,
  toolsFrom,
  verbosityOf,
} from "./common.ts";
import { UsageError } from "./usage-error.ts";
import { VERSION } from "../version.ts";
import { parseShard, ShardSpecError } from "../shard/spec.ts";
import { openjdProgress } from "./openjd.ts";
import type { ProxxEvent } from "../engine/events.ts";
import { Notifier } from "../notify/notifier.ts";
import { COORDINATOR_HELP, COORDINATOR_OPTIONS, coordinatorFrom } from "./coordinator-options.ts";
import { type Coordinated, startCoordination } from "../coordinator/watch-coordination.ts";
import { CoordinatorError } from "../coordinator/connection.ts";
import { FolderClashError, MARKER_NAME } from "../coordinator/folder.ts";
import { joinPath } from "../watch/names.ts";

export const watchCommand: Command = {
  name: "watch",
  summary: "Process every JobSpec dropped into a folder: idempotent, crash-safe, sequential by default",
  help: `Usage: proxx watch <folder> [options]

Takes each pending *.json JobSpec in the folder root (sorted by name, one at a time
unless --max-workers says otherwise), runs it, writes <name>.result.json beside it,
moves the JobSpec into processed/ (COMPLETED) or failed/ (anything else) and records its
SHA-256 in processed_manifest.json. A JobSpec is skipped when its result file exists or
the manifest has the same path and hash. Files are taken only after they stop changing.

With --recursive, JobSpecs in subfolders are taken too, sorted by relative path
(a.json, a/job.json, b/job.json); each result is written beside its JobSpec and moves
mirror the subfolder (a/job.json -> processed/a/job.json). Never descended into: hidden
folders (.*), folders named processed or failed, symbolic links to folders, and a
subfolder another live runner holds the lock of. Manifest keys stay absolute paths.

Options:
  --once                 one pass over the folder, then exit (cron, CI)
  --shard I/N            take only shard I of N (1-based: 1/3, 2/3, 3/3) of the folder's
                         JobSpecs, by name; shards of one folder run at the same
                         time, on one host or many (NFS), each under its own lock.
                         'auto': index and total from the job engine (Slurm array, AWS
                         Batch, Cloud Run, GitLab/CircleCI/Buildkite/Azure parallel jobs);
                         'auto/N': index from the engine, total N (Kubernetes Indexed Job,
                         Nomad). 'proxx shard-of NAME --shards N' says where a name goes
  --recursive            take JobSpecs in subfolders too (see above; status and reset
                         take --recursive as well)
  --poll-seconds N       seconds between scans in continuous mode (default 2)
  --settle-seconds N     a file must be unchanged this long before it is taken (default 2; 0 = at once)
  --max-workers N        run up to N jobs at the same time (default 1). Clips within a job
                         stay sequential; results, moves, manifest and log order are those of
                         a sequential run. FFmpeg already uses every core for one large
                         clip; N > 1 pays off for many short clips (docs/performance.md)
  --timeout-seconds N    kill FFmpeg after N seconds per clip (default 3600;
                         ffprobe gets at most 120)
  --ffmpeg PATH          FFmpeg to use (default: $PROXX_FFMPEG, then PATH, then usual places)
  --ffprobe PATH         ffprobe to use
${NOTIFY_HELP}
  --progress openjd      print 'openjd_progress: <0-100>' and 'openjd_status: <text>' lines
                         on stdout for AWS Deadline Cloud / Open Job Description (then
                         stdout carries only those lines; not with --json)
${COORDINATOR_HELP}
  --json                 print events as NDJSON on stdout (docs/events.md)
  -q, --quiet            print errors only
  -v, --verbose          also print the FFmpeg command lines
  -h, --help             show this help

Examples:
  proxx watch ./jobs --once                       # cron: */5 * * * * proxx watch /data/jobs --once
  proxx watch ./jobs                              # poll every 2 s until Ctrl-C / SIGTERM
  proxx watch ./jobs --poll-seconds 30 --json > events.ndjson
  proxx watch ./jobs --once --max-workers 2       # two jobs at a time
  proxx watch ./jobs --recursive --once           # jobs/Day01/CamA/job.json too
  proxx watch /mnt/nfs/jobs --once --shard 2/3    # one of three machines
  proxx watch /mnt/nfs/jobs --once --shard auto   # a Slurm / AWS Batch array task
  proxx watch /mnt/nfs/jobs --once --shard auto --progress openjd   # a Deadline Cloud task
  proxx status ./jobs                             # what is pending, processed and failed
  proxx reset ./jobs --failed                     # move failed jobs back for a retry
  PROXX_COORDINATOR=postgres://proxx@db/proxx proxx watch /mnt/nas/jobs   # on every machine
  proxx coordinator status --coordinator postgres://proxx@db/proxx     # who runs what
  proxx watch ./jobs --on-job-done './notify.sh --channel edit'   # a hook after each job
  PROXX_WEBHOOK_SECRET=s3cret proxx watch ./jobs --webhook https://example.com/proxx

Stopping: the first SIGINT/SIGTERM stops FFmpeg cleanly, removes its temp output and
leaves that JobSpec pending; a second one exits at once. Either way the next start
finishes correctly (docs/crash-safety.md). Webhook deliveries are kept in .proxx-outbox/
until they are done: --once waits for them (about a minute at most), a stop leaves them
for the next start (docs/hooks-and-webhooks.md). Coordinated, the stopped job is released
to the other runners at once.

Coordinated runners take no folder lock (they share the folder) and refuse to start
beside a live runner without --coordinator. Exit 4 when the coordinator cannot be
reached, refuses the login, lacks the right to create proxx's tables, has a newer
schema, or knows the --folder-id as another folder's (the message says which; the
password is never shown); exit 2 for a URL that is not postgres://.

Shards: each of N runners takes the JobSpecs assigned to it by their path relative to
the folder and N alone (numbered series round-robin, other names by rendezvous hashing:
'proxx shard-of'), under its own lock .proxx.lock.<I>of<N>; a lock of a
runner on another host that stops renewing it is taken over after its lease
(docs/crash-safety.md). An engine that retries a task of the same index re-runs only
what is unfinished; the exit code counts the jobs that run ran (0 or 1, as below).

${EXIT_CODE_HELP}
`,
  async run(platform, argv) {
    const { values, positionals } = parse("watch", argv, {
      ...OUTPUT_OPTIONS,
      ...FFMPEG_OPTIONS,
      ...NOTIFY_OPTIONS,
      ...COORDINATOR_OPTIONS,
      once: { type: "boolean" },
      recursive: { type: "boolean" },
      "poll-seconds": { type: "string" },
      "settle-seconds": { type: "string" },
      "max-workers": { type: "string" },
      shard: { type: "string" },
      progress: { type: "string" },
    });
    if (values.help) return (platform.writeStdout(this.help), EXIT.OK);
    if (positionals.length !== 1) throw new UsageError("expects exactly one folder", "watch");
    const folder = positionals[0]!;
    const pollSeconds = numberOption("poll-seconds", values["poll-seconds"], 2, 0.05);
    const settleSeconds = numberOption("settle-seconds", values["settle-seconds"], 2, 0);
    const timeoutSeconds = numberOption("timeout-seconds", values["timeout-seconds"], 3600, 1);
    const maxWorkers = numberOption("max-workers", values["max-workers"], 1, 1);
    if (!Number.isInteger(maxWorkers) || maxWorkers > 64) {
      throw new UsageError(
        `--max-workers must be a whole number from 1 to 64, got '${values["max-workers"]}'`,
        "watch",
      );
    }
    let shard = null;
    if (values.shard !== undefined) {
      try {
        shard = parseShard(values.shard, (name) => platform.env(name));
      } catch (error) {
        if (error instanceof ShardSpecError) throw new UsageError(error.message, "watch");
        throw error;
      }
    }
    if (values.progress !== undefined && values.progress !== "openjd") {
      throw new UsageError(`--progress '${values.progress}': the only progress protocol is 'openjd'`, "watch");
    }
    if (values.progress === "openjd" && values.json) {
      throw new UsageError("--progress openjd and --json both write to stdout; pick one", "watch");
    }
    const choice = coordinatorFrom(platform, values, "watch");
    if (shard && choice) {
      throw new UsageError(
        "--shard and --coordinator are two ways to share a folder; pick one (README: More than one machine)",
        "watch",
      );
    }
    if (!(await platform.stat(folder))?.isDirectory) {
      platform.writeStderr(`proxx watch: folder does not exist or is not a directory: ${folder}\n`);
      return EXIT.ENVIRONMENT;
    }
    const render = createRenderer(platform, {
      json: Boolean(values.json),
      verbosity: verbosityOf(values),
      // a/job.json and b/job.json: the log names JobSpecs by their path in the tree.
      ...(values.recursive ? { jobspecRoot: await absoluteFolder(platform, folder) } : {}),
    });
    const openjd = values.progress === "openjd"
      ? openjdProgress((line) => platform.writeStdout(line), (p) => p.split("/").pop() ?? p)
      : null;
    const log = render;
    const onEvent = openjd ? (event: ProxxEvent) => (log(event), openjd(event)) : log;
    const tools = await toolsFrom(platform, values);
    let coordinated: Coordinated | null = null;
    if (!choice && (await platform.lstat(joinPath(await absoluteFolder(platform, folder), MARKER_NAME)))) {
      // Coordinated runners hold no folder lock: this runner would not see their claims.
      render({
        type: "warning",
        message: `${folder} has been watched by coordinated runners (${MARKER_NAME}); this runner has no ` +
          `--coordinator, so make sure none of them is running, or start this one with the same --coordinator`,
      });
    }
    if (choice) {
      try {
        coordinated = await startCoordination(platform, {
          ...choice,
          folder: await absoluteFolder(platform, folder),
          version: VERSION,
          onEvent: render,
          maxConnections: maxWorkers + 3,
        });
      } catch (error) {
        if (error instanceof CoordinatorError || error instanceof FolderClashError) {
          platform.writeStderr(`proxx watch: ${error.message}\n`);
          return EXIT.ENVIRONMENT;
        }
        throw error;
      }
    }
    const stop = interruptions(platform, (signal) => render({ type: "stopping", signal }));
    const notify = await notifyConfigFrom(platform, values, "watch", stop.signal).catch(async (error) => {
      stop.dispose();
      await coordinated?.close();
      throw error;
    });
    try {
      const summary = await runWatchFolder(platform, {
        folder,
        once: Boolean(values.once),
        recursive: Boolean(values.recursive),
        pollSeconds,
        settleSeconds,
        maxWorkers,
        signal: stop.signal,
        onEvent,
        proxxVersion: VERSION,
        notifier: new Notifier(platform, notify, render, coordinated?.deliveryLocks ?? null),
        shard,
        coordination: coordinated?.coordination,
        ...engineJobs(platform, { tools, timeoutSeconds }),
      });
      const interrupted = stop.exitCode();
      if (interrupted !== null) return interrupted;
      if (values.once) openjd?.finished();
      return summary.failed + summary.invalid > 0 ? EXIT.FAILED : EXIT.OK;
    } catch (error) {
      if (error instanceof LockHeldError) {
        platform.writeStderr(
          `proxx watch: ${error.message}\n${
            shard ? "Only one runner may work on a shard" : "Only one runner may work on a folder"
          }; stop the other one first.\n`,
        );
        return EXIT.LOCKED;
      }
      throw error;
    } finally {
      stop.dispose();
      await coordinated?.close();
    }
  },
};
