/**
 * What a clip result says about where the proxy's timecode and channel layouts came from
 * (`timecode_origin`, `channel_layouts`), so nothing a container forced or dropped passes
 * for the source's. Rules in src/ffmpeg/audio-layouts.ts.
 */
import { outputTimecode } from "../ffmpeg/args.ts";
import { channelLayouts, timecodeOrigin } from "../ffmpeg/audio-layouts.ts";
import type { Container } from "../ffmpeg/codecs.ts";
import type { ClipResult, MediaFacts } from "./result.ts";

/** Both null until the proxy was probed (a clip that failed before or during encoding). */
export function proxyOrigins(
  plan: { container: Container; fps: number | null },
  source: MediaFacts | null,
  output: MediaFacts | null,
): Pick<ClipResult, "timecode_origin" | "channel_layouts"> {
  if (!source || !output) return { timecode_origin: null, channel_layouts: null };
  return {
    timecode_origin: timecodeOrigin(outputTimecode(plan, source), output),
    channel_layouts: channelLayouts(source, output),
  };
}
