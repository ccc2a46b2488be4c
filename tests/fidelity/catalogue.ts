/**
 * Every source kind of the fidelity matrix, one line each: what `scripts/fidelity.ts` runs
 * through every codec/container pair (docs/fidelity.md), and what the CI subset
 * (representative.test.ts) picks from. A kind is a SourceSpec (sources.ts) without its name;
 * a new property of sources.ts gets its kind here. 320x180 by default, so DNxHR (at least
 * 256x120) takes it at `same`, and 1 s, so the full matrix stays minutes long.
 */
import type { SourceSpec } from "./sources.ts";

export interface SourceKind {
  kind: string;
  /** What it stands for, in the report. */
  what: string;
  spec: Omit<SourceSpec, "name">;
}

const base = { size: "320x180", seconds: 1 } as const;

export const SOURCE_KINDS: readonly SourceKind[] = [
  { kind: "plain_25", what: "25 fps, stereo, no timecode (MOV)", spec: { ...base } },
  {
    kind: "ntsc_2997_df",
    what: "29.97 fps, drop-frame timecode",
    spec: { ...base, fps: "30000/1001", timecode: "01:00:00;00" },
  },
  { kind: "ntsc_23976", what: "23.976 fps, timecode", spec: { ...base, fps: "24000/1001", timecode: "10:00:00:00" } },
  { kind: "r50", what: "50 fps", spec: { ...base, fps: "50" } },
  { kind: "r5994", what: "59.94 fps", spec: { ...base, fps: "60000/1001" } },
  { kind: "hd720", what: "1280x720 25 fps (a DNxHD size)", spec: { ...base, size: "1280x720" } },
  { kind: "odd_size", what: "321x181", spec: { ...base, size: "321x181" } },
  { kind: "anamorphic", what: "480x360 SAR 4:3 (16:9 displayed)", spec: { ...base, size: "480x360", sar: "4/3" } },
  { kind: "pal_sd_sar", what: "360x288 SAR 64:45", spec: { ...base, size: "360x288", sar: "64/45" } },
  {
    kind: "start10_mp4",
    what: "MP4 whose first frame is at 10 s",
    spec: { ...base, container: "mp4", startSeconds: 10 },
  },
  { kind: "mkv_ffmpeg", what: "MKV as FFmpeg writes it (audio before video)", spec: { ...base, container: "mkv" } },
  { kind: "mpegts", what: "MPEG-TS", spec: { ...base, container: "ts" } },
  { kind: "mxf_tc", what: "MXF with timecode", spec: { ...base, container: "mxf", timecode: "09:59:50:00" } },
  {
    kind: "reel_mov",
    what: "MOV with timecode and reel name",
    spec: { ...base, timecode: "01:00:00:00", reel: "A001C003" },
  },
  {
    kind: "reel_mkv_no_tc",
    what: "MKV with a reel name and no timecode",
    spec: { ...base, container: "mkv", reel: "B002" },
  },
  { kind: "no_audio", what: "no audio", spec: { ...base, audio: [] } },
  { kind: "mono8", what: "8 mono streams (MKV)", spec: { ...base, container: "mkv", audio: [1, 1, 1, 1, 1, 1, 1, 1] } },
  {
    kind: "stereo_51side_441",
    what: "stereo + 5.1(side), 44.1 kHz",
    spec: { ...base, audio: ["stereo", "5.1(side)"], sampleRate: 44100 },
  },
  { kind: "layout_21", what: "one 2.1 stream", spec: { ...base, audio: ["2.1"] } },
  { kind: "layout_40", what: "one 4.0 stream", spec: { ...base, audio: ["4.0"] } },
  { kind: "ch12_unlabelled", what: "12 channels, no layout", spec: { ...base, audio: [{ unlabelled: 12 }] } },
  { kind: "ch16", what: "16 channels (hexadecagonal)", spec: { ...base, audio: [16] } },
  { kind: "rotated_90", what: "a phone clip turned 90° (display matrix)", spec: { ...base, rotation: 90 } },
  { kind: "vfr_steps", what: "variable rate: 1 s at 30 fps, then 1 s at 24 fps", spec: { ...base, vfr: "steps" } },
  // A rate change after the header probe's first packets: found by the whole-file scan.
  ...(["mkv", "webm", "ts"] as const).flatMap((container) =>
    [3, 20].map((at): SourceKind => ({
      kind: `vfr_at${at}_${container}`,
      what: `${container === "ts" ? "MPEG-TS" : container === "mkv" ? "MKV" : "WebM"}: 30 fps, 24 fps from ${at} s`,
      spec: { ...base, container, vfr: "steps", stepSeconds: at },
    }))
  ),
  {
    kind: "video_late",
    what: "picture 1 s after the audio (MP4)",
    spec: { ...base, container: "mp4", videoDelaySeconds: 1 },
  },
  { kind: "audio_late", what: "audio 1 s after the picture", spec: { ...base, audioDelaySeconds: 1 } },
];
