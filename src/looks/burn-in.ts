/**
 * Burn-ins: lines of text drawn into every frame of the proxy (`burn_in` in the JobSpec),
 * with tokens for the source timecode, the frame number and the clip's names.
 *
 * Each item is ONE drawtext filter reading its text from a file (`textfile=`), never from the
 * filter graph, so no character of the text or of a file name (`%`, `:`, `'`, `\`, `,`, `;`,
 * non-ASCII) can change the graph; the file's path is escaped for the graph (filter-escape.ts).
 * drawtext expands `%{…}` in that text (`expansion=normal`): every literal `\` and `%` is
 * written `\\` and `\%`, which drawtext prints as themselves, and the running tokens are
 * expansions proxx writes itself:
 * - `{frame}`: `%{eif:n:d}`, the proxy's frame number counted from 0.
 * - `{timecode}`: the source timecode of each frame, computed from `n` with drawtext's integer
 *   expressions: the label of the proxy's first frame (the source's, carried to the proxy's
 *   rate as the timecode track is: timecode.ts), plus n frames, drop-frame counted the way
 *   FFmpeg's timecode does (tests compare it with drawtext's own `timecode=` option and with
 *   the same text drawn by `text=`). drawtext's `timecode=` option cannot be used here
 *   because it only PREFIXES the text (no text after the timecode, no second token), and
 *   splitting an item into several filters side by side would need the width of text that
 *   drawtext measures only when it draws; `%{pts\:hms}` ignores the start timecode and drop-frame.
 * - Every other token is known before FFmpeg starts and is written as literal text.
 * A source without a timecode counts from 00:00:00:00 at the proxy's rate.
 */
import { z } from "zod";
import { frameRateValue } from "../ffmpeg/syntax.ts";
import { convertTimecode, framesPerDay, timecodeCount } from "../ffmpeg/timecode.ts";
import { TOKENS as NAME_TOKENS } from "../jobspec/naming.ts";
import { filterValue } from "./filter-escape.ts";

export const POSITIONS = ["top-left", "top", "top-right", "bottom-left", "bottom", "bottom-right", "center"] as const;
export type Position = (typeof POSITIONS)[number];
export const PositionSchema = z.enum(POSITIONS);

/** Tokens known before FFmpeg starts: the naming tokens and the source's reel name. */
export const STATIC_TOKENS = [...NAME_TOKENS, "reel"] as const;
export const RUNNING_TOKENS = ["timecode", "frame"] as const;
export const BURN_IN_TOKENS = [...RUNNING_TOKENS, ...STATIC_TOKENS] as const;
export type StaticToken = (typeof STATIC_TOKENS)[number];

export const MAX_TEXT_CHARS = 500;
export const MAX_BURN_INS = 16;
const TOKEN = /\{([a-z_]+)\}/g;

/** Why a burn-in or watermark text cannot be drawn (empty: it can). */
export function textProblems(text: string): string[] {
  const problems: string[] = [];
  // deno-lint-ignore no-control-regex -- control characters are what this looks for
  if (/[\0-\x1f\x7f]/.test(text)) {
    problems.push("must not contain control characters (line breaks included): give each line its own item");
  }
  const unknown = [...text.matchAll(TOKEN)].map((m) => m[1]!).filter((t) =>
    !(BURN_IN_TOKENS as readonly string[]).includes(t)
  );
  for (const name of [...new Set(unknown)]) {
    problems.push(`unknown token {${name}}; known tokens: ${BURN_IN_TOKENS.map((t) => `{${t}}`).join(" ")}`);
  }
  return problems;
}

export const BurnInText = z.string().min(1, { message: "must not be empty" })
  .max(MAX_TEXT_CHARS, { message: `must be at most ${MAX_TEXT_CHARS} characters` })
  .superRefine((text, ctx) => {
    for (const message of textProblems(text)) ctx.addIssue({ code: "custom", message });
  });

export const BurnInItem = z.object({
  text: BurnInText.meta({
    description: `The text. Tokens: ${
      BURN_IN_TOKENS.map((t) => `{${t}}`).join(" ")
    }. {timecode} is the source timecode of each frame (drop-frame shown with ';'), {frame} the proxy's frame number from 0, {reel} the source's reel name (empty without one); the others are as in naming_template ({date} is the job's start date in UTC, YYYYMMDD). Every other character is drawn as written.`,
    examples: ["{timecode}", "{source_name}  {timecode}", "CONFIDENTIAL – {job_id}"],
  }),
  position: PositionSchema.default("bottom").meta({
    description: `Where in the frame: ${POSITIONS.join(", ")}. Items at the same place stack in list order.`,
  }),
  size: z.number().gt(0, { message: "must be more than 0" }).max(0.5, { message: "must be at most 0.5" })
    .default(0.045).meta({
      description: "Text height as a fraction of the proxy's frame height (0.045: 24 px at 540).",
    }),
  box: z.boolean().default(true).meta({
    description: "true: white text on a half-transparent black box; false: white text with a thin black outline.",
  }),
}).strict();
export type BurnInItem = z.output<typeof BurnInItem>;

export const BurnInList = z.array(BurnInItem).max(MAX_BURN_INS, { message: `at most ${MAX_BURN_INS} items` });

/** What the tokens of one clip stand for. */
export interface TextContext {
  values: Record<StaticToken, string>;
  /** The proxy's frame rate; null when unknown. */
  fps: number | null;
  /** Label of the proxy's first frame; null: the source has none. */
  timecode: string | null;
}

