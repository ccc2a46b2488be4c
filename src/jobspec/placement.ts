/**
 * Where proxies go: the placement tokens of `output_directory`.
 *
 * - `{source_dir}`: the source's own folder. `"{source_dir}/Proxy"` puts each proxy in a
 *   `Proxy/` folder beside its clip (the layout DaVinci Resolve's own proxy generator writes).
 * - `{source_rel_dir}`: the source's folder relative to `source_root` (default: the deepest
 *   folder that contains every source of the job). `"/mnt/proxies/{source_rel_dir}"` mirrors
 *   the card's tree on the proxy drive.
 *
 * An `output_directory` without either token means what it always meant: one folder that
 * must exist. With a token, each clip gets its own folder, and proxx creates it (one level
 * at a time, like `mkdir -p`) below its **base**, the folder that must already exist and
 * that the proxies may never leave: the source's folder for `{source_dir}`, the part before
 * the token for `{source_rel_dir}` (`/mnt/proxies`). The rules, so that no JobSpec can
 * write outside that base, however it is written or whatever is on disk:
 *
 * - one placement token, once, as a whole folder name; `{source_dir}` first (it is absolute);
 * - no `..` after the token (rules.ts), and no token value with `..` (a source outside
 *   `source_root` is refused, not written to `/mnt/proxies/../..`);
 * - the folder, resolved, is inside its base (lexically), and the deepest part of it that
 *   exists is inside the base's real path too: a symlinked folder pointing elsewhere is
 *   refused at validation, and checked again right before the folder is created.
 *
 * Other `{...}` text in `output_directory` stays literal, as before (a folder may be named
 * `{x}`), so JobSpecs without these two tokens behave exactly as they did.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const proxy = parsePlacement("{source_dir}/Proxy")!;
 * assert.deepEqual(placeFolder(proxy, "/card/A001/clip.mov", null, "/jobs"), {
 *   folder: "/card/A001/Proxy", base: "/card/A001",
 * });
 * const mirror = parsePlacement("/mnt/proxies/{source_rel_dir}")!;
 * assert.deepEqual(placeFolder(mirror, "/card/Day01/CamA/A001.mov", "/card", "/jobs"), {
 *   folder: "/mnt/proxies/Day01/CamA", base: "/mnt/proxies",
 * });
 * assert.equal(parsePlacement("/mnt/proxies"), null); // no token: one folder, as before
 * assert.deepEqual(placementProblems("{source_dir}/../elsewhere"), [
 *   "must not contain '..' after {source_dir}: proxies stay inside the source's own folder",
 * ]);
 * ```
 */
import * as path from "node:path";
import type { Platform } from "../platform/types.ts";

export const PLACEMENT_TOKENS = ["source_dir", "source_rel_dir"] as const;
export type PlacementToken = (typeof PLACEMENT_TOKENS)[number];

const TOKEN = /\{(source_dir|source_rel_dir)\}/;
const TOKENS_GLOBAL = /\{(source_dir|source_rel_dir)\}/g;
/** Both separators: a backslash next to a token is a Windows path, or a mistake; either way not part of a name. */
const SEPARATOR = /[/\\]/;

export interface Placement {
  token: PlacementToken;
  /** `output_directory` before the token, as written (`""` for `{source_dir}`, which comes first). */
  before: string;
  /** `output_directory` after the token, as written (`"/Proxy"`). */
  after: string;
}

/** The placement token of `output_directory` (the first), or null when it has none. */
export function parsePlacement(outputDirectory: string): Placement | null {
  const m = TOKEN.exec(outputDirectory);
  if (!m) return null;
  return {
    token: m[1] as PlacementToken,
    before: outputDirectory.slice(0, m.index),
    after: outputDirectory.slice(m.index + m[0].length),
  };
}

export function usesPlacement(outputDirectory: string): boolean {
  return TOKEN.test(outputDirectory);
}

/** What a token's base is, in words, for messages. */
export function baseWords(token: PlacementToken): string {
  return token === "source_dir" ? "the source's own folder" : "the folder before {source_rel_dir}";
}

/** Problems with the tokens of `output_directory` itself, independent of any source ([] when fine or none). */
export function placementProblems(outputDirectory: string): string[] {
  const found = [...outputDirectory.matchAll(TOKENS_GLOBAL)].map((m) => `{${m[1]}}`);
  if (found.length === 0) return [];
  if (found.length > 1) {
    return [
      `uses ${found.join(", ")}: one placement token, once (${
        found[0] === found[1] ? "a folder cannot be inside itself" : "they are two ways to name the same place"
      })`,
    ];
  }
  const p = parsePlacement(outputDirectory)!;
  const problems: string[] = [];
  const startsSegment = p.before === "" || SEPARATOR.test(p.before.at(-1)!);
  const endsSegment = p.after === "" || SEPARATOR.test(p.after[0]!);
  if (!startsSegment || !endsSegment) {
    problems.push(`{${p.token}} must be a whole folder name, between separators ('${p.before}{${p.token}}${p.after}')`);
  }
  if (p.token === "source_dir" && p.before !== "") {
    problems.push(
      `{source_dir} must come first: it is the source's own folder, an absolute path ("{source_dir}/Proxy")`,
    );
  }
  if (p.after.split(SEPARATOR).includes("..")) {
    problems.push(`must not contain '..' after {${p.token}}: proxies stay inside ${baseWords(p.token)}`);
  }
  return problems;
}

