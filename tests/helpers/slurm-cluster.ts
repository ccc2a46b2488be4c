/**
 * A real one-host Slurm cluster in a temp dir, for tests: `munged`, `slurmctld -D` and
 * `slurmd -D` run as children of the test process, on a private munge socket and private
 * ports, with every state/spool/log/pid path in the temp dir. Nothing in /etc is read or
 * written: `SLURM_CONF` (in `cluster.env`) points the daemons and the clients (sbatch,
 * squeue, scontrol) at the temp slurm.conf, and `AuthInfo=socket=` at the private munged.
 *
 * Facts this relies on (checked on Debian 12, Slurm 22.05): without systemd and in
 * containers the cgroup plugins fail, so `ProctrackType=proctrack/linuxproc` and
 * `TaskPlugin=task/none`; `SlurmdParameters=config_overrides` lets the one node claim more
 * CPUs than the machine has (16), so that a 4-task array of 4-CPU tasks (the deploy script asks
 * for 4) runs all at once on a 2-core machine.
 * A requeued job waits for a BeginTime about two minutes away; `requeue` below moves it to now.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { hostname, tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { setTimer } from "../../src/platform/shared.ts";
import { sleepOn } from "../../src/util/timers.ts";

const clock = { setTimer };
const DAEMONS = ["munged", "slurmctld", "slurmd"] as const;
const CLIENTS = ["sbatch", "squeue", "scontrol", "scancel", "sinfo"] as const;
/** The node's name in slurm.conf (slurmd -N); the controller must use the real host name. */
const NODE = "proxxnode";

/** Why a cluster cannot be started here (a missing program), or null when it can. */
export function slurmMissing(): string | null {
  const missing = [...DAEMONS, ...CLIENTS].filter((name) => which(name) === null);
  return missing.length
    ? `not installed: ${missing.join(", ")} (Debian: apt-get install slurm-wlm munge; scripts/setup does it)`
    : null;
}

export interface ArrayTask {
  /** SLURM_ARRAY_TASK_ID */
  index: number;
  /** JobState, e.g. COMPLETED, FAILED, RUNNING, PENDING, CANCELLED. */
  state: string;
  /** ExitCode as Slurm prints it: `<exit status>:<signal>`. */
  exitCode: string;
  restarts: number;
}

export interface SlurmCluster {
  dir: string;
  /** Environment for the Slurm clients (and anything else started for the test). */
  env: Record<string, string>;
  /** `sbatch --parsable <args>`; returns the job id. */
  sbatch(args: string[]): string;
  /** Each task of an array job, by index. */
  tasks(jobId: string): ArrayTask[];
  /** Waits until no task of the job is pending or running; returns the tasks. */
  waitForJob(jobId: string, timeoutMs: number): Promise<ArrayTask[]>;
  /** Runs one ended array task again (same job, same array environment) right away. */
  requeue(jobId: string, index: number): void;
  /** Stops the daemons (SIGTERM, then SIGKILL) and removes the temp dir unless `keep`. */
  stop(keep?: boolean): Promise<void>;
}