/** The proxy's frame rate and first timecode, from the plan and the probe. */
export function clipTiming(
  plan: { fps: number | null },
  source: { timecode: string | null; video: { frame_rate: string | null } | null },
): { fps: number | null; timecode: string | null } {
  const sourceFps = frameRateValue(source.video?.frame_rate);
  const fps = plan.fps ?? sourceFps;
  return { fps, timecode: source.timecode ? convertTimecode(source.timecode, sourceFps, fps) : null };
}

/** A literal for drawtext's expansion: `\` and `%` escaped; control characters (from a file name) as `_`. */
export function literalText(value: string): string {
  // deno-lint-ignore no-control-regex -- control characters are what this replaces
  return value.replace(/[\0-\x1f\x7f]/g, "_").replace(/[\\%]/g, (c) => `\\${c}`);
}

/**
 * The running timecode as drawtext expansions: four `eif` fields computed from the frame
 * number `n`, the inverse of the drop-frame count (FFmpeg's av_timecode_adjust_ntsc_framenum2).
 */
export function timecodeExpansion(fps: number | null, start: string | null): string {
  if (fps == null) return "??:??:??:??";
  const count = timecodeCount(start ?? "00:00:00:00", fps) ?? { frames: 0, nominal: Math.round(fps), drop: false };
  const { frames, nominal: r, drop } = count;
  const day = framesPerDay(r, drop);
  const n = `mod(n+${frames},${day})`;
  let label = n;
  if (drop) {
    const d = Math.round(r / 15);
    const perTen = r * 600 - 9 * d;
    const perMinute = r * 60 - d;
    const rest = `mod(${n},${perTen})`;
    label = `(${n}+${9 * d}*floor(${n}/${perTen})+if(gt(${rest},${d}),${d}*floor((${rest}-${d})/${perMinute}),0))`;
  }
  const width = r > 10000 ? 5 : r > 1000 ? 4 : r > 100 ? 3 : r > 10 ? 2 : 1;
  const field = (expr: string, w: number) => `%{eif:${expr}:d:${w}}`;
  return [
    field(`mod(floor(${label}/${r * 3600}),24)`, 2),
    ":",
    field(`mod(floor(${label}/${r * 60}),60)`, 2),
    ":",
    field(`mod(floor(${label}/${r}),60)`, 2),
    drop ? ";" : ":",
    field(`mod(${label},${r})`, width),
  ].join("");
}

/** The text file's content for one item: literals escaped, tokens replaced or expanded. */
export function drawtextContent(text: string, ctx: TextContext): string {
  let out = "";
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    out += literalText(text.slice(last, m.index));
    last = m.index + m[0].length;
    const token = m[1]!;
    if (token === "timecode") out += timecodeExpansion(ctx.fps, ctx.timecode);
    else if (token === "frame") out += "%{eif:n:d}";
    else if (token in ctx.values) out += literalText(ctx.values[token as StaticToken]);
    else out += literalText(m[0]);
  }
  return out + literalText(text.slice(last));
}

/** Pixel layout shared by burn-ins and text watermarks: a margin of 3 % of the frame height. */
export const marginOf = (height: number) => Math.round(height * 0.03);
export const fontPixels = (size: number, height: number) => Math.max(6, Math.round(size * height));

export function horizontal(position: Position, inset: number, width = "text_w"): string {
  if (position === "top" || position === "bottom" || position === "center") return `(w-${width})/2`;
  if (position.endsWith("left")) return String(inset);
  return `w-${width}-${inset}`;
}

/** One drawtext filter; `font` and `textfile` are paths, quoted here. */
export function drawtext(o: {
  font: string;
  textfile: string;
  pixels: number;
  x: string;
  y: string;
  colour: string;
  extra?: string[];
}): string {
  return [
    `drawtext=fontfile=${filterValue(o.font)}`,
    `textfile=${filterValue(o.textfile)}`,
    "expansion=normal",
    `fontsize=${o.pixels}`,
    `fontcolor=${o.colour}`,
    `x=${o.x}`,
    `y=${o.y}`,
    ...(o.extra ?? []),
  ].join(":");
}

/**
 * The drawtext filters for the items, on a picture `height` pixels high, each reading
 * `textfiles[i]`. Items at the same position stack: downwards from the top, upwards from the
 * bottom, as a block in the centre, in list order; their vertical places are computed here
 * from the font size (each line is 1.2 × its size plus the box border), so a running
 * timecode never moves a line.
 */
export function burnInFilters(
  items: readonly BurnInItem[],
  height: number,
  font: string,
  textfiles: string[],
): string[] {
  const margin = marginOf(height);
  const lines = items.map((item) => {
    const pixels = fontPixels(item.size, height);
    const border = item.box ? Math.max(1, Math.round(pixels * 0.25)) : 0;
    return { item, pixels, border, tall: Math.round(pixels * 1.2) + 2 * border };
  });
  return lines.map((line, i) => {
    const group = lines.filter((l) => l.item.position === line.item.position);
    const at = group.indexOf(line);
    const above = group.slice(0, at).reduce((s, l) => s + l.tall, 0);
    const total = group.reduce((s, l) => s + l.tall, 0);
    const p = line.item.position;
    const top = p.startsWith("top")
      ? margin + above
      : p === "center"
      ? Math.round((height - total) / 2) + above
      : height - margin - total + above;
    const extra = line.item.box
      ? ["box=1", "boxcolor=black@0.6", `boxborderw=${line.border}`]
      : ["borderw=" + Math.max(1, Math.round(line.pixels / 16)), "bordercolor=black"];
    return drawtext({
      font,
      textfile: textfiles[i]!,
      pixels: line.pixels,
      x: horizontal(p, margin + line.border),
      y: String(top + line.border),
      colour: "white",
      extra,
    });
  });
}
