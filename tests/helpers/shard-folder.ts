/**
 * One watch folder shared by several sharded runners (tests/integration/slurm.test.ts,
 * deploy.test.ts): N short JobSpecs over one tiny clip, an FFmpeg wrapper that logs every
 * encode with the task that started it, and `checkFolder`, the whole-folder end state:
 * every JobSpec processed exactly once, one COMPLETED result each, a manifest entry each,
 * every proxy written once, no lock, in-flight record or temp output left.
 *
 * The wrapper's log line: `<task> <runner pid> <own pid> <fast|slow> <output argument>`; the task is
 * PROXX_TEST_TASK, else SLURM_ARRAY_TASK_ID. When the file `<root>/slow-once` exists, the
 * first encode to remove it logs `slow` and sleeps a minute before FFmpeg starts: a task
 * caught mid-encode, for kill tests.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeClip } from "./media.ts";

export interface ShardFolder {
  root: string;
  /** The watch folder. */
  jobs: string;
  out: string;
  /** JobSpec file names, sorted. */
  names: string[];
  /** The logging FFmpeg wrapper (pass as PROXX_FFMPEG). */
  ffmpeg: string;
  ffmpegLog: string;
  /** The marker that makes the next encode slow (see above). */
  slowMarker: string;
}

export interface Encode {
  task: string;
  runnerPid: number;
  /** The wrapper itself (for a slow one: the shell waiting before it execs FFmpeg). */
  wrapperPid: number;
  slow: boolean;
  /** The JobSpec whose output this is. */
  name: string;
}

/** Makes `<root>/{jobs,media,out}` with `count` JobSpecs named `<prefix>-NN.json`. */
export function makeShardFolder(root: string, count: number, prefix = "card"): ShardFolder {
  const jobs = join(root, "jobs");
  const media = join(root, "media");
  const out = join(root, "out");
  for (const d of [jobs, media, out]) mkdirSync(d, { recursive: true });
  makeClip(media, "clip.mov", { width: 64, height: 48, fps: 12, seconds: 0.25, audioChannels: [1] });
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const stem = `${prefix}-${String(i).padStart(2, "0")}`;
    names.push(`${stem}.json`);
    writeFileSync(
      join(jobs, `${stem}.json`),
      JSON.stringify({
        job_id: stem,
        sources: ["../media/clip.mov"],
        output_directory: "../out",
        codec: "h264",
        container: "mp4",
        resolution: "same",
        naming_template: "{job_id}_{source_name}",
      }) + "\n",
    );
  }
  const real = spawnSync("sh", ["-c", "command -v ffmpeg"], { encoding: "utf8" }).stdout.trim();
  const ffmpegLog = join(root, "ffmpeg.log");
  const slowMarker = join(root, "slow-once");
  const ffmpeg = join(root, "ffmpeg-logged.sh");
  writeFileSync(ffmpegLog, "");
  writeFileSync(
    ffmpeg,
    [
      "#!/bin/sh",
      "for a; do last=$a; done",
      'task="${PROXX_TEST_TASK:-${SLURM_ARRAY_TASK_ID:-?}}"',
      `if rm '${slowMarker}' 2>/dev/null; then`,
      `  echo "$task $PPID $$ slow $last" >> '${ffmpegLog}'`,
      "  sleep 60",
      "else",
      `  echo "$task $PPID $$ fast $last" >> '${ffmpegLog}'`,
      "fi",
      `exec '${real}' "$@"`,
      "",
    ].join("\n"),
  );
  chmodSync(ffmpeg, 0o755);
  return { root, jobs, out, names: names.sort(), ffmpeg, ffmpegLog, slowMarker };
}

/** The encodes logged so far, mapped to their JobSpecs. */
export function encodes(folder: ShardFolder): Encode[] {
  return readFileSync(folder.ffmpegLog, "utf8").split("\n").filter(Boolean).map((line) => {
    const [task, pid, own, speed, ...rest] = line.split(" ");
    const arg = rest.join(" ");
    // The output argument is the hidden temp name `.<job>_clip.mp4.proxx-partial`.
    const stem = /\/\.?([^/]+)_clip\.mp4(?:\.proxx-partial)?$/.exec(arg)?.[1] ?? `(unknown output ${arg})`;
    return {
      task: task!,
      runnerPid: Number(pid),
      wrapperPid: Number(own),
      slow: speed === "slow",
      name: `${stem}.json`,
    };
  });
}

/** Every broken whole-folder invariant (empty when the folder is fully and singly processed). */
export function checkFolder(folder: ShardFolder): string[] {
  const bad: string[] = [];
  const root = readdirSync(folder.jobs);
  const processed = existsSync(join(folder.jobs, "processed")) ? readdirSync(join(folder.jobs, "processed")) : [];
  const failed = existsSync(join(folder.jobs, "failed")) ? readdirSync(join(folder.jobs, "failed")) : [];
  let manifest: { entries?: Record<string, { result_status?: string }> } = {};
  try {
    manifest = JSON.parse(readFileSync(join(folder.jobs, "processed_manifest.json"), "utf8"));
  } catch (error) {
    bad.push(`processed_manifest.json: ${(error as Error).message}`);
  }
  const entries = manifest.entries ?? {};
  const done = encodes(folder).filter((e) => !e.slow);
  for (const name of folder.names) {
    const stem = name.replace(/\.json$/, "");
    const places = [root.includes(name), processed.includes(name), failed.includes(name)].filter(Boolean).length;
    if (!processed.includes(name) || places !== 1) {
      bad.push(
        `${name}: in root ${root.includes(name)}, processed ${processed.includes(name)}, failed ${
          failed.includes(name)
        }`,
      );
    }
    const resultFile = join(folder.jobs, `${stem}.result.json`);
    const status = existsSync(resultFile) ? JSON.parse(readFileSync(resultFile, "utf8")).final_status : "(no result)";
    if (status !== "COMPLETED") bad.push(`${name}: result ${status}`);
    const entry = entries[join(folder.jobs, name)];
    if (entry?.result_status !== "COMPLETED") bad.push(`${name}: manifest entry ${JSON.stringify(entry ?? null)}`);
    const n = done.filter((e) => e.name === name).length;
    if (n !== 1) bad.push(`${name}: encoded ${n} times to the end`);
    if (!existsSync(join(folder.out, `${stem}_clip.mp4`))) bad.push(`${name}: proxy missing`);
  }
  for (const key of Object.keys(entries)) {
    if (!folder.names.some((name) => join(folder.jobs, name) === key)) bad.push(`manifest entry for ${key}`);
  }
  for (const name of [...processed, ...failed]) {
    if (!folder.names.includes(name)) bad.push(`unexpected ${name} in processed/ or failed/ (a second copy?)`);
  }
  // Whatever the runners keep while they work: locks (per shard or whole folder), in-flight records, temps.
  for (const name of root) {
    if (/lock|inflight|\.tmp-\d+$/.test(name)) bad.push(`left in the watch folder: ${name}`);
  }
  for (const name of readdirSync(folder.out)) {
    if (name.endsWith(".proxx-partial")) bad.push(`partial output left: ${name}`);
  }
  return bad;
}
