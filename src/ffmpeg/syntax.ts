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

/**
 * The rate a JobSpec means by `fps_explicit`. People write the NTSC family as decimals
 * (23.976, 29.97, 59.94, 119.88); those are N×1000/1001, which no decimal is. A value with
 * at least two decimals that equals N×1000/1001 rounded to as many decimals as it has is
 * taken as that rational (29.97 and 29.97002997 both mean 30000/1001); any other value
 * stays as written (12.5 is 25/2, 29.96 is 2996/100).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(exactFrameRate(29.97), 30000 / 1001);
 * assert.equal(exactFrameRate(23.976), 24000 / 1001);
 * assert.equal(exactFrameRate(25), 25);
 * assert.equal(exactFrameRate(29.96), 29.96);
 * ```
 */
export function exactFrameRate(fps: number): number {
  if (!Number.isFinite(fps) || Number.isInteger(fps)) return fps;
  const decimals = decimalsOf(fps);
  if (decimals < 2) return fps;
  const n = Math.round(fps * 1.001);
  const ntsc = (n * 1000) / 1001;
  return n > 0 && ntsc.toFixed(decimals) === fps.toFixed(decimals) ? ntsc : fps;
}

/**
 * A frame rate as FFmpeg should be given it: the exact rational. FFmpeg turns a decimal
 * into the nearest fraction it finds (`-r 29.97` is 2997/100, not 30000/1001), so an NTSC
 * rate is written as N/1001 and any other as its reduced decimal fraction.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(frameRateText(30000 / 1001), "30000/1001");
 * assert.equal(frameRateText(25), "25");
 * assert.equal(frameRateText(12.5), "25/2");
 * ```
 */
export function frameRateText(fps: number): string {
  if (Number.isInteger(fps)) return String(fps);
  const n = Math.round(fps * 1001);
  if (n % 1000 === 0 && Math.abs(n / 1001 - fps) < 1e-9) return `${n}/1001`;
  const decimals = decimalsOf(fps);
  if (decimals < 1 || decimals > 9) return String(fps);
  let num = Math.round(fps * 10 ** decimals);
  let den = 10 ** decimals;
  const g = gcd(num, den);
  num /= g;
  den /= g;
  return `${num}/${den}`;
}

/** Digits after the point in the shortest decimal JavaScript writes for `value`; 0 for exponent forms. */
function decimalsOf(value: number): number {
  const text = String(value);
  if (/e/i.test(text)) return 0;
  const dot = text.indexOf(".");
  return dot < 0 ? 0 : text.length - dot - 1;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
