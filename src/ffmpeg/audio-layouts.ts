/**
 * Channel layouts and timecode origin: what the proxy keeps of the source's audio layout
 * and where its timecode came from. Pure, so each rule is unit-tested without FFmpeg.
 *
 * Layouts, measured with FFmpeg 5.1 (every named layout, and 1–16 unnamed channels, into
 * each container): MOV keeps every layout; MP4 and MKV (AAC) keep the layouts AAC has a
 * channel configuration for (mono … 5.1, 7.1; 5.1(side), 7.0, 16 channels … read back as
 * unknown); WebM (Opus) keeps its Vorbis orders; MXF keeps none (FFmpeg's muxer writes no
 * channel labels: every stream reads back with a count only). So verification compares a
 * layout wherever the proxy records one, and the result says per stream when the container
 * did not record it (`channel_layouts`) rather than refusing MXF, whose editors (Avid) take
 * audio as counted tracks anyway.
 *
 * A source stream without a layout is encoded the way FFmpeg guesses it: its default
 * layout for the channel count (3 channels are 2.1), none for 9–15 channels.
 */
import { type Codec, codecFacts, type Container, containerFacts, CONTAINERS } from "./codecs.ts";

/** One audio stream as the probe reports it; `channel_layout` null when it has none. */
export interface AudioStreamFacts {
  channels: number;
  sample_rate?: number;
  channel_layout?: string | null;
}

/** FFmpeg's default layout per channel count (av_channel_layout_default), which its CLI gives unlabelled input. */
const DEFAULT_LAYOUTS: Record<number, string> = {
  1: "mono",
  2: "stereo",
  3: "2.1",
  4: "4.0",
  5: "5.0",
  6: "5.1",
  7: "6.1",
  8: "7.1",
  16: "hexadecagonal",
};

/** The layout the encoder is given for this stream: its own, else FFmpeg's guess; null when FFmpeg has none. */
export function encoderLayout(stream: AudioStreamFacts): string | null {
  return stream.channel_layout ?? DEFAULT_LAYOUTS[stream.channels] ?? null;
}

function acceptsLayout(container: Container, layout: string | null): boolean {
  const layouts = containerFacts(container).audioChannels.layouts;
  return layouts === undefined || (layout !== null && layouts.includes(layout));
}

/** Whether the container's audio encoder takes this stream whole: its channel count and its layout. */
export function keepsStream(container: Container, stream: AudioStreamFacts): boolean {
  return containerFacts(container).audioChannels.maxChannels >= stream.channels &&
    acceptsLayout(container, encoderLayout(stream));
}

function describeStream(stream: AudioStreamFacts): string {
  if (stream.channel_layout) return `${stream.channels} channels in layout ${stream.channel_layout}`;
  const guess = encoderLayout(stream);
  return guess
    ? `${stream.channels} channels with no layout, which FFmpeg takes as ${guess}`
    : `${stream.channels} channels with no layout (FFmpeg names no layout of ${stream.channels} channels)`;
}

function describeLayouts(layouts: readonly string[]): string {
  return layouts.length <= 8 ? layouts.join(", ") : `${layouts.length} named layouts (${layouts.join(", ")})`;
}

/**
 * Why a source stream's channel layout cannot be encoded for the container, or null. The
 * encoders with a layout list (codecs.ts) fail at start-up on any other; refused at stage
 * `probe`, naming the containers that keep it.
 */
export function audioLayoutProblem(
  plan: { codec: Codec; container: Container },
  source: { audio: AudioStreamFacts[] },
): string | null {
  const index = source.audio.findIndex((a) => !acceptsLayout(plan.container, encoderLayout(a)));
  if (index < 0) return null;
  const stream = source.audio[index]!;
  const { audioCodec, layouts } = containerFacts(plan.container).audioChannels;
  const fits = (c: Container) => keepsStream(c, stream);
  const here = codecFacts(plan.codec).containers.filter(fits);
  const anywhere = CONTAINERS.filter(fits);
  const fix = here.length > 0
    ? `use container ${here.join(" or ")}, which keep${here.length === 1 ? "s" : ""} it`
    : `${plan.codec} goes only in ${codecFacts(plan.codec).containers.join(", ")}; to keep it use a codec for ${
      anywhere.join(" or ")
    }`;
  return `audio stream ${index + 1} has ${describeStream(stream)}, but ${plan.container} audio is ${audioCodec}, ` +
    `which FFmpeg encodes only in ${describeLayouts(layouts ?? [])}; ${fix}`;
}

/**
 * Verification: every proxy stream that records a layout records the source's (or, for an
 * unlabelled source stream, the one FFmpeg gave it). A stream with no layout recorded is
 * the container's limit, reported in the result (`channelLayouts`), not a mismatch.
 */
export function verifyChannelLayouts(
  source: { audio: AudioStreamFacts[] },
  output: { audio: AudioStreamFacts[] },
): string | null {
  for (const [i, want] of source.audio.entries()) {
    const got = output.audio[i]?.channel_layout;
    const expected = encoderLayout(want);
    if (got && expected && got !== expected) {
      return `audio stream ${i + 1}: expected channel layout ${expected}, got ${got}`;
    }
  }
  return null;
}

/** Per proxy audio stream, what became of the source's channel layout (result field `channel_layouts`). */
export type LayoutOutcome = "kept" | "not_carried" | "source_unlabelled" | "changed";

export function channelLayouts(
  source: { audio: AudioStreamFacts[] },
  output: { audio: AudioStreamFacts[] },
): LayoutOutcome[] {
  return output.audio.map((got, i) => {
    const want = source.audio[i]?.channel_layout;
    if (!want) return "source_unlabelled";
    if (!got.channel_layout) return "not_carried";
    return got.channel_layout === want ? "kept" : "changed";
  });
}

/** Where the proxy's timecode came from (result field `timecode_origin`). */
export type TimecodeOrigin = "source" | "container_default" | "none";

/**
 * `source`: the proxy carries the timecode proxx wrote from the source (outputTimecode,
 * which is the source's label at the output rate). `container_default`: the proxy carries a
 * timecode the source does not have, because its muxer always writes one (MXF: 00:00:00:00).
 * `none`: the proxy carries no timecode.
 */
export function timecodeOrigin(written: string | null, output: { timecode: string | null }): TimecodeOrigin {
  if (!output.timecode) return "none";
  return written !== null && output.timecode === written ? "source" : "container_default";
}
