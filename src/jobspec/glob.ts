/**
 * Glob expansion for `proxx new`, done by proxx itself so that a pattern means the same
 * files on every shell, OS and runtime (Bun's and Deno's `node:path.matchesGlob` differ on
 * dot-files and backslashes, and cmd.exe / PowerShell do not expand globs at all). Only
 * `platform.list` / `platform.stat` touch the disk.
 *
 * Syntax (quote the pattern so the shell passes it through unchanged):
 * - `/` separates folders on every OS; on Windows `\` does too.
 * - `*` any characters within one name; `?` exactly one character;
 *   `[abc]` `[a-z]` one of; `[!abc]` `[^abc]` none of; `{mov,mxf}` any of (within one name).
 * - `**` as a whole path segment: zero or more folders (`clips/**` alone: every file below).
 * - No escape character (a backslash is a separator on Windows): match a special character
 *   with a one-character class: `[*]` `[?]` `[[]` `[{]`.
 * - A pattern that names an existing file is taken literally, so `clip [1].mov` just works.
 *   A plain name that does not exist as typed is still looked up in its folder by the rules
 *   below (NFC, case), so `café.mov` finds a decomposed `café.mov`.
 * - Names starting with `.` match only a pattern segment that starts with `.`, and `**` does
 *   not enter hidden folders: macOS `._clip.mov` sidecars and proxx's own hidden temp files
 *   are never picked up by accident.
 * - Case-insensitive by default (`*.mov` finds `A001.MOV`), on every OS alike.
 * - Names and patterns are compared in Unicode NFC, so a pattern typed on Linux matches a
 *   name macOS stored decomposed (NFD). The paths returned are the names as stored on disk.
 * - Symlinked files count; symlinked folders are followed when a pattern names them, never
 *   by `**` (no loops).
 *
 * Results are absolute paths, sorted by {@link comparePaths}: NFC-normalised full path in
 * UTF-16 code-unit order (no locale), so the same files give the same order everywhere.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { currentPlatform } from "../platform/current.ts";
 *
 * const work = await mkdtemp(join(tmpdir(), "proxx-example-"));
 * await mkdir(join(work, "clips/day2"), { recursive: true });
 * for (const f of ["clips/A001.MOV", "clips/day2/B001.mov", "clips/notes.txt", "clips/._A001.MOV"]) {
 *   await writeFile(join(work, f), "");
 * }
 * const found = await expandGlob(await currentPlatform(), `${work}/clips/**\/*.mov`);
 * assert.deepEqual(found, [join(work, "clips/A001.MOV"), join(work, "clips/day2/B001.mov")]);
 * await rm(work, { recursive: true });
 * ```
 */
import * as path from "node:path";
import type { Platform } from "../platform/types.ts";

export interface GlobOptions {
  /** Match letter case exactly. Default false. */
  caseSensitive?: boolean;
}

type Segment =
  | { kind: "globstar" }
  | { kind: "dot"; name: "." | ".." }
  | { kind: "match"; regex: RegExp; allowHidden: boolean };

