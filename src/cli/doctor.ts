/**
 * `proxx doctor`: can proxx work here, and if not, what to do about it.
 *
 * It answers the questions an operator has before the first job, or after one failed with
 * "FFmpeg not found": which ffmpeg/ffprobe proxx would run (the same lookup `run` and
 * `watch` use), which versions they are, whether that FFmpeg has the encoder proxx uses for
 * each JobSpec codec and whether it really encodes, and whether the usual folders are
 * writable. Every problem comes with its fix. Exit 0 when proxx can work (a missing or
 * failing encoder only disables that codec), 4 when it cannot (no runnable ffmpeg or ffprobe).
 *
 * Listed is not usable: `ffmpeg -encoders` lists what the build was compiled with, and an
 * encoder may still fail to open (nvenc, qsv and vaapi are listed on machines without the
 * GPU or driver). So each codec gets a one-frame trial encode of a tiny lavfi picture with
 * the encoder, options and pixel format a job would use, and each container's audio encoder
 * a few milliseconds of silence; all into FFmpeg's null muxer, in one FFmpeg (one by one
 * only when that fails, to tell which encoder did).
 *
 * The encoder per codec is not restated here: it is read from the codec table
 * (`src/ffmpeg/codecs.ts`) that the argv builder reads too, so doctor checks exactly what a
 * job would ask FFmpeg for.
 *
 * ```sh
 * proxx doctor
 * proxx doctor --ffmpeg /opt/ffmpeg/bin/ffmpeg --json | jq .ok
 * ```
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // Two lines of `ffmpeg -hide_banner -encoders`: the legend's "=" line is not an encoder.
 * const encoders = parseEncoderList(" V..... = Video\n V....D prores_ks            Apple ProRes (iCodec Pro)\n");
 * assert.deepEqual([...encoders], ["prores_ks"]);
 * assert.equal(encoderFor("prores_proxy").video, "prores_ks");
 * ```
 */
import type { Platform } from "../platform/types.ts";
import { deadline, DeadlineError } from "../util/timers.ts";
import type { Command } from "./command.ts";
import {
  type Codec,
  codecFacts,
  CODECS,
  type Container,
  containerFacts,
  CONTAINERS,
  DNXHD_COMBOS,
  type VideoOutput,
} from "../ffmpeg/codecs.ts";
import { EXIT } from "./exit-codes.ts";
import { parse, toolsFrom } from "./common.ts";
import { UsageError } from "./usage-error.ts";
import { GIT_COMMIT, VERSION } from "../version.ts";

export interface DoctorProblem {
  /** What is wrong, in one line. */
  problem: string;
  /** What to do about it. */
  fix: string;
  /** True when proxx cannot work at all until it is fixed. */
  fatal: boolean;
}

export interface ToolReport {
  path: string | null;
  /** First line of `<tool> -version`, or null when it could not be run. */
  version: string | null;
}

export interface DoctorReport {
  ok: boolean;
  proxx: { version: string; commit: string };
  platform: { runtime: string; os: string; arch: string };
  ffmpeg: ToolReport;
  ffprobe: ToolReport;
  /**
   * One entry per JobSpec codec: the video encoder proxx asks FFmpeg for, whether FFmpeg
   * lists it (`available`), and whether a one-frame trial encode worked (`usable`; `reason`
   * says why not). null: not known (FFmpeg did not run, or did not list it so no trial ran).
   */
  codecs: EncoderCheck<{ codec: Codec }>[];
  /** One entry per container: the audio encoder used when a source has audio, checked the same way. */
  audio: EncoderCheck<{ container: Container }>[];
  /**
   * The filters looks need (issue 16): lut3d and lut1d for LUTs, drawtext and overlay for
   * burn-ins and watermarks; `available` is whether `ffmpeg -filters` lists it (null: not known).
   */
  filters: { filter: LookFilter; used_for: string; available: boolean | null }[];
  folders: { name: string; path: string; writable: boolean }[];
  problems: DoctorProblem[];
}

