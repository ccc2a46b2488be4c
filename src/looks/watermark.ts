/**
 * The watermark (`watermark` in the JobSpec): a text (`{ "text": "CONFIDENTIAL" }`, drawn
 * with the bundled font like the burn-ins, tokens included) or an image
 * (`{ "image": "logo.png" }`, a second FFmpeg input laid over the picture), at an opacity
 * from 0 to 1. It is drawn under the burn-ins, so they stay readable.
 *
 * The image path is relative to the JobSpec (like `sources`) and checked when the job is
 * resolved; it reaches FFmpeg only as an input (`-i file:…`), never inside the filter graph.
 * Its height is `size` × the proxy's frame height, its shape kept.
 */
import { z } from "zod";
import { BurnInText, drawtext, fontPixels, horizontal, marginOf, type Position, PositionSchema } from "./burn-in.ts";

export const IMAGE_EXTENSIONS = ["png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp"] as const;

const Opacity = z.number().min(0, { message: "must be from 0 to 1" }).max(1, { message: "must be from 0 to 1" })
  .default(0.3).meta({ description: "0 invisible … 1 opaque (default 0.3)." });
const Size = (fallback: number, what: string) =>
  z.number().gt(0, { message: "must be more than 0" }).max(1, { message: "must be at most 1" }).default(fallback)
    .meta({ description: `${what} as a fraction of the proxy's frame height (default ${fallback}).` });
const Place = (fallback: Position) =>
  PositionSchema.default(fallback).meta({ description: `Where in the frame (default ${fallback}).` });

export const TextWatermark = z.object({
  text: BurnInText.meta({ description: "Text drawn with the bundled font; the burn-in tokens work here too." }),
  opacity: Opacity,
  position: Place("center"),
  size: Size(0.1, "Text height"),
}).strict();

export const ImageWatermark = z.object({
  image: z.string().min(1, { message: "must not be empty" })
    .refine((s) => !s.includes("\0"), { message: "must not contain a NUL byte" })
    .refine((s) => IMAGE_EXTENSIONS.some((e) => s.toLowerCase().endsWith(`.${e}`)), {
      message: `must be an image file: ${IMAGE_EXTENSIONS.map((e) => `.${e}`).join(", ")}`,
    })
    .meta({
      description:
        "Image file (PNG with transparency works best); a relative path resolves against the JobSpec's folder.",
    }),
  opacity: Opacity,
  position: Place("bottom-right"),
  size: Size(0.15, "Image height"),
}).strict();

export const Watermark = z.union([TextWatermark, ImageWatermark], {
  error: () => 'must be { "text": "…" } or { "image": "logo.png" }, with optional opacity, position and size',
});
export type Watermark = z.output<typeof Watermark>;

const alpha = (opacity: number) => String(Math.round(opacity * 1000) / 1000);

/** The drawtext filter of a text watermark, reading `textfile`. */
export function textWatermarkFilter(
  mark: z.output<typeof TextWatermark>,
  height: number,
  font: string,
  textfile: string,
): string {
  const pixels = fontPixels(mark.size, height);
  const margin = marginOf(height);
  const p = mark.position;
  const y = p.startsWith("top") ? String(margin) : p === "center" ? "(h-text_h)/2" : `h-text_h-${margin}`;
  return drawtext({
    font,
    textfile,
    pixels,
    x: horizontal(p, margin),
    y,
    colour: `white@${alpha(mark.opacity)}`,
    extra: [`borderw=${Math.max(1, Math.round(pixels / 24))}`, `bordercolor=black@${alpha(mark.opacity)}`],
  });
}

/**
 * The filter_complex piece that lays input `input` (the image) over the stream `base`,
 * giving `out`: the image scaled to its height, its alpha times the opacity, then overlaid.
 */
export function imageWatermarkGraph(
  mark: z.output<typeof ImageWatermark>,
  height: number,
  input: number,
  base: string,
  out: string,
): string {
  const margin = marginOf(height);
  const tall = Math.max(2, Math.round(mark.size * height));
  const p = mark.position;
  const x = p === "top" || p === "bottom" || p === "center"
    ? "(W-w)/2"
    : p.endsWith("left")
    ? String(margin)
    : `W-w-${margin}`;
  const y = p.startsWith("top") ? String(margin) : p === "center" ? "(H-h)/2" : `H-h-${margin}`;
  return `[${input}:v:0]scale=-1:${tall},format=rgba,colorchannelmixer=aa=${alpha(mark.opacity)}[wm];` +
    `[${base}][wm]overlay=x=${x}:y=${y}:eof_action=repeat[${out}]`;
}