function which(name: string): string | null {
  const r = spawnSync("sh", ["-c", `command -v ${name}`], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${process.env.PATH ?? ""}:/usr/sbin:/sbin` },
  });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/** A TCP port nobody listens on right now (bound and released; good enough for a test). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export async function startSlurmCluster(options: { cpus?: number; timeoutMs?: number } = {}): Promise<SlurmCluster> {
  const reason = slurmMissing();
  if (reason) throw new Error(`cannot start Slurm: ${reason}`);
  const dir = mkdtempSync(join(tmpdir(), "proxx-slurm-"));
  const sub = (name: string) => {
    const p = join(dir, name);
    mkdirSync(p, { recursive: true });
    return p;
  };
  const munge = sub("munge");
  chmodSync(munge, 0o700); // munged refuses a key dir others can write to
  const state = sub("state");
  const spool = sub("spool");
  const logs = sub("log");
  const key = join(munge, "munge.key");
  writeFileSync(key, randomFillSync(Buffer.alloc(1024)), { mode: 0o600 });
  const socket = join(munge, "munge.socket");
  // os.userInfo() says "unknown" under Bun here; id(1) asks the passwd database.
  const user = spawnSync("id", ["-un"], { encoding: "utf8" }).stdout.trim() || userInfo().username;
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const controller = hostname().split(".")[0]!;
  const conf = join(dir, "slurm.conf");
  writeFileSync(join(dir, "plugstack.conf"), ""); // not /etc/slurm/plugstack.conf
  writeFileSync(
    conf,
    [
      "ClusterName=proxxtest",
      `SlurmctldHost=${controller}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      `SlurmUser=${user}`,
      `SlurmdUser=${user}`,
      "AuthType=auth/munge",
      "CredType=cred/munge",
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${state}`,
      `SlurmdSpoolDir=${spool}`,
      `SlurmctldPidFile=${join(dir, "slurmctld.pid")}`,
      `SlurmdPidFile=${join(dir, "slurmd.pid")}`,
      `SlurmctldLogFile=${join(logs, "slurmctld.log")}`,
      `SlurmdLogFile=${join(logs, "slurmd.log")}`,
      `PlugStackConfig=${join(dir, "plugstack.conf")}`,
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "JobAcctGatherType=jobacct_gather/none",
      "AccountingStorageType=accounting_storage/none",
      "JobCompType=jobcomp/none",
      "MpiDefault=none",
      "SwitchType=switch/none",
      "SchedulerType=sched/builtin",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_CPU",
      "SlurmdParameters=config_overrides",
      "ReturnToService=2",
      "KillWait=2",
      "MailProg=/bin/true",
      `NodeName=${NODE} NodeHostname=${controller} NodeAddr=127.0.0.1 CPUs=${options.cpus ?? 16} State=UNKNOWN`,
      `PartitionName=proxx Nodes=${NODE} Default=YES MaxTime=INFINITE State=UP`,
      "",
    ].join("\n"),
  );
  const env: Record<string, string> = { ...process.env as Record<string, string>, SLURM_CONF: conf };
  const children: ChildProcess[] = [];
  const start = (name: string, args: string[]) => {
    const out = openSync(join(logs, `${name}.out`), "a");
    const child = spawn(which(name)!, args, { env, stdio: ["ignore", out, out] });
    closeSync(out);
    children.push(child);
    return child;
  };
  const cluster: SlurmCluster = {
    dir,
    env,
    sbatch(args) {
      const r = client("sbatch", ["--parsable", ...args]);
      return r.split(";")[0]!.trim();
    },
    tasks(jobId) {
      const r = spawnSync("scontrol", ["show", "job", "--oneliner", jobId], { env, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`scontrol show job ${jobId}: ${r.stderr.trim()}`);
      return r.stdout.split("\n").filter((l) => l.includes("JobId=")).map((line) => {
        const field = (name: string) => new RegExp(`(?:^| )${name}=(\\S*)`).exec(line)?.[1] ?? "";
        return {
          index: Number(field("ArrayTaskId")),
          state: field("JobState"),
          exitCode: field("ExitCode"),
          restarts: Number(field("Restarts")),
        };
      }).sort((a, b) => a.index - b.index);
    },
    async waitForJob(jobId, timeoutMs) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const tasks = cluster.tasks(jobId);
        // A pending array is one record ("ArrayTaskId=0-3"), so its index does not parse.
        const busy = tasks.some((t) => Number.isNaN(t.index) || /PENDING|RUNNING|CONFIGURING|COMPLETING/.test(t.state));
        if (!busy) return tasks;
        if (Date.now() > end) {
          throw new Error(`Slurm job ${jobId} not done after ${timeoutMs} ms: ${JSON.stringify(tasks)}`);
        }
        await sleepOn(clock, 200);
      }
    },
    requeue(jobId, index) {
      client("scontrol", ["requeue", `${jobId}_${index}`]);
      client("scontrol", ["update", `JobId=${jobId}_${index}`, "StartTime=now"]);
    },
    async stop(keep = false) {
      spawnSync("scancel", ["--full", "--signal=KILL", "--user", user], { env });
      for (const child of children.slice().reverse()) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        const killTimer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await gone;
        clearTimeout(killTimer);
      }
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
  function client(name: string, args: string[]): string {
    const r = spawnSync(name, args, { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${name} ${args.join(" ")} exited ${r.status}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  try {
    start("munged", [
      "--force",
      "--foreground",
      `--key-file=${key}`,
      `--socket=${socket}`,
      `--pid-file=${join(munge, "munged.pid")}`,
      `--seed-file=${join(munge, "munged.seed")}`,
      `--log-file=${join(logs, "munged.log")}`,
    ]);
    await waitUntil(
      "munged's socket",
      options.timeoutMs ?? 20_000,
      () =>
        spawnSync("sh", ["-c", `munge -n -S '${socket}' | unmunge -S '${socket}'`], { stdio: "ignore" }).status === 0,
    );
    start("slurmctld", ["-D"]);
    start("slurmd", ["-D", "-N", NODE]);
    // Ready when the controller answers and has heard from the node: sinfo says "idle".
    await waitUntil("the Slurm node to be idle", options.timeoutMs ?? 20_000, () => {
      const r = spawnSync("sinfo", ["-h", "-n", NODE, "-o", "%t"], { env, encoding: "utf8" });
      return r.status === 0 && r.stdout.trim() === "idle";
    });
  } catch (error) {
    await cluster.stop(true);
    throw new Error(`${(error as Error).message}; logs kept in ${logs}`);
  }
  return cluster;

  async function waitUntil(what: string, ms: number, ready: () => boolean): Promise<void> {
    const end = Date.now() + ms;
    while (!ready()) {
      const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
      if (dead) {
        throw new Error(`${dead.spawnfile} exited (${dead.exitCode ?? dead.signalCode}) while waiting for ${what}`);
      }
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await sleepOn(clock, 100);
    }
  }
}