/** The filters a look uses, and what for. */
export const LOOK_FILTERS = {
  lut3d: "3D LUTs (lut, lut_rules)",
  lut1d: "1D LUTs and shapers",
  drawtext: "burn-ins and text watermarks",
  overlay: "image watermarks",
} as const;
export type LookFilter = keyof typeof LOOK_FILTERS;

/**
 * Filter names from `ffmpeg -hide_banner -filters` (lines such as ` TSC lut3d  V->V  …`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = "Filters:\n  T.. = Timeline support\n TSC lut3d             V->V       Adjust colors using a 3D LUT.\n";
 * assert.deepEqual([...parseFilterList(text)], ["lut3d"]);
 * ```
 */
export function parseFilterList(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^ [T.][S.][C.] (\S+)\s+\S*->\S*/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

export type EncoderCheck<T> = T & {
  encoder: string | null;
  available: boolean | null;
  usable: boolean | null;
  /** Why the trial encode failed (FFmpeg's first error line), or why none ran; null when usable. */
  reason: string | null;
};

function argAfter(argv: readonly string[], flag: string): string | null {
  const i = argv.indexOf(flag);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1]! : null;
}

/** The video encoder a codec uses and the audio encoder of a container (first allowed one by default). */
export function encoderFor(
  codec: Codec,
  container: Container = codecFacts(codec).containers[0]!,
): { video: string | null; audio: string | null } {
  return { video: codecFacts(codec).encoder, audio: audioEncoderOf(container) };
}

function audioEncoderOf(container: Container): string | null {
  return argAfter(containerFacts(container).audio, "-c:a");
}

/** Encoder names from `ffmpeg -hide_banner -encoders` (lines such as ` V....D libx264  …`). */
export function parseEncoderList(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^ ([VAS][A-Z.]{5}) (\S+)/.exec(line);
    if (m && m[2] !== "=") names.add(m[2]!);
  }
  return names;
}

/** Run a tool to completion and collect stdout; null when it cannot be started or fails. */
async function capture(platform: Platform, cmd: string, args: string[], timeoutMs = 15_000): Promise<string | null> {
  let out = "";
  try {
    const child = platform.spawn(cmd, args, { onStdout: (c) => (out += c) });
    const status = await deadline(platform, child.exited, timeoutMs).catch((error) => {
      if (!(error instanceof DeadlineError)) throw error;
      child.kill("SIGKILL");
      return null;
    });
    return status?.code === 0 ? out : null;
  } catch {
    return null;
  }
}

/**
 * The frame a codec's trial encodes: tiny, at a size and rate its options accept (DNxHD
 * only knows Avid's sizes, so it gets the smallest of them at 25 fps).
 */
export function trialFrame(codec: Codec): VideoOutput {
  const small: VideoOutput = {
    container: codecFacts(codec).defaultContainer,
    width: 256,
    height: 144,
    fps: 25,
    sourcePixFmt: null,
  };
  try {
    codecFacts(codec).options(small);
    return small;
  } catch {
    const combo = DNXHD_COMBOS.filter((c) => c.fps === 25).sort((x, y) => x.width * x.height - y.width * y.height)[0]!;
    return { ...small, width: combo.width, height: combo.height };
  }
}

/** One trial encode: a lavfi input and the output options that encode it into FFmpeg's null muxer. */
export interface Trial {
  input: string;
  output: string[];
}

const TRIAL_HEAD = ["-hide_banner", "-nostdin", "-loglevel", "error"];

/** One frame with the codec's encoder, options and pixel format, as a job would ask for them. */
export function videoTrial(codec: Codec): Trial {
  const facts = codecFacts(codec);
  const out = trialFrame(codec);
  return {
    input: `color=c=gray:size=${out.width}x${out.height}:rate=25`,
    output: ["-frames:v", "1", "-c:v", facts.encoder, ...facts.options(out), "-pix_fmt", facts.pixFmt(out)],
  };
}

