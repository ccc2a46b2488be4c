/**
 * Find ffmpeg and ffprobe. Order: an explicit option (`--ffmpeg`), then `PROXX_FFMPEG` /
 * `PROXX_FFPROBE`, then PATH, then the usual install locations. The last step matters for
 * launchd/systemd/cron, whose PATH often lacks /usr/local/bin or /opt/homebrew/bin.
 *
 * An explicit option or env value that does not point at a file is NOT silently replaced by
 * a PATH hit: the operator asked for that binary, so we report it missing (null) instead of
 * running a different FFmpeg than the one they named.
 */
import type { Platform } from "../platform/types.ts";

export interface ToolPaths {
  ffmpeg: string | null;
  ffprobe: string | null;
}

const UNIX_LOCATIONS = ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin", "/opt/local/bin"];
const WINDOWS_LOCATIONS = ["C:\\ffmpeg\\bin"];

export async function locateTools(
  platform: Platform,
  explicit: { ffmpeg?: string; ffprobe?: string } = {},
): Promise<ToolPaths> {
  return {
    ffmpeg: await locateOne(platform, "ffmpeg", explicit.ffmpeg, "PROXX_FFMPEG"),
    ffprobe: await locateOne(platform, "ffprobe", explicit.ffprobe, "PROXX_FFPROBE"),
  };
}

async function locateOne(
  platform: Platform,
  name: string,
  explicit: string | undefined,
  envName: string,
): Promise<string | null> {
  const chosen = explicit || platform.env(envName);
  const windows = platform.os === "windows";
  // A bare name (`--ffmpeg ffmpeg7`) is looked up on PATH only; a path must exist as given.
  if (chosen && /[\\/]/.test(chosen)) return (await isFile(platform, chosen)) ? chosen : null;
  const wanted = chosen || name;
  const exe = windows && !/\.exe$/i.test(wanted) ? `${wanted}.exe` : wanted;
  const sep = windows ? "\\" : "/";
  const pathDirs = (platform.env("PATH") ?? platform.env("Path") ?? "")
    .split(windows ? ";" : ":")
    .filter((d) => d !== "");
  const dirs = chosen ? pathDirs : [...pathDirs, ...(windows ? WINDOWS_LOCATIONS : UNIX_LOCATIONS)];
  for (const dir of dirs) {
    const candidate = dir.endsWith(sep) || dir.endsWith("/") ? dir + exe : dir + sep + exe;
    if (await isFile(platform, candidate)) return candidate;
  }
  return null;
}

async function isFile(platform: Platform, path: string): Promise<boolean> {
  try {
    const stat = await platform.stat(path);
    return stat != null && stat.isFile;
  } catch {
    return false;
  }
}
