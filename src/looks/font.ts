/**
 * The one font every burn-in and text watermark is drawn with: DejaVu Sans Mono (npm
 * `dejavu-fonts-ttf`, Bitstream Vera licence: node_modules/dejavu-fonts-ttf/LICENSE, quoted
 * in docs/looks.md). FFmpeg is always given the file (`fontfile=`), never a family name:
 * fontconfig finds different fonts on each machine and is missing from some Windows and
 * macOS builds of FFmpeg, and the same font everywhere means the same burn-in everywhere.
 *
 * Where the file is:
 * - From source (Bun or Deno): in node_modules, a real file FFmpeg reads directly.
 * - In the `bun build --compile` binary: the import below makes Bun embed the font; its path
 *   is then inside the binary (`/$bunfs/…`, `B:\~BUN\…` on Windows), which FFmpeg cannot
 *   open, so it is copied once to the temp folder under a name made of its SHA-256
 *   (`proxx-font-<hash>.ttf`): the same bytes always get the same name, a copy that is not
 *   those bytes is replaced (atomically, never through a link), and concurrent runs share it.
 * Deno refuses the `type: "file"` import at run time (and does not see it when checking,
 * since the import is dynamic): it then takes the file from node_modules.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Platform } from "../platform/types.ts";

export const FONT_NAME = "DejaVuSansMono.ttf";
const FROM_SOURCE = new URL("../../node_modules/dejavu-fonts-ttf/ttf/DejaVuSansMono.ttf", import.meta.url);

/** Where the runtime has the font: the embedded path in the binary, else the file in node_modules. */
async function bundledFontPath(): Promise<string> {
  try {
    const embedded = await import("../../node_modules/dejavu-fonts-ttf/ttf/DejaVuSansMono.ttf", {
      with: { type: "file" },
    });
    return String(embedded.default);
  } catch {
    return fileURLToPath(FROM_SOURCE);
  }
}

/** Whether a path is inside a compiled Bun binary, where only the binary itself can read it. */
export function isEmbeddedPath(p: string): boolean {
  return p.startsWith("/$bunfs/") || /^[A-Za-z]:[\\/]~BUN[\\/]/.test(p);
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

let cached: Promise<string> | null = null;

/**
 * A path FFmpeg can open holding the font. Throws, with the path, when the font cannot be
 * read or copied (the clip then fails before FFmpeg starts).
 */
export function fontFile(platform: Platform): Promise<string> {
  cached ??= locateFont(platform).catch((error) => {
    cached = null; // a full temp folder may be fixed before the next clip
    throw error;
  });
  return cached;
}

async function locateFont(platform: Platform): Promise<string> {
  const bundled = await bundledFontPath();
  if (!isEmbeddedPath(bundled)) {
    if (!(await platform.stat(bundled))?.isFile) {
      throw new Error(`the burn-in font ${bundled} is missing (npm package dejavu-fonts-ttf; run bun install)`);
    }
    return bundled;
  }
  const bytes = await platform.readFile(bundled);
  const hash = sha256(bytes);
  const copy = path.join(platform.tempDir(), `proxx-font-${hash.slice(0, 16)}.ttf`);
  try {
    const existing = await platform.readFile(copy);
    if (sha256(existing) === hash) return copy;
  } catch {
    // missing or unreadable: written below
  }
  try {
    await platform.writeFileAtomic(copy, bytes);
  } catch (error) {
    throw new Error(`could not write the burn-in font to ${copy}: ${(error as Error).message}`);
  }
  return copy;
}