/** 20 ms of stereo silence with the container's audio encoder and options. */
export function audioTrial(container: Container): Trial {
  return { input: "anullsrc=r=48000:cl=stereo", output: ["-t", "0.02", ...containerFacts(container).audio] };
}

/** argv (without the binary) running one trial. */
export function trialArgs(trial: Trial): string[] {
  return [...TRIAL_HEAD, "-f", "lavfi", "-i", trial.input, ...trial.output, "-f", "null", "-"];
}

/**
 * argv running every trial in one FFmpeg, one output each: one process start instead of a
 * dozen (each costs 0.1 to 0.2 s). Any failing encoder fails the whole run, and then the
 * trials run one by one to tell which.
 */
export function combinedTrialArgs(trials: Trial[]): string[] {
  const inputs = [...new Set(trials.map((t) => t.input))];
  return [
    ...TRIAL_HEAD,
    ...inputs.flatMap((input) => ["-f", "lavfi", "-i", input]),
    ...trials.flatMap((t) => ["-map", String(inputs.indexOf(t.input)), ...t.output, "-f", "null", "-"]),
  ];
}

/** A trial that has not finished by then is stuck (a driver waiting on hardware): it counts as failed. */
const TRIAL_TIMEOUT_MS = 15_000;
/** Trials at once when they run one by one: each is one small FFmpeg. */
const TRIAL_CONCURRENCY = 4;

/** FFmpeg's first error line, without the `@ 0x55d…` context pointer that differs between runs. */
export function trialReason(stderr: string): string {
  const line = stderr.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== "");
  if (!line) return "the trial encode failed without a message";
  const clean = line.replace(/ @ 0x[0-9a-f]+\]/gi, "]");
  return clean.length > 300 ? `${clean.slice(0, 299)}…` : clean;
}

async function runTrial(platform: Platform, ffmpeg: string, args: string[]): Promise<string | null> {
  let stderr = "";
  try {
    const child = platform.spawn(ffmpeg, args, { onStderr: (c) => (stderr = (stderr + c).slice(0, 8192)) });
    const status = await deadline(platform, child.exited, TRIAL_TIMEOUT_MS).catch(async (error) => {
      if (!(error instanceof DeadlineError)) throw error;
      child.kill("SIGKILL");
      await child.exited;
      return null;
    });
    if (status === null) return `the trial encode did not finish within ${TRIAL_TIMEOUT_MS / 1000} s`;
    return status.code === 0 ? null : trialReason(stderr);
  } catch (error) {
    return `the trial encode could not start: ${(error as Error).message}`;
  }
}

/**
 * The failure reason (or null) per trial, keyed by its argv: all in one FFmpeg first; only
 * when that fails, each alone (a few at a time) so every failure is attributed to its encoder.
 */
