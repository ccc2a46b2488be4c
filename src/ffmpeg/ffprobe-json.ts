/**
 * One ffprobe run that prints JSON, with a time limit: the one way proxx calls ffprobe, so the
 * header probe (probe.ts) and the one-frame probe (picture-facts.ts) fail alike.
 */
import type { Platform } from "../platform/types.ts";
import { deadline, DeadlineError } from "../util/timers.ts";
import { fileArg } from "./syntax.ts";

/** Keep only the end of ffprobe's stderr: its last line is the useful one, and memory stays bounded. */
const STDERR_KEEP = 8192;

/** A probe killed at its time limit: the source is stuck, so no second probe is tried. */
export class ProbeTimeoutError extends Error {}

/**
 * `ffprobe -v error -print_format json ARGS file`, parsed. Throws an Error naming the file
 * and ffprobe's last stderr line, or a ProbeTimeoutError once `timeoutMs` has passed (the
 * probe is then killed).
 */
export async function ffprobeJson(
  platform: Platform,
  ffprobePath: string,
  args: string[],
  file: string,
  timeoutMs: number,
): Promise<unknown> {
  let stdout = "";
  let stderr = "";
  const child = platform.spawn(ffprobePath, ["-v", "error", "-print_format", "json", ...args, fileArg(file)], {
    onStdout: (c) => (stdout += c),
    onStderr: (c) => (stderr = (stderr + c).slice(-STDERR_KEEP)),
  });
  const status = await deadline(platform, child.exited, timeoutMs).catch(async (error) => {
    if (!(error instanceof DeadlineError)) throw error;
    child.kill("SIGKILL");
    await child.exited;
    throw new ProbeTimeoutError(`ffprobe did not answer within ${Math.round(timeoutMs / 100) / 10} s on ${file}`);
  });
  const lastLine = stderr.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "").pop();
  if (status.code !== 0) {
    const how = status.code === null ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
    throw new Error(`ffprobe ${how} on ${file}${lastLine ? `: ${lastLine}` : ""}`);
  }
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`ffprobe printed unreadable JSON for ${file}${lastLine ? `: ${lastLine}` : ""}`);
  }
}
