/** Option parsing and plumbing shared by the subcommands. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Platform } from "../platform/types.ts";
import { locateTools } from "../ffmpeg/locate.ts";
import { UsageError } from "./usage-error.ts";
import { EXIT } from "./exit-codes.ts";
import type { Verbosity } from "./render.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options every command that runs FFmpeg understands. */
export const FFMPEG_OPTIONS = {
  ffmpeg: { type: "string" },
  ffprobe: { type: "string" },
  "timeout-seconds": { type: "string" },
} as const satisfies Options;

export const OUTPUT_OPTIONS = {
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

/** node:util parseArgs, with its errors turned into usage errors that name the command. */
export function parse<T extends Options>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message, command);
  }
}

export function verbosityOf(values: { quiet?: boolean; verbose?: boolean }): Verbosity {
  if (values.quiet && values.verbose) throw new UsageError("--quiet and --verbose cannot be used together");
  return values.quiet ? "quiet" : values.verbose ? "verbose" : "normal";
}

export function numberOption(name: string, raw: string | undefined, fallback: number, min = 0): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number ≥ ${min}, got '${raw}'`);
  return n;
}

export async function toolsFrom(platform: Platform, values: { ffmpeg?: string; ffprobe?: string }) {
  return await locateTools(platform, { ffmpeg: values.ffmpeg, ffprobe: values.ffprobe });
}

/**
 * First SIGINT/SIGTERM aborts cleanly (FFmpeg is stopped, temp output removed); a second
 * one exits at once. The exit code says which signal it was: 130 or 143.
 */
export function interruptions(platform: Platform, onFirst?: (signal: string) => void) {
  const controller = new AbortController();
  let received: "SIGINT" | "SIGTERM" | null = null;
  const handler = (signal: "SIGINT" | "SIGTERM") => () => {
    if (received) platform.exit(signal === "SIGINT" ? EXIT.SIGINT : EXIT.SIGTERM);
    received = signal;
    onFirst?.(signal);
    controller.abort();
  };
  const removers = [platform.onSignal("SIGINT", handler("SIGINT")), platform.onSignal("SIGTERM", handler("SIGTERM"))];
  return {
    signal: controller.signal,
    exitCode: () => (received === "SIGINT" ? EXIT.SIGINT : received === "SIGTERM" ? EXIT.SIGTERM : null),
    dispose: () => removers.forEach((remove) => remove()),
  };
}
