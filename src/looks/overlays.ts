/**
 * Burn-ins and the watermark of one clip, put together: the texts drawtext reads (one per
 * text watermark and burn-in item, in that order), the files holding them and the font
 * (prepared before FFmpeg starts, removed when it has ended), and the filters that draw them,
 * which args.ts places after the LUT and before the pixel format is pinned.
 */
import * as path from "node:path";
import { createHash } from "node:crypto";
import type { Platform } from "../platform/types.ts";
import { type Codec, type Resolution, resolutionText } from "../jobspec/schema.ts";
import { tokenValues } from "../jobspec/naming.ts";
import { burnInFilters, type BurnInItem, clipTiming, drawtextContent, type TextContext } from "./burn-in.ts";
import { imageWatermarkGraph, textWatermarkFilter, type Watermark } from "./watermark.ts";
import { fontFile } from "./font.ts";

export interface LookSettings {
  burn_in?: BurnInItem[] | null;
  watermark?: Watermark | null;
}

/** Paths FFmpeg reads: the font and one text file per drawn text, in overlayContents' order. */
export interface OverlayFiles {
  font: string;
  texts: string[];
}

export const hasText = (look: LookSettings) =>
  (look.burn_in?.length ?? 0) > 0 || (look.watermark != null && "text" in look.watermark);

/** The texts to draw for one clip, in order: a text watermark, then each burn-in item. */
export function overlayContents(
  job: LookSettings & {
    job_id: string;
    codec: Codec;
    resolution: Resolution;
    started_at_ms: number;
    fps: number | null;
  },
  clip: { index: number; source_path: string },
  source: { timecode: string | null; reel_name: string | null; video: { frame_rate: string | null } | null },
): string[] {
  const names = tokenValues({
    sourcePath: clip.source_path,
    index: clip.index,
    jobId: job.job_id,
    codec: job.codec,
    resolution: resolutionText(job.resolution),
    startedAtMs: job.started_at_ms,
  });
  const ctx: TextContext = { values: { ...names, reel: source.reel_name ?? "" }, ...clipTiming(job, source) };
  const texts = job.watermark && "text" in job.watermark ? [job.watermark.text] : [];
  for (const item of job.burn_in ?? []) texts.push(item.text);
  return texts.map((t) => drawtextContent(t, ctx));
}

/** What args.ts adds for the look: filters on the picture, and an image laid over it. */
export interface OverlayPlan {
  /** drawtext filters in drawing order (after the image, when there is one). */
  filters: string[];
  image: { path: string; graph: (input: number, base: string, out: string) => string } | null;
}

export function overlayPlan(look: LookSettings, height: number, files: OverlayFiles | null | undefined): OverlayPlan {
  const mark = look.watermark ?? null;
  const items = look.burn_in ?? [];
  if (hasText(look) && !files) throw new Error("the burn-in text files were not prepared");
  const texts = files?.texts ?? [];
  const filters: string[] = [];
  let next = 0;
  if (mark && "text" in mark) filters.push(textWatermarkFilter(mark, height, files!.font, texts[next++]!));
  filters.push(...burnInFilters(items, height, files?.font ?? "", texts.slice(next)));
  const image = mark && "image" in mark
    ? {
      path: mark.image,
      graph: (input: number, base: string, out: string) => imageWatermarkGraph(mark, height, input, base, out),
    }
    : null;
  return { filters, image };
}

/**
 * Writes the font (when embedded: font.ts) and the clip's texts where FFmpeg reads them:
 * `<temp>/proxx-<pid>-text-<sha256 of the clip's output path and the text>.txt`. The pid
 * keeps concurrent processes apart, the output path the clips one process encodes at once
 * (`--max-workers`: the same watermark text on two clips must not be one file that the first
 * clip to end removes under the second), and the name stays deterministic; `remove` deletes
 * them once FFmpeg has ended. null when the clip draws no text.
 */
export async function prepareOverlayFiles(
  platform: Platform,
  clipKey: string,
  contents: string[],
): Promise<{ files: OverlayFiles; remove: () => Promise<void> } | null> {
  if (contents.length === 0) return null;
  const font = await fontFile(platform);
  const nameOf = (content: string) =>
    path.join(
      platform.tempDir(),
      `proxx-${platform.pid}-text-${
        createHash("sha256").update(clipKey).update("\0").update(content).digest("hex").slice(0, 16)
      }.txt`,
    );
  const texts = contents.map(nameOf);
  const written: string[] = [];
  const remove = async () => {
    for (const file of written) await platform.remove(file).catch(() => {});
  };
  try {
    for (const [i, content] of contents.entries()) {
      if (written.includes(texts[i]!)) continue;
      written.push(texts[i]!);
      await platform.writeFileAtomic(texts[i]!, content);
    }
  } catch (error) {
    await remove();
    throw new Error(`could not write the burn-in text to ${platform.tempDir()}: ${(error as Error).message}`);
  }
  return { files: { font, texts }, remove };
}