async function runTrials(platform: Platform, ffmpeg: string, trials: Trial[]): Promise<Map<string, string | null>> {
  const unique = [...new Map(trials.map((t) => [JSON.stringify(trialArgs(t)), t])).entries()];
  const results = new Map<string, string | null>();
  if (unique.length > 1 && (await runTrial(platform, ffmpeg, combinedTrialArgs(unique.map(([, t]) => t)))) === null) {
    for (const [key] of unique) results.set(key, null);
    return results;
  }
  let next = 0;
  const worker = async () => {
    while (next < unique.length) {
      const [key, trial] = unique[next++]!;
      results.set(key, await runTrial(platform, ffmpeg, trialArgs(trial)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(TRIAL_CONCURRENCY, unique.length) }, worker));
  return results;
}

export function installHint(os: string): string {
  // This OS's command first; the others still help someone reading a log from another machine.
  const all = [["linux", "apt-get install ffmpeg (Debian/Ubuntu)"], ["darwin", "brew install ffmpeg (macOS)"], [
    "windows",
    "winget install ffmpeg (Windows)",
  ]];
  const ordered = [...all.filter(([o]) => o === os), ...all.filter(([o]) => o !== os)].map(([, cmd]) => cmd);
  return `install FFmpeg: ${
    ordered.join(" / ")
  }, or point proxx at one with --ffmpeg/--ffprobe or PROXX_FFMPEG/PROXX_FFPROBE`;
}

export async function diagnose(
  platform: Platform,
  explicit: { ffmpeg?: string; ffprobe?: string },
): Promise<DoctorReport> {
  const problems: DoctorProblem[] = [];
  const tools = await toolsFrom(platform, explicit);

  const toolReport = async (name: "ffmpeg" | "ffprobe", path: string | null): Promise<ToolReport> => {
    const given = explicit[name] ?? platform.env(name === "ffmpeg" ? "PROXX_FFMPEG" : "PROXX_FFPROBE");
    if (!path) {
      problems.push({
        problem: given ? `${name} not found at '${given}'` : `${name} not found on PATH or in the usual places`,
        fix: given
          ? `check the path given with --${name} or PROXX_${name.toUpperCase()}, or ${installHint(platform.os)}`
          : installHint(platform.os),
        fatal: true,
      });
      return { path, version: null };
    }
    const out = await capture(platform, path, ["-version"]);
    const version = out?.split(/\r?\n/)[0]?.trim() || null;
    if (!version) {
      problems.push({
        problem: `${name} at ${path} does not run ('${name} -version' failed)`,
        fix: `check that ${path} is an executable FFmpeg build for this machine, or ${installHint(platform.os)}`,
        fatal: true,
      });
    }
    return { path, version };
  };
  const ffmpeg = await toolReport("ffmpeg", tools.ffmpeg);
  const ffprobe = await toolReport("ffprobe", tools.ffprobe);

  let encoders: Set<string> | null = null;
  if (ffmpeg.path && ffmpeg.version) {
    const list = await capture(platform, ffmpeg.path, ["-hide_banner", "-encoders"]);
    encoders = list === null ? null : parseEncoderList(list);
  }

  const listed = (encoder: string | null) => (encoders && encoder ? encoders.has(encoder) : null);
  // Trials only for listed encoders: an unlisted one cannot work, and its problem says so.
  const videoTrials = new Map(CODECS.map((codec) => [codec, videoTrial(codec)]));
  const audioTrials = new Map(CONTAINERS.map((container) => [container, audioTrial(container)]));
  const trials = encoders && ffmpeg.path
    ? await runTrials(platform, ffmpeg.path, [
      ...CODECS.filter((c) => listed(encoderFor(c).video)).map((c) => videoTrials.get(c)!),
      ...CONTAINERS.filter((c) => listed(audioEncoderOf(c))).map((c) => audioTrials.get(c)!),
    ])
    : null;
  const check = (encoder: string | null, trial: Trial) => {
    const available = listed(encoder);
    const key = JSON.stringify(trialArgs(trial));
    if (available !== true || !trials?.has(key)) {
      return {
        encoder,
        available,
        usable: available === false ? false : null,
        reason: available === false ? "not in this FFmpeg's encoder list" : null,
      };
    }
    const reason = trials.get(key)!;
    return { encoder, available, usable: reason === null, reason };
  };

  const codecs = CODECS.map((codec) => {
    const result = { codec, ...check(encoderFor(codec).video, videoTrials.get(codec)!) };
    const { encoder } = result;
    if (result.available === false) {
      problems.push({
        problem: `codec ${codec}: this FFmpeg has no ${encoder} encoder, so jobs with codec '${codec}' will fail`,
        fix:
          `use an FFmpeg built with ${encoder} (Debian's ffmpeg package and Homebrew's ffmpeg have it), or pick another codec`,
        fatal: false,
      });
    } else if (result.usable === false) {
      problems.push({
        problem:
          `codec ${codec}: this FFmpeg lists ${encoder}, but a one-frame trial encode failed (${result.reason}), so jobs with codec '${codec}' will fail`,
        fix:
          `use an FFmpeg whose ${encoder} works on this machine (the libraries or drivers it needs installed), or pick another codec`,
        fatal: false,
      });
    }
    return result;
  });

  const audio = CONTAINERS.map((container) => {
    const result = { container, ...check(audioEncoderOf(container), audioTrials.get(container)!) };
    const { encoder } = result;
    if (result.available === false) {
      problems.push({
        problem:
          `container ${container}: this FFmpeg has no ${encoder} audio encoder, so ${container} jobs with audio will fail`,
        fix: `use an FFmpeg built with ${encoder}, or pick another container`,
        fatal: false,
      });
    } else if (result.usable === false) {
      problems.push({
        problem:
          `container ${container}: this FFmpeg lists the ${encoder} audio encoder, but a trial encode failed (${result.reason}), so ${container} jobs with audio will fail`,
        fix: `use an FFmpeg whose ${encoder} works on this machine, or pick another container`,
        fatal: false,
      });
    }
    return result;
  });

  let filterList: Set<string> | null = null;
  if (ffmpeg.path && ffmpeg.version) {
    const list = await capture(platform, ffmpeg.path, ["-hide_banner", "-filters"]);
    filterList = list === null ? null : parseFilterList(list);
  }
  const filters = (Object.keys(LOOK_FILTERS) as LookFilter[]).map((filter) => {
    const available = filterList ? filterList.has(filter) : null;
    if (available === false) {
      problems.push({
        problem: `this FFmpeg has no ${filter} filter, so jobs with ${LOOK_FILTERS[filter]} will fail`,
        fix: `use an FFmpeg built with ${filter}${
          filter === "drawtext" ? " (it needs libfreetype)" : ""
        } (Debian's ffmpeg package and Homebrew's ffmpeg have it)`,
        fatal: false,
      });
    }
    return { filter, used_for: LOOK_FILTERS[filter], available };
  });

  const folders = [];
  for (const [name, path] of [["temp dir", platform.tempDir()], ["current dir", platform.cwd()]] as const) {
    const writable = await platform.isWritableDir(path).catch(() => false);
    folders.push({ name, path, writable });
    if (!writable) {
      problems.push({
        problem: `${name} ${path} is not writable`,
        fix: name === "temp dir"
          ? "set TMPDIR to a writable folder (proxx itself writes next to the JobSpec and in output_directory, so this only affects FFmpeg's own temp files)"
          : "run proxx from a writable folder, or make sure each JobSpec's folder and output_directory are writable (proxx writes results and proxies there)",
        fatal: false,
      });
    }
  }

  return {
    ok: !problems.some((p) => p.fatal),
    proxx: { version: VERSION, commit: GIT_COMMIT },
    platform: { runtime: platform.runtime, os: platform.os, arch: platform.arch },
    ffmpeg,
    ffprobe,
    codecs,
    audio,
    filters,
    folders,
    problems,
  };
}

export function formatReport(r: DoctorReport): string {
  const mark = (c: { available: boolean | null; usable: boolean | null }) =>
    c.available === false ? "MISSING" : c.usable === false ? "FAILS" : c.usable === true ? " ok  " : "  ?  ";
  const why = (c: { usable: boolean | null; available: boolean | null; reason: string | null }) =>
    c.usable === false && c.available !== false && c.reason ? `  (${c.reason})` : "";
  const lines = [
    `proxx ${r.proxx.version} (commit ${r.proxx.commit}; ${r.platform.runtime}; ${r.platform.os}-${r.platform.arch})`,
    "",
    "Tools:",
    `  ffmpeg   ${r.ffmpeg.path ?? "not found"}${r.ffmpeg.version ? `\n           ${r.ffmpeg.version}` : ""}`,
    `  ffprobe  ${r.ffprobe.path ?? "not found"}${r.ffprobe.version ? `\n           ${r.ffprobe.version}` : ""}`,
    "",
    "Video encoders (JobSpec codec → FFmpeg encoder; ok = a one-frame trial encode worked):",
    ...r.codecs.map((c) => `  ${mark(c).padEnd(7)} ${c.codec.padEnd(16)} ${c.encoder ?? "-"}${why(c)}`),
    "",
    "Audio encoders (container → FFmpeg encoder, used when a source has audio):",
    ...r.audio.map((a) => `  ${mark(a).padEnd(7)} ${a.container.padEnd(16)} ${a.encoder ?? "-"}${why(a)}`),
    "",
    "Filters for looks (LUTs, burn-ins, watermarks):",
    ...r.filters.map((f) =>
      `  ${(f.available === false ? "MISSING" : f.available ? " ok  " : "  ?  ").padEnd(7)} ${
        f.filter.padEnd(16)
      } ${f.used_for}`
    ),
    "",
    "Folders:",
    ...r.folders.map((f) => `  ${(f.writable ? " ok  " : "NOT WRITABLE").padEnd(7)} ${f.name.padEnd(12)} ${f.path}`),
    "",
  ];
  if (r.problems.length === 0) {
    lines.push("Everything proxx needs is here.");
  } else {
    lines.push(`Problems (${r.problems.length}):`);
    for (const p of r.problems) lines.push(`  ${p.fatal ? "error" : "warning"}: ${p.problem}`, `    fix: ${p.fix}`);
    lines.push("");
    lines.push(
      r.ok
        ? "proxx can work; the warnings above only affect the codecs or folders named."
        : "proxx cannot work until the errors above are fixed.",
    );
  }
  return `${lines.join("\n")}\n`;
}

export const doctorCommand: Command = {
  name: "doctor",
  summary: "Check this machine: FFmpeg and ffprobe found and runnable, encoders per codec, folders",
  help: `Usage: proxx doctor [options]

Reports which ffmpeg and ffprobe proxx would use (the same lookup as 'run' and 'watch':
--ffmpeg/--ffprobe, then $PROXX_FFMPEG/$PROXX_FFPROBE, then PATH, then the usual install
places), their versions, whether that FFmpeg has the encoder proxx uses for each JobSpec
codec and the audio encoder for each container and whether each really encodes (a trial
encode of one tiny frame, or 20 ms of silence, with a job's options: an encoder FFmpeg lists
may still fail, like nvenc without an NVIDIA driver), whether the temp dir and the current
directory are writable, whether it has the filters looks use (lut3d, lut1d, drawtext,
overlay), and the runtime, OS and CPU. Each problem comes with its fix.

Options:
  --ffmpeg PATH    check this FFmpeg instead of the one proxx would find
  --ffprobe PATH   check this ffprobe instead of the one proxx would find
  --json           print the report as one JSON object on stdout
  -h, --help       show this help

Examples:
  proxx doctor
  proxx doctor --ffmpeg /opt/ffmpeg/bin/ffmpeg --ffprobe /opt/ffmpeg/bin/ffprobe
  proxx doctor --json > doctor.json

Exit codes: 0 proxx can work (warnings name codecs or folders that will not), 4 it cannot
(ffmpeg or ffprobe missing or not runnable), 2 usage error.
`,
  async run(platform, argv) {
    const { values, positionals } = parse("doctor", argv, {
      ffmpeg: { type: "string" },
      ffprobe: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) return (platform.writeStdout(this.help), EXIT.OK);
    if (positionals.length > 0) throw new UsageError(`takes no arguments, got '${positionals[0]}'`, "doctor");
    const report = await diagnose(platform, { ffmpeg: values.ffmpeg, ffprobe: values.ffprobe });
    platform.writeStdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.ok ? EXIT.OK : EXIT.ENVIRONMENT;
  },
};
