/**
 * What a clip result says about where the proxy's timecode, reel name and channel layouts
 * came from (`timecode_origin`, `reel_origin`, `channel_layouts`), so nothing a container
 * forced or dropped passes for the source's. Rules in src/ffmpeg/audio-layouts.ts.
 */
import { convertTimecode } from "../ffmpeg/timecode.ts";
import { frameRateValue } from "../ffmpeg/syntax.ts";
import { channelLayouts, timecodeOrigin } from "../ffmpeg/audio-layouts.ts";
import type { Container } from "../ffmpeg/codecs.ts";
import type { ClipResult, MediaFacts } from "./result.ts";

/** Both null until the proxy was probed (a clip that failed before or during encoding). */
export function proxyOrigins(
  plan: { container: Container; fps: number | null },
  source: MediaFacts | null,
  output: MediaFacts | null,
): Pick<ClipResult, "timecode_origin" | "reel_origin" | "channel_layouts"> {
  if (!source || !output) return { timecode_origin: null, reel_origin: null, channel_layouts: null };
  return {
    // The source's timecode at the proxy's rate, whether proxx wrote it (mov, mxf) or the muxer
    // kept it from the source's tags (mp4): either way it is the source's.
    timecode_origin: timecodeOrigin(
      source.timecode ? convertTimecode(source.timecode, frameRateValue(source.video?.frame_rate), plan.fps) : null,
      output,
    ),
    reel_origin: reelOrigin(source, output),
    channel_layouts: channelLayouts(source, output),
  };
}

/** `reel_origin`: the source's reel name kept, dropped by the container, changed, or none to keep. */
export function reelOrigin(
  source: Pick<MediaFacts, "reel_name">,
  output: Pick<MediaFacts, "reel_name">,
): NonNullable<ClipResult["reel_origin"]> {
  if (!source.reel_name) return "none";
  if (!output.reel_name) return "not_carried";
  return output.reel_name === source.reel_name ? "source" : "changed";
}
