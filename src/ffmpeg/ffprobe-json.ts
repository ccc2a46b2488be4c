/**
 * One ffprobe run with a time limit: the one way proxx calls ffprobe, so the header probe
 * and the packet scan (probe.ts) and the one-frame probe (picture-facts.ts) fail alike.
 * JSON for the probes; the packet scan prints one short line per packet instead
 * (`compact`), since a two-hour file has hundreds of thousands.
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
  const { stdout, lastLine } = await ffprobeRun(platform, ffprobePath, "json", args, file, timeoutMs);
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`ffprobe printed unreadable JSON for ${file}${lastLine ? `: ${lastLine}` : ""}`);
  }
}

/** `ffprobe -v error -print_format FORMAT ARGS file`: its stdout, and the last line of its stderr. */
export async function ffprobeRun(
  platform: Platform,
  ffprobePath: string,
  printFormat: string,
  args: string[],
  file: string,
  timeoutMs: number,
): Promise<{ stdout: string; lastLine: string | undefined }> {
  let stdout = "";
  let stderr = "";
  const child = platform.spawn(ffprobePath, ["-v", "error", "-print_format", printFormat, ...args, fileArg(file)], {
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
  return { stdout, lastLine };
}
