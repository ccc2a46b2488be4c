/**
 * Fixtures for coordinated-runner tests, the coordinated chaos mode and the coordinator
 * benchmark: a watch folder of JobSpecs whose "encode" takes a fixed time, run by real
 * `proxx watch --coordinator` processes against a real PostgreSQL server.
 *
 * The FFmpeg stand-in (`ffmpeg-timed.sh`, written here) logs `<host> <runner pid> <output> <epoch seconds>` to
 * `ffmpeg.log`, sleeps for the seconds named in the output's file name (`…-s2.5…`), then
 * copies a real proxy made beforehand by the real FFmpeg (tests/helpers/fakes/ffmpeg-replay.sh
 * does the copy): what the engine checks afterwards is real media, only the encode is a sleep.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./cli.ts";
import { makeTinyClip } from "./media.ts";

const FAKES = join(REPO, "tests", "helpers", "fakes");

export interface ReplayKit {
  dir: string;
  /** Environment for `proxx watch`: the timed FFmpeg and replaying ffprobe stand-ins. */
  env: Record<string, string>;
  /** Every FFmpeg start: `<host> <pid> <output path>` per line. */
  ffmpegLog: string;
}

/** A tiny real clip, a real reference proxy and the stand-ins, under `dir/kit`. */
export function makeReplayKit(dir: string): ReplayKit {
  const kit = join(dir, "kit");
  mkdirSync(kit, { recursive: true });
  const clip = join(kit, "clip.mov");
  const proxy = join(kit, "proxy.mov");
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
    return r.stdout;
  };
  makeTinyClip(kit, "clip.mov");
  run("ffmpeg", [
    "-hide_banner",
    "-v",
    "error",
    "-y",
    "-i",
    clip,
    "-c:v",
    "prores_ks",
    "-profile:v",
    "0",
    "-pix_fmt",
    "yuv422p10le",
    "-f",
    "mov",
    proxy,
  ]);
  const probe = (file: string) =>
    run("ffprobe", ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", `file:${file}`]);
  writeFileSync(join(kit, "source.probe.json"), probe(clip));
  writeFileSync(join(kit, "proxy.probe.json"), probe(proxy));
  const ffmpegLog = join(dir, "ffmpeg.log");
  const timed = join(kit, "ffmpeg-timed.sh");
  writeFileSync(
    timed,
    `#!/bin/sh
# the output is the last argument; sleep for the -sN in its name, then copy the reference proxy
for a; do out=$a; done
echo "\${PROXX_HOSTNAME:-host} $PPID $out $(date +%s.%N)" >> '${ffmpegLog}'
secs=$(printf '%s' "$out" | sed -n 's/.*-s\\([0-9][0-9.]*\\)[^0-9.].*/\\1/p')
[ -n "$secs" ] && sleep "$secs"
exec '${join(FAKES, "ffmpeg-replay.sh")}' "$@"
`,
  );
  chmodSync(timed, 0o755);
  for (const f of ["ffmpeg-replay.sh", "ffprobe-replay.sh"]) chmodSync(join(FAKES, f), 0o755);
  return {
    dir: kit,
    ffmpegLog,
    env: {
      PROXX_FFMPEG: timed,
      PROXX_FFPROBE: join(FAKES, "ffprobe-replay.sh"),
      PROXX_REPLAY_OUTPUT: proxy,
      PROXX_REPLAY_SOURCE_PROBE: join(kit, "source.probe.json"),
      PROXX_REPLAY_OUTPUT_PROBE: join(kit, "proxy.probe.json"),
    },
  };
}

/** A JobSpec in `jobs/` whose encode sleeps `seconds`; its proxy goes to `out/<name>-s<seconds>x.mov`. */
export function writeTimedJob(dir: string, name: string, seconds: number): string {
  const jobs = join(dir, "jobs");
  mkdirSync(jobs, { recursive: true });
  mkdirSync(join(dir, "out"), { recursive: true });
  const path = join(jobs, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      job_id: name,
      sources: [join(dir, "kit", "clip.mov")],
      output_directory: join(dir, "out"),
      codec: "prores_proxy",
      container: "mov",
      resolution: "same",
      naming_template: `{job_id}-s${seconds}x`,
    }) + "\n",
  );
  return path;
}

/** FFmpeg starts per output base name (from the stand-in's log). */
export function encodesByOutput(kit: ReplayKit): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let text = "";
  try {
    text = readFileSync(kit.ffmpegLog, "utf8");
  } catch { /* none yet */ }
  for (const line of text.split("\n").filter(Boolean)) {
    const [host, , output] = line.split(" ");
    const base = (output ?? "").replace(/^file:/, "").split("/").pop()!.replace(
      /^\.|\.[^.]*\.proxx-partial$|\.proxx-partial$/g,
      "",
    );
    out.set(base, [...(out.get(base) ?? []), host!]);
  }
  return out;
}