/** Whether a pattern segment has glob syntax (otherwise it is a plain name). */
export function hasMagic(segment: string): boolean {
  return /[*?[{]/.test(segment);
}

/** Deterministic order: NFC full path in code-unit order; raw path breaks ties (two NFC-equal names on Linux). */
export function comparePaths(a: string, b: string): number {
  const na = a.normalize("NFC");
  const nb = b.normalize("NFC");
  if (na !== nb) return na < nb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Split a pattern into segments; on Windows a backslash separates too. */
function splitPattern(pattern: string, windows: boolean): string[] {
  return (windows ? pattern.replaceAll("\\", "/") : pattern).split("/");
}

/**
 * Compile one path segment (no `/`) to an anchored regex over an NFC name.
 * Exported for tests.
 */
export function segmentRegex(segment: string, caseSensitive: boolean): RegExp {
  const source = compile([...segment.normalize("NFC")], 0, [...segment.normalize("NFC")].length);
  return new RegExp(`^${source}$`, caseSensitive ? "u" : "iu");
}

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/]/;

function literal(char: string): string {
  return REGEX_SPECIAL.test(char) ? `\\${char}` : char;
}

/** Regex source for chars[start, end). */
function compile(chars: string[], start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i++) {
    const c = chars[i]!;
    if (c === "*") {
      while (chars[i + 1] === "*" && i + 1 < end) i++; // `**` inside a name is just `*`
      out += "[^/]*";
    } else if (c === "?") {
      out += "[^/]";
    } else if (c === "[") {
      const cls = bracket(chars, i, end);
      if (cls) {
        out += cls.source;
        i = cls.end;
      } else out += "\\[";
    } else if (c === "{") {
      const alt = braces(chars, i, end);
      if (alt) {
        out += `(?:${alt.parts.map(([s, e]) => compile(chars, s, e)).join("|")})`;
        i = alt.end;
      } else out += "\\{";
    } else {
      out += literal(c);
    }
  }
  return out;
}

/** `[...]` starting at `open`; null when it is not closed (then `[` is literal). */
function bracket(chars: string[], open: number, end: number): { source: string; end: number } | null {
  let i = open + 1;
  let negate = false;
  if (chars[i] === "!" || chars[i] === "^") {
    negate = true;
    i++;
  }
  const items: string[] = [];
  let first = true;
  for (; i < end; i++) {
    const c = chars[i]!;
    if (c === "]" && !first) {
      if (items.length === 0) return null;
      return { source: `[${negate ? "^/" : ""}${items.join("")}]`, end: i };
    }
    first = false;
    if (chars[i + 1] === "-" && i + 2 < end && chars[i + 2] !== "]") {
      const to = chars[i + 2]!;
      if (c.codePointAt(0)! <= to.codePointAt(0)!) items.push(`${classChar(c)}-${classChar(to)}`);
      i += 2;
    } else {
      items.push(classChar(c));
    }
  }
  return null;
}

function classChar(c: string): string {
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c;
}

/** `{a,b}` starting at `open`: the alternatives' [start, end) ranges; null when unclosed or without a comma. */
function braces(chars: string[], open: number, end: number): { parts: [number, number][]; end: number } | null {
  let depth = 0;
  let partStart = open + 1;
  const parts: [number, number][] = [];
  for (let i = open + 1; i < end; i++) {
    const c = chars[i];
    if (c === "[") {
      const cls = bracket(chars, i, end);
      if (cls) i = cls.end;
    } else if (c === "{") depth++;
    else if (c === "}" && depth > 0) depth--;
    else if (c === "," && depth === 0) {
      parts.push([partStart, i]);
      partStart = i + 1;
    } else if (c === "}") {
      parts.push([partStart, i]);
      return parts.length > 1 ? { parts, end: i } : null;
    }
  }
  return null;
}

function compileSegment(segment: string, caseSensitive: boolean): Segment {
  if (segment === "**") return { kind: "globstar" };
  if (segment === "." || segment === "..") return { kind: "dot", name: segment };
  return { kind: "match", regex: segmentRegex(segment, caseSensitive), allowHidden: segment.startsWith(".") };
}

/** Absolute, sorted, de-duplicated files matching `pattern` (relative to the working directory). */
export async function expandGlob(platform: Platform, pattern: string, options: GlobOptions = {}): Promise<string[]> {
  const windows = platform.os === "windows";
  const cwd = platform.cwd();
  if (pattern === "") return [];

  // Literal first: an existing file is that file, whatever characters its name contains.
  const asIs = path.resolve(cwd, pattern);
  if ((await platform.stat(asIs).catch(() => null))?.isFile) return [asIs];

  const segments = splitPattern(pattern, windows);
  // No glob syntax but no such file either: still match the file name by listing its folder,
  // so a name typed in NFC finds the NFD name macOS wrote, and case is ignored as for globs.
  const magicAt = segments.findIndex((s) => s === "**" || hasMagic(s));
  const firstMagic = magicAt >= 0 ? magicAt : segments.length - 1;
  // The plain folders before the first glob segment are a starting point, not something to match.
  const prefix = segments.slice(0, firstMagic);
  const start = prefix.length === 0 ? cwd : path.resolve(cwd, prefix.join("/") || "/");
  const rest = segments.slice(firstMagic).filter((s, i, all) => s !== "" || i === all.length - 1);
  if (rest.at(-1) === "") return []; // `clips/*/` names folders; proxx wants files
  const compiled = rest.map((s) => compileSegment(s, options.caseSensitive ?? false));

  const found = new Set<string>();
  await walk(platform, start, compiled, 0, found);
  return [...found].sort(comparePaths);
}

/**
 * The folder a pattern starts in (absolute): the plain folders before its first glob segment,
 * or the folder of the file a literal pattern names. `proxx new --mirror-to` mirrors the
 * tree below it: `CARD/**\/*.mov` → `CARD`.
 */
export async function patternBase(platform: Platform, pattern: string): Promise<string> {
  const cwd = platform.cwd();
  const asIs = path.resolve(cwd, pattern);
  if ((await platform.stat(asIs).catch(() => null))?.isFile) return path.dirname(asIs);
  const segments = splitPattern(pattern, platform.os === "windows");
  const magicAt = segments.findIndex((s) => s === "**" || hasMagic(s));
  const prefix = segments.slice(0, magicAt >= 0 ? magicAt : segments.length - 1);
  return prefix.length === 0 ? cwd : path.resolve(cwd, prefix.join("/") || "/");
}

async function listOrEmpty(platform: Platform, dir: string) {
  try {
    return await platform.list(dir);
  } catch {
    return []; // missing or unreadable folder: nothing matches there
  }
}

/** Entry kind, following a symlink (a broken link is neither). */
async function kindOf(
  platform: Platform,
  dir: string,
  entry: { name: string; isFile: boolean; isDirectory: boolean; isSymlink: boolean },
) {
  if (!entry.isSymlink) return { file: entry.isFile, dir: entry.isDirectory, link: false };
  const stat = await platform.stat(path.join(dir, entry.name)).catch(() => null);
  return { file: stat?.isFile ?? false, dir: stat?.isDirectory ?? false, link: true };
}

async function walk(
  platform: Platform,
  dir: string,
  segments: Segment[],
  i: number,
  found: Set<string>,
): Promise<void> {
  const segment = segments[i]!;
  const last = i === segments.length - 1;

  if (segment.kind === "dot") {
    if (!last) await walk(platform, path.resolve(dir, segment.name), segments, i + 1, found);
    return;
  }

  if (segment.kind === "globstar") {
    // Zero folders: the next segment matches right here (a trailing `**` means "every file below").
    if (!last) await walk(platform, dir, segments, i + 1, found);
    for (const entry of await listOrEmpty(platform, dir)) {
      if (entry.name.startsWith(".")) continue;
      const kind = await kindOf(platform, dir, entry);
      const child = path.join(dir, entry.name);
      if (kind.dir && !kind.link) await walk(platform, child, segments, i, found);
      else if (kind.file && last) found.add(child);
    }
    return;
  }

  for (const entry of await listOrEmpty(platform, dir)) {
    if (entry.name.startsWith(".") && !segment.allowHidden) continue;
    if (!segment.regex.test(entry.name.normalize("NFC"))) continue;
    const kind = await kindOf(platform, dir, entry);
    const child = path.join(dir, entry.name);
    if (last) {
      if (kind.file) found.add(child);
    } else if (kind.dir) {
      await walk(platform, child, segments, i + 1, found);
    }
  }
}
