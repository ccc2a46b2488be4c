/**
 * `.cube` LUT files (Adobe/Iridas format, and Resolve's shaper form), parsed and checked
 * by proxx before FFmpeg sees them, then written again in the one form FFmpeg 5.1 reads
 * correctly.
 *
 * Why not hand the file to FFmpeg: its `lut3d` parser, given a file with both
 * `LUT_1D_SIZE` and `LUT_3D_SIZE` (a 1D shaper before the cube, as Resolve writes them),
 * reads the shaper's rows as the cube's first rows without any error (grey 0x202020 came
 * out green 0x177317), and `LUT_3D_INPUT_RANGE` makes the filter fail to start. It also
 * accepts short files and NaN without a word. So every file is checked here (sizes, domain,
 * row count, numbers), with errors naming the file and the line, and rewritten as at most
 * two plain files: a 1D part for `lut1d` and a 3D part for `lut3d`, each with its input
 * domain as `DOMAIN_MIN`/`DOMAIN_MAX` right after its size line (where FFmpeg's parsers
 * read them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = "LUT_3D_SIZE 2\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n";
 * const lut = parseCube(text, "identity.cube");
 * assert.equal(lut.cube?.size, 2);
 * assert.match(ffmpegFiles(lut).lut3d!, /^LUT_3D_SIZE 2\nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 1 1 1\n/);
 * assert.throws(() => parseCube("LUT_3D_SIZE 2\n0 0 0\n", "short.cube"), /short\.cube:2: .*8 rows/);
 * ```
 */

/** FFmpeg 5.1's limits (lut3d MAX_LEVEL, lut1d MAX_1D_LEVEL). */
export const MAX_3D_SIZE = 256;
export const MAX_1D_SIZE = 65536;

type Triple = [number, number, number];

/** One part of a LUT: the 1D shaper or the 3D cube. */
export interface CubePart {
  size: number;
  /** Input value mapped to the first entry, per channel (DOMAIN_MIN or the INPUT_RANGE minimum). */
  min: Triple;
  /** Input value mapped to the last entry, per channel. */
  max: Triple;
  /** size (1D) or size³ (3D) rows of r g b, red changing fastest in a cube; as written (finite). */
  rows: Float64Array;
}

export interface CubeLut {
  title: string | null;
  /** The 1D part: a 1D-only LUT, or the shaper applied before the cube. */
  shaper: CubePart | null;
  cube: CubePart | null;
}

