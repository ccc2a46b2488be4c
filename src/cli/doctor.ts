/**
 * `proxx doctor`: can proxx work here, and if not, what to do about it.
 *
 * It answers the questions an operator has before the first job, or after one failed with
 * "FFmpeg not found": which ffmpeg/ffprobe proxx would run (the same lookup `run` and
 * `watch` use), which versions they are, whether that FFmpeg has the encoder proxx uses for
 * each JobSpec codec, and whether the usual folders are writable. Every problem comes with
 * its fix. Exit 0 when proxx can work (a missing encoder only disables that codec), 4 when it
 * cannot (no runnable ffmpeg or ffprobe).
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
import { type Codec, codecFacts, CODECS, type Container, containerFacts, CONTAINERS } from "../ffmpeg/codecs.ts";
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
  /** One entry per JobSpec codec: the video encoder proxx asks FFmpeg for, and whether it has it. */
  codecs: { codec: Codec; encoder: string | null; available: boolean | null }[];
  /** One entry per container: the audio encoder used when a source has audio. */
  audio: { container: Container; encoder: string | null; available: boolean | null }[];
  folders: { name: string; path: string; writable: boolean }[];
  problems: DoctorProblem[];
}

function argAfter(argv: readonly string[], flag: string): string | null {
  const i = argv.indexOf(flag);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1]! : null;
}

/** The video encoder a codec uses and the audio encoder of a container (first allowed one by default). */
export function encoderFor(
  codec: Codec,
  container: Container = codecFacts(codec).containers[0]!,
): { video: string | null; audio: string | null } {
  return { video: codecFacts(codec).encoder, audio: argAfter(containerFacts(container).audio, "-c:a") };
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

  const codecs = CODECS.map((codec) => {
    const encoder = encoderFor(codec).video;
    const available = encoders && encoder ? encoders.has(encoder) : null;
    if (available === false) {
      problems.push({
        problem: `codec ${codec}: this FFmpeg has no ${encoder} encoder, so jobs with codec '${codec}' will fail`,
        fix:
          `use an FFmpeg built with ${encoder} (Debian's ffmpeg package and Homebrew's ffmpeg have it), or pick another codec`,
        fatal: false,
      });
    }
    return { codec, encoder, available };
  });

  const audio = CONTAINERS.map((container) => {
    const encoder = argAfter(containerFacts(container).audio, "-c:a");
    const available = encoders && encoder ? encoders.has(encoder) : null;
    if (available === false) {
      problems.push({
        problem:
          `container ${container}: this FFmpeg has no ${encoder} audio encoder, so ${container} jobs with audio will fail`,
        fix: `use an FFmpeg built with ${encoder}, or pick another container`,
        fatal: false,
      });
    }
    return { container, encoder, available };
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
    folders,
    problems,
  };
}

export function formatReport(r: DoctorReport): string {
  const mark = (ok: boolean | null) => (ok === null ? "  ?  " : ok ? " ok  " : "MISSING");
  const lines = [
    `proxx ${r.proxx.version} (commit ${r.proxx.commit}; ${r.platform.runtime}; ${r.platform.os}-${r.platform.arch})`,
    "",
    "Tools:",
    `  ffmpeg   ${r.ffmpeg.path ?? "not found"}${r.ffmpeg.version ? `\n           ${r.ffmpeg.version}` : ""}`,
    `  ffprobe  ${r.ffprobe.path ?? "not found"}${r.ffprobe.version ? `\n           ${r.ffprobe.version}` : ""}`,
    "",
    "Video encoders (JobSpec codec → FFmpeg encoder):",
    ...r.codecs.map((c) => `  ${mark(c.available).padEnd(7)} ${c.codec.padEnd(16)} ${c.encoder ?? "-"}`),
    "",
    "Audio encoders (container → FFmpeg encoder, used when a source has audio):",
    ...r.audio.map((a) => `  ${mark(a.available).padEnd(7)} ${a.container.padEnd(16)} ${a.encoder ?? "-"}`),
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
codec and the audio encoder for each container, whether the temp dir and the current
directory are writable, and the runtime, OS and CPU. Each problem comes with its fix.

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
