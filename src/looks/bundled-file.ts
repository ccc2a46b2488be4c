/**
 * Files shipped inside proxx (the burn-in font, the built-in camera LUTs) as real paths
 * FFmpeg can open, from source on Bun and Deno and in the `bun build --compile` binary.
 *
 * The binary embeds a file imported `with { type: "file" }` and gives its path under
 * `/$bunfs/…` (`B:\~BUN\…` on Windows), which only the binary itself can read: FFmpeg
 * cannot open it. So an embedded file is copied once to a cache file in the temp folder,
 * named by its SHA-256 (`proxx-files/<sha256 first 16>-<name>`), and that path is returned.
 * Deno has no `type: "file"` import, so under Deno (always from source) the file's own path
 * in the source tree is used; under Bun from source the import gives that same path.
 *
 * Each bundled file is declared once, with a literal dynamic import (the bundler only
 * embeds what it can see; a literal dynamic import also keeps `deno check` from loading the
 * attribute it does not know):
 *
 *     const FONT: BundledFile = {
 *       name: "DejaVuSansMono.ttf",
 *       url: new URL("../../node_modules/dejavu-fonts-ttf/ttf/DejaVuSansMono.ttf", import.meta.url),
 *       load: () => import("../../node_modules/dejavu-fonts-ttf/ttf/DejaVuSansMono.ttf", { with: { type: "file" } }),
 *     };
 *     const fontPath = await bundledFilePath(platform, FONT);
 *
 * The cache is shared by every proxx on the machine; a file found there is used only when
 * its bytes hash to the name (anything else — another user's file, a truncated copy — is
 * replaced atomically, never written through: writeFileAtomic replaces a link, it does not
 * follow it).
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Platform } from "../platform/types.ts";
import { sha256Hex } from "../util/sha256.ts";

export interface BundledFile {
  /** File name of the cache copy (keeps the extension FFmpeg may look at). */
  name: string;
  /** Where the file is in the source tree (`new URL("…", import.meta.url)`). */
  url: URL;
  /** `() => import("…same path…", { with: { type: "file" } })`: Bun gives the path, the binary embeds it. */
  load: () => Promise<{ default: unknown }>;
}

/** The folder in the temp directory holding copies of embedded files and proxx-written LUTs. */
export function cacheDir(platform: Pick<Platform, "tempDir">): string {
  return path.join(platform.tempDir(), "proxx-files");
}

/** Whether a path is inside a `bun build --compile` binary (readable by proxx only). */
export function isEmbeddedPath(p: string): boolean {
  return p.includes("/$bunfs/") || p.includes("~BUN");
}

const known = new Map<string, Promise<string>>();

/** A path FFmpeg can open for a bundled file; copied to the cache only when embedded. Memoised per process. */
export function bundledFilePath(platform: Platform, file: BundledFile): Promise<string> {
  const key = file.url.href;
  let found = known.get(key);
  if (!found) {
    found = locate(platform, file);
    known.set(key, found);
    // A failure (a full temp disk) is not remembered: the next clip tries again.
    found.catch(() => known.delete(key));
  }
  return found;
}

async function locate(platform: Platform, file: BundledFile): Promise<string> {
  const where = platform.runtime.startsWith("bun") ? String((await file.load()).default) : fileURLToPath(file.url);
  if (!isEmbeddedPath(where)) return where;
  return await cacheCopy(platform, file.name, await platform.readFile(where));
}

/**
 * `bytes` as a file in the cache, named by their SHA-256, written only when no file with
 * exactly those bytes is there. Also used for the LUT files proxx writes for FFmpeg (looks/lut.ts).
 */
export async function cacheCopy(platform: Platform, name: string, bytes: Uint8Array): Promise<string> {
  const dir = cacheDir(platform);
  const target = path.join(dir, `${(await sha256Hex(bytes)).slice(0, 16)}-${name}`);
  if (await holds(platform, target, bytes)) return target;
  try {
    await platform.mkdir(dir);
  } catch (error) {
    if ((error as { code?: string }).code !== "EEXIST") throw error;
  }
  await platform.writeFileAtomic(target, bytes);
  return target;
}

async function holds(platform: Platform, target: string, bytes: Uint8Array): Promise<boolean> {
  try {
    const st = await platform.lstat(target);
    if (!st || !st.isFile || st.size !== bytes.length) return false;
    const there = await platform.readFile(target);
    return there.length === bytes.length && there.every((b, i) => b === bytes[i]);
  } catch {
    return false;
  }
}