/** A problem in a LUT file, at a line (1-based; 0 for the file as a whole). */
export class CubeError extends Error {
  constructor(readonly file: string, readonly line: number, readonly reason: string) {
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`);
  }
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parse and check a `.cube` file's text; throws CubeError naming `file` and the line.
 * Accepted: TITLE, LUT_1D_SIZE, LUT_3D_SIZE, DOMAIN_MIN/MAX (for a file with one part),
 * LUT_1D_INPUT_RANGE / LUT_3D_INPUT_RANGE (Resolve), `#` comments, blank lines; then the
 * rows, the 1D part's first when there are both (Resolve's order).
 */
export function parseCube(text: string, file: string): CubeLut {
  const fail = (line: number, reason: string): never => {
    throw new CubeError(file, line, reason);
  };
  let title: string | null = null;
  let size1: number | null = null;
  let size3: number | null = null;
  let domainMin: Triple | null = null;
  let domainMax: Triple | null = null;
  let range1: [number, number] | null = null;
  let range3: [number, number] | null = null;
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  const numbers = (words: string[], n: number, at: number, what: string): number[] => {
    if (words.length !== n) fail(at, `${what} needs ${n} number${n > 1 ? "s" : ""}, got ${words.length}`);
    return words.map((w) => {
      if (!NUMBER.test(w)) fail(at, `${what}: '${w.slice(0, 20)}' is not a number`);
      const v = Number(w);
      if (!Number.isFinite(v)) fail(at, `${what}: '${w.slice(0, 20)}' is not a finite number`);
      return v;
    });
  };

  let row = -1; // index into `lines` of the first data row
  for (let i = 0; i < lines.length; i++) {
    const at = i + 1;
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [keyword, ...words] = line.split(/\s+/);
    if (/^[+\-.\d]/.test(keyword!)) {
      row = i;
      break;
    }
    if (seen.has(keyword!)) fail(at, `${keyword} given twice (first on line ${seen.get(keyword!)})`);
    seen.set(keyword!, at);
    switch (keyword) {
      case "TITLE": {
        const m = /^TITLE\s+"(.*)"\s*$/.exec(line);
        title = m ? m[1]! : line.slice(5).trim();
        break;
      }
      case "LUT_1D_SIZE":
      case "LUT_3D_SIZE": {
        const [n] = numbers(words, 1, at, keyword);
        const max = keyword === "LUT_1D_SIZE" ? MAX_1D_SIZE : MAX_3D_SIZE;
        if (!Number.isInteger(n) || n! < 2 || n! > max) {
          fail(at, `${keyword} must be a whole number from 2 to ${max}, got ${words[0]}`);
        }
        if (keyword === "LUT_1D_SIZE") size1 = n!;
        else size3 = n!;
        break;
      }
      case "DOMAIN_MIN":
        domainMin = numbers(words, 3, at, keyword) as Triple;
        break;
      case "DOMAIN_MAX":
        domainMax = numbers(words, 3, at, keyword) as Triple;
        break;
      case "LUT_1D_INPUT_RANGE":
      case "LUT_3D_INPUT_RANGE": {
        const [lo, hi] = numbers(words, 2, at, keyword);
        if (!(lo! < hi!)) fail(at, `${keyword}: the minimum ${lo} must be below the maximum ${hi}`);
        if (keyword === "LUT_1D_INPUT_RANGE") range1 = [lo!, hi!];
        else range3 = [lo!, hi!];
        break;
      }
      default:
        fail(
          at,
          `unknown keyword '${
            keyword!.slice(0, 40)
          }' (a .cube file has TITLE, LUT_1D_SIZE, LUT_3D_SIZE, DOMAIN_MIN, DOMAIN_MAX, LUT_1D_INPUT_RANGE, LUT_3D_INPUT_RANGE, then rows of three numbers)`,
        );
    }
  }

  if (size1 == null && size3 == null) fail(0, "has neither LUT_1D_SIZE nor LUT_3D_SIZE: not a .cube LUT");
  if (range1 && size1 == null) fail(seen.get("LUT_1D_INPUT_RANGE")!, "LUT_1D_INPUT_RANGE without LUT_1D_SIZE");
  if (range3 && size3 == null) fail(seen.get("LUT_3D_INPUT_RANGE")!, "LUT_3D_INPUT_RANGE without LUT_3D_SIZE");
  const both = size1 != null && size3 != null;
  if (both && (domainMin || domainMax)) {
    // Which part would DOMAIN_* be for? Resolve writes the INPUT_RANGE lines in this form.
    fail(
      seen.get(domainMin ? "DOMAIN_MIN" : "DOMAIN_MAX")!,
      "DOMAIN_MIN/DOMAIN_MAX in a file with both a 1D shaper and a 3D cube is ambiguous; give LUT_1D_INPUT_RANGE and LUT_3D_INPUT_RANGE instead",
    );
  }
  for (const [range, key] of [[range1, "LUT_1D_INPUT_RANGE"], [range3, "LUT_3D_INPUT_RANGE"]] as const) {
    if (range && (domainMin || domainMax)) {
      fail(seen.get(key)!, `${key} and DOMAIN_MIN/DOMAIN_MAX both give the input domain; keep one`);
    }
  }
  const min: Triple = domainMin ?? [0, 0, 0];
  const max: Triple = domainMax ?? [1, 1, 1];
  for (let c = 0; c < 3; c++) {
    if (!(min[c]! < max[c]!)) {
      fail(
        seen.get("DOMAIN_MIN") ?? seen.get("DOMAIN_MAX")!,
        `DOMAIN_MIN must be below DOMAIN_MAX in every channel (channel ${"rgb"[c]}: ${min[c]} ≥ ${max[c]})`,
      );
    }
  }
  const domainOf = (range: [number, number] | null): [Triple, Triple] =>
    range ? [[range[0], range[0], range[0]], [range[1], range[1], range[1]]] : [min, max];

  const want1 = size1 ?? 0;
  const want3 = size3 != null ? size3 ** 3 : 0;
  const total = want1 + want3;
  const rows = new Float64Array(total * 3);
  let count = 0;
  let lastAt = lines.length;
  if (row >= 0) {
    for (let i = row; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === "" || line.startsWith("#")) continue;
      const at = i + 1;
      if (/^[A-Z][A-Z0-9]*_[A-Z0-9_]*(\s|$)|^TITLE(\s|$)/.test(line)) {
        fail(at, `keyword '${line.split(/\s+/)[0]!.slice(0, 40)}' after the first row; keywords go before the rows`);
      }
      if (count >= total) fail(at, `more rows than the ${describeSizes(size1, size3)} needs (${total})`);
      const [r, g, b] = numbers(line.split(/\s+/), 3, at, "a row");
      rows[count * 3] = r!;
      rows[count * 3 + 1] = g!;
      rows[count * 3 + 2] = b!;
      count++;
      lastAt = at;
    }
  }
  if (count < total) fail(lastAt, `${count} rows, but ${describeSizes(size1, size3)} needs ${total} rows`);

