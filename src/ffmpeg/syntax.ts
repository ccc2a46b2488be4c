/** How FFmpeg and ffprobe write two things proxx reads and writes: input file names and frame rates. */

/**
 * `file:` so a name starting with "-" is never an option and one with ":" never a protocol.
 * No shell is involved. Recovery matches a running FFmpeg's argv against the same string.
 */
export function fileArg(path: string): string {
  return `file:${path}`;
}

/** Frames per second of a rational rate as ffprobe reports it ("25/1", "30000/1001"), or null. */
export function frameRateValue(rate: string | null | undefined): number | null {
  if (!rate) return null;
  const [n, d] = rate.split("/").map(Number);
  if (!Number.isFinite(n) || n! <= 0) return null;
  const value = d === undefined ? n! : n! / d;
  return Number.isFinite(value) && value > 0 ? value : null;
}