/** `folder` is `base` or below it (both absolute, normalised). */
export function isInside(base: string, folder: string): boolean {
  const rel = path.relative(base, folder);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * The deepest folder that contains every one of `folders` (absolute), or null when there is
 * none (Windows: different drives). The default `source_root`.
 */
export function deepestCommonFolder(folders: readonly string[]): string | null {
  const split = (folder: string) => {
    const { root } = path.parse(folder);
    return { root, parts: folder.slice(root.length).split(path.sep).filter((s) => s !== "") };
  };
  const [first, ...rest] = folders.map(split);
  if (!first) return null;
  let depth = first.parts.length;
  for (const other of rest) {
    if (other.root !== first.root) return null;
    let i = 0;
    while (i < depth && i < other.parts.length && other.parts[i] === first.parts[i]) i++;
    depth = i;
  }
  return path.join(first.root, ...first.parts.slice(0, depth));
}

/**
 * The folder one source's proxy goes to, and its base. `source` and `root` are absolute;
 * `baseDir` is what a relative `output_directory` is relative to (the JobSpec's folder).
 * Assumes `placementProblems` found nothing. A `problem` names what is wrong, for the caller
 * to attach to the right field.
 */
export function placeFolder(
  placement: Placement,
  source: string,
  root: string | null,
  baseDir: string,
): { folder: string; base: string } | { problem: "outside_root" | "outside_base"; folder?: string; base: string } {
  const sourceDir = path.dirname(source);
  let value = "";
  let base = sourceDir;
  if (placement.token === "source_rel_dir") {
    base = path.resolve(baseDir, placement.before || ".");
    // A source outside the root would make the value start with '..' (or, on Windows, be another drive).
    if (root === null || !isInside(root, sourceDir)) return { problem: "outside_root", base };
    value = path.relative(root, sourceDir);
  }
  // The token is a whole folder name, so `after` is empty or starts with a separator: "." + after stays relative.
  const folder = path.resolve(base, value, `.${placement.after}`);
  if (!isInside(base, folder)) return { problem: "outside_base", folder, base };
  return { folder, base };
}

/** What the disk says about a resolved folder: whether it exists, or why it cannot be used. */
export type FolderOnDisk =
  | { ok: true; exists: boolean }
  | { ok: false; baseMissing: boolean; message: string };

/**
 * Look at `folder` (inside `base`, lexically) on disk: the deepest part of it that exists
 * must be a folder whose real path is inside the base's real path. So a `Proxy` that is a
 * symlink to `/etc`, or a mirrored `Day01` linked to another drive, is refused.
 */
export async function checkFolderOnDisk(platform: Platform, base: string, folder: string): Promise<FolderOnDisk> {
  try {
    let at = folder;
    let exists = true;
    while ((await platform.lstat(at)) === null) {
      if (at === base || path.dirname(at) === at) {
        return { ok: false, baseMissing: true, message: `${base} does not exist (create it first)` };
      }
      exists = false;
      at = path.dirname(at);
    }
    if (!(await platform.stat(at))?.isDirectory) {
      return { ok: false, baseMissing: at === base, message: `${at} exists and is not a folder` };
    }
    const realBase = await platform.realPath(base);
    const realAt = await platform.realPath(at);
    if (!isInside(realBase, realAt)) {
      return {
        ok: false,
        baseMissing: false,
        message: `${at} is (or is below) a symbolic link to ${realAt}, outside ${base}${
          realBase === base ? "" : ` (${realBase})`
        }`,
      };
    }
    return { ok: true, exists };
  } catch (error) {
    return { ok: false, baseMissing: false, message: `cannot be checked: ${(error as Error).message.slice(0, 200)}` };
  }
}

/**
 * Create `folder` below `base`, one level at a time (`mkdir -p`, but never the base itself,
 * and never through a symbolic link that leads out of the base). Run right before the
 * encode: the disk may have changed since validation, so every level is checked again.
 * Throws an Error saying what is wrong.
 */
export async function makeFolderBelow(platform: Platform, base: string, folder: string): Promise<void> {
  if (!isInside(base, folder)) throw new Error(`${folder} is not inside ${base}`);
  if (!(await platform.stat(base))?.isDirectory) {
    throw new Error(`${base} does not exist or is not a folder; proxx creates folders only below one that exists`);
  }
  const realBase = await platform.realPath(base);
  let current = base;
  for (const name of path.relative(base, folder).split(path.sep).filter((s) => s !== "")) {
    current = path.join(current, name);
    let stat = await platform.lstat(current);
    if (stat === null) {
      try {
        await platform.mkdir(current); // its parent exists: one level
      } catch (error) {
        // Another process made it first: fine, it is checked below like any existing one.
        if ((error as { code?: string }).code !== "EEXIST") throw error;
      }
      stat = await platform.lstat(current);
    }
    if (stat?.isSymlink) {
      const real = await platform.realPath(current);
      if (!isInside(realBase, real)) throw new Error(`${current} is a symbolic link to ${real}, outside ${base}`);
      if (!(await platform.stat(current))?.isDirectory) throw new Error(`${current} is not a folder`);
    } else if (!stat?.isDirectory) {
      throw new Error(`${current} exists and is not a folder`);
    }
  }
}
