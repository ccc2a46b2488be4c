/**
 * The one font every burn-in and text watermark is drawn with: DejaVu Sans Mono (npm
 * `dejavu-fonts-ttf`, Bitstream Vera licence: node_modules/dejavu-fonts-ttf/LICENSE, quoted
 * in docs/looks.md). FFmpeg is always given the file (`fontfile=`), never a family name:
 * fontconfig finds different fonts on each machine and is missing from some Windows and
 * macOS builds of FFmpeg, and the same font everywhere means the same burn-in everywhere.
 *
 * From source (Bun or Deno) FFmpeg reads the file in node_modules; the compiled binary embeds
 * it (the literal import below) and FFmpeg gets a cache copy named by its SHA-256
 * (bundled-file.ts).
 */
import type { Platform } from "../platform/types.ts";
import { type BundledFile, bundledFilePath } from "./bundled-file.ts";

export const FONT: BundledFile = {
  name: "DejaVuSansMono.ttf",
  url: new URL("../../node_modules/dejavu-fonts-ttf/ttf/DejaVuSansMono.ttf", import.meta.url),
  load: () => import("../../node_modules/dejavu-fonts-ttf/ttf/DejaVuSansMono.ttf", { with: { type: "file" } }),
};

/**
 * A path FFmpeg can open holding the font. Throws, naming the path, when the font is missing
 * or cannot be copied (the clip then fails before FFmpeg starts).
 */
export async function fontFile(platform: Platform): Promise<string> {
  let found: string;
  try {
    found = await bundledFilePath(platform, FONT);
  } catch (error) {
    throw new Error(`could not make the burn-in font readable for FFmpeg: ${(error as Error).message}`);
  }
  if (!(await platform.stat(found).catch(() => null))?.isFile) {
    throw new Error(`the burn-in font ${found} is missing (npm package dejavu-fonts-ttf: run bun install)`);
  }
  return found;
}
