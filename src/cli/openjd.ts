/**
 * `proxx watch --progress openjd`: progress for render farms that read Open Job
 * Description's stdout protocol (AWS Deadline Cloud): `openjd_progress: <0-100>` and
 * `openjd_status: <text>` lines on stdout, one write per line (stdout stays line-buffered;
 * logs stay on stderr). With it stdout carries nothing else: `--json` is refused beside it.
 *
 * Progress is this run's share done: jobs finished, plus the running jobs' fraction (their
 * clips done and the current clip's percent), over the jobs the scans found (finished +
 * running + pending). It never goes down within a run, so a later scan that finds more
 * work holds the number until the work catches up.
 */
import type { ProxxEvent } from "../engine/events.ts";

export interface OpenjdProgress {
  (event: ProxxEvent): void;
  /** A `--once` run that ended without interruption: 100 %, even for a shard that owned nothing. */
  finished(): void;
}

export function openjdProgress(
  write: (line: string) => void,
  jobName: (path: string) => string,
): OpenjdProgress {
  let done = 0;
  let failed = 0;
  let pending = 0;
  let shown = -1;
  const running = new Map<string, number>(); // job_id -> fraction done
  const pathOf = new Map<string, string>(); // job_id -> JobSpec path
  const taken = new Set<string>();
  const show = () => {
    const total = done + taken.size + pending;
    if (total === 0) return;
    let partial = 0;
    for (const f of running.values()) partial += f;
    const pct = Math.max(0, Math.min(100, Math.floor(((done + partial) / total) * 100)));
    if (pct <= shown) return;
    shown = pct;
    write(`openjd_progress: ${pct}\n`);
  };
  const status = (text: string) => write(`openjd_status: ${text.replaceAll("\n", " ")}\n`);
  const onEvent = (event: ProxxEvent) => {
    switch (event.type) {
      case "shard":
        status(`shard ${event.index}/${event.total} of ${event.folder}`);
        return;
      case "scan":
        pending = event.pending;
        if (done + taken.size + pending === 0) status(`nothing to do in ${event.folder}`);
        show();
        return;
      case "job_taken":
        taken.add(event.jobspec_path);
        pending = Math.max(0, pending - 1);
        status(`job ${done + taken.size} of ${done + taken.size + pending}: ${jobName(event.jobspec_path)}`);
        return;
      case "job_started":
        running.set(event.job_id, 0);
        if (event.jobspec_path) pathOf.set(event.job_id, event.jobspec_path);
        return;
      case "progress": {
        if (!running.has(event.job_id) || event.total < 1) return;
        const clip = event.percent === null ? 0 : Math.min(100, Math.max(0, event.percent)) / 100;
        running.set(event.job_id, Math.min(1, (event.index + clip) / event.total));
        show();
        return;
      }
      case "job_result":
        for (const [id, path] of pathOf) {
          if (path === event.jobspec_path) running.delete(id), pathOf.delete(id);
        }
        if (taken.delete(event.jobspec_path)) done++;
        if (event.final_status !== "COMPLETED") failed++;
        status(
          `${event.final_status} ${jobName(event.jobspec_path)} (${done} done${
            failed ? `, ${failed} not completed` : ""
          })`,
        );
        show();
        return;
      case "job_left_pending":
        taken.delete(event.jobspec_path);
        return;
      default:
        return;
    }
  };
  return Object.assign(onEvent, {
    finished() {
      if (shown >= 100) return;
      shown = 100;
      write("openjd_progress: 100\n");
    },
  });
}