  const [min1, max1] = domainOf(range1);
  const [min3, max3] = domainOf(range3);
  return {
    title,
    shaper: size1 != null ? { size: size1, min: min1, max: max1, rows: rows.slice(0, want1 * 3) } : null,
    cube: size3 != null ? { size: size3, min: min3, max: max3, rows: rows.slice(want1 * 3) } : null,
  };
}

function describeSizes(size1: number | null, size3: number | null): string {
  const parts = [size1 != null ? `LUT_1D_SIZE ${size1}` : null, size3 != null ? `LUT_3D_SIZE ${size3}` : null];
  return parts.filter((p) => p).join(" with ");
}

/** The files FFmpeg is given: the 1D part for `lut1d`, the 3D part for `lut3d` (either may be absent). */
export interface FfmpegLutFiles {
  lut1d: string | null;
  lut3d: string | null;
}

/** Write a parsed LUT as plain files FFmpeg 5.1 reads correctly (sizes, DOMAIN_* after the size line, rows). */
export function ffmpegFiles(lut: CubeLut): FfmpegLutFiles {
  return {
    lut1d: lut.shaper ? partText("LUT_1D_SIZE", lut.shaper) : null,
    lut3d: lut.cube ? partText("LUT_3D_SIZE", lut.cube) : null,
  };
}

function partText(keyword: string, part: CubePart): string {
  const out: string[] = [
    `${keyword} ${part.size}`,
    `DOMAIN_MIN ${part.min.join(" ")}`,
    `DOMAIN_MAX ${part.max.join(" ")}`,
  ];
  const rows = part.rows;
  for (let i = 0; i < rows.length; i += 3) out.push(`${rows[i]} ${rows[i + 1]} ${rows[i + 2]}`);
  return out.join("\n") + "\n";
}

/**
 * Apply the LUT to one RGB value in [domain] (trilinear in the cube, linear in the shaper),
 * as FFmpeg's filters do up to interpolation: for tests and for checking built-in transforms
 * (18 % grey) without running FFmpeg.
 */
export function applyLut(lut: CubeLut, rgb: Triple): Triple {
  let v: Triple = [...rgb];
  if (lut.shaper) v = apply1d(lut.shaper, v);
  if (lut.cube) v = apply3d(lut.cube, v);
  return v;
}

function position(part: CubePart, v: number, c: number): number {
  const t = (v - part.min[c]!) / (part.max[c]! - part.min[c]!);
  return Math.min(Math.max(t, 0), 1) * (part.size - 1);
}

function apply1d(part: CubePart, v: Triple): Triple {
  return v.map((x, c) => {
    const p = position(part, x, c);
    const i = Math.min(Math.floor(p), part.size - 2);
    const f = p - i;
    return part.rows[i * 3 + c]! * (1 - f) + part.rows[(i + 1) * 3 + c]! * f;
  }) as Triple;
}

function apply3d(part: CubePart, v: Triple): Triple {
  const n = part.size;
  const p = v.map((x, c) => position(part, x, c));
  const i0 = p.map((x) => Math.min(Math.floor(x), n - 2));
  const f = p.map((x, c) => x - i0[c]!);
  const at = (r: number, g: number, b: number, c: number) => part.rows[((b * n + g) * n + r) * 3 + c]!;
  const out: Triple = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    let sum = 0;
    for (let corner = 0; corner < 8; corner++) {
      const dr = corner & 1, dg = (corner >> 1) & 1, db = (corner >> 2) & 1;
      const w = (dr ? f[0]! : 1 - f[0]!) * (dg ? f[1]! : 1 - f[1]!) * (db ? f[2]! : 1 - f[2]!);
      if (w !== 0) sum += w * at(i0[0]! + dr, i0[1]! + dg, i0[2]! + db, c);
    }
    out[c] = sum;
  }
  return out;
}
