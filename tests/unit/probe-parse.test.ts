import { describe, expect, test } from "bun:test";
import { frameRateValue, needsPacketScan, parsePacketScan, parseProbeJson } from "../../src/ffmpeg/probe.ts";
import { MediaFacts } from "../../src/engine/result.ts";

const mov = {
  streams: [
    {
      codec_type: "video",
      codec_name: "h264",
      profile: "High",
      width: 1920,
      height: 1080,
      pix_fmt: "yuv420p",
      avg_frame_rate: "25/1",
      r_frame_rate: "25/1",
      nb_frames: "250",
      tags: { timecode: "00:00:00:00" },
    },
    { codec_type: "audio", codec_name: "pcm_s16le", channels: 2, sample_rate: "48000" },
    { codec_type: "audio", codec_name: "pcm_s16le", channels: 1, sample_rate: "48000" },
    { codec_type: "data", codec_tag_string: "tmcd", tags: { timecode: "01:00:00:00", reel_name: "A001" } },
  ],
  format: { format_name: "mov,mp4,m4a,3gp,3g2,mj2", duration: "10.000000", tags: { timecode: "02:00:00:00" } },
};

describe("parseProbeJson", () => {
  test("first video, all audio, tmcd timecode wins", () => {
    const facts = parseProbeJson(mov);
    expect(MediaFacts.parse(facts)).toEqual(facts);
    expect(facts).toEqual({
      format_name: "mov,mp4,m4a,3gp,3g2,mj2",
      duration_seconds: 10,
      video: {
        codec_name: "h264",
        profile: "High",
        width: 1920,
        height: 1080,
        pix_fmt: "yuv420p",
        frame_rate: "25/1",
        nb_frames: 250,
        sample_aspect_ratio: null,
        rotation: 0,
        // No start times or packets in this JSON: unknown, constant rate.
        start_seconds: null,
        duration_seconds: null,
        variable_frame_rate: false,
      },
      audio: [
        {
          codec_name: "pcm_s16le",
          channels: 2,
          sample_rate: 48000,
          channel_layout: null,
          start_seconds: null,
          duration_seconds: null,
        },
        {
          codec_name: "pcm_s16le",
          channels: 1,
          sample_rate: 48000,
          channel_layout: null,
          start_seconds: null,
          duration_seconds: null,
        },
      ],
      timecode: "01:00:00:00",
      reel_name: "A001",
      camera_make: null,
      camera_model: null,
    });
  });

  test("pixel aspect and display rotation (a phone clip's display matrix, or the rotate tag)", () => {
    const video = (v: object) =>
      parseProbeJson({ streams: [{ codec_type: "video", width: 2, height: 2, ...v }] }).video!;
    expect(video({ sample_aspect_ratio: "4:3" }).sample_aspect_ratio).toBe("4:3");
    for (const sar of ["1:1", "0:1", "N/A", undefined]) {
      expect(video({ sample_aspect_ratio: sar }).sample_aspect_ratio).toBeNull();
    }
    const matrix = (rotation: number) => ({ side_data_list: [{ side_data_type: "Display Matrix", rotation }] });
    expect([90, -90, -180, 180, 0].map((r) => video(matrix(r)).rotation)).toEqual([90, 270, 180, 180, 0]);
    expect(video({ tags: { rotate: "270" } }).rotation).toBe(270);
    expect(video({}).rotation).toBe(0);
  });

  test("format-level timecode (MXF), then video stream tag", () => {
    expect(parseProbeJson({ streams: [], format: { tags: { timecode: "10:00:00:00" } } }).timecode).toBe("10:00:00:00");
    expect(
      parseProbeJson({ streams: [{ codec_type: "video", width: 2, height: 2, tags: { timecode: "00:00:01;02" } }] })
        .timecode,
    ).toBe("00:00:01;02");
  });

  test("skips cover art, tolerates junk and N/A", () => {
    const facts = parseProbeJson({
      streams: [
        { codec_type: "video", codec_name: "mjpeg", width: 600, height: 600, disposition: { attached_pic: 1 } },
        {
          codec_type: "video",
          codec_name: "vp9",
          width: 640,
          height: 360,
          avg_frame_rate: "0/0",
          r_frame_rate: "30000/1001",
          nb_frames: "N/A",
        },
      ],
      format: { duration: "N/A" },
    });
    expect(facts.video).toMatchObject({ codec_name: "vp9", frame_rate: "30000/1001", nb_frames: null });
    expect(facts.duration_seconds).toBeNull();
    expect(parseProbeJson(null)).toEqual({
      format_name: null,
      duration_seconds: null,
      video: null,
      audio: [],
      timecode: null,
      reel_name: null,
      camera_make: null,
      camera_model: null,
    });
  });

  describe("the whole-file packet scan (Matroska, WebM, MPEG-TS)", () => {
    // 30 fps in milliseconds: the first 120 packets (4 s, no audio here) are evenly spaced.
    const mkv = (rate = "30/1") => ({
      streams: [{
        index: 0,
        codec_type: "video",
        codec_name: "h264",
        width: 160,
        height: 90,
        time_base: "1/1000",
        r_frame_rate: rate,
        avg_frame_rate: rate,
      }],
      format: { format_name: "matroska,webm", duration: "21.000", start_time: "0.000" },
      packets: Array.from({ length: 120 }, (_, i) => ({ stream_index: 0, pts: Math.round((i * 1000) / 30) })),
    });
    const at30 = (n: number) => Array.from({ length: n }, (_, i) => Math.round((i * 1000) / 30));

    test("a rate change at 20 s, after the listed packets: variable, and the frames counted", () => {
      expect(parseProbeJson(mkv()).video).toMatchObject({ variable_frame_rate: false, nb_frames: null });
      const scan = [...at30(600), ...Array.from({ length: 24 }, (_, i) => 20000 + Math.round((i * 1000) / 24))];
      expect(parseProbeJson(mkv(), scan.reverse()).video).toMatchObject({ variable_frame_rate: true, nb_frames: 624 });
    });

    test("constant rate within the container's rounding (29.97 fps in ms alternates 33 and 34): counted", () => {
      const scan = Array.from({ length: 900 }, (_, i) => Math.round((i * 1001) / 30));
      expect(parseProbeJson(mkv("30000/1001"), scan).video).toMatchObject({
        variable_frame_rate: false,
        nb_frames: 900,
      });
    });

    test("packets half a frame apart (fields listed one by one): no frame count claimed", () => {
      const scan = Array.from({ length: 100 }, (_, i) => Math.round((i * 1000) / 60));
      expect(parseProbeJson(mkv(), scan).video).toMatchObject({ variable_frame_rate: false, nb_frames: null });
    });

    test("which containers are scanned, and how the scan's lines are read", () => {
      expect(needsPacketScan({ format: { format_name: "matroska,webm" } })).toBe(true);
      expect(needsPacketScan({ format: { format_name: "mpegts" } })).toBe(true);
      expect(needsPacketScan({ format: { format_name: "mov,mp4,m4a,3gp,3g2,mj2" } })).toBe(false);
      expect(needsPacketScan({ format: { format_name: "mxf" } })).toBe(false);
      // A MOV with an edit list: frames flagged D among the listed packets, or a count that
      // does not fill the duration (100 frames at 25 fps in 2.8 s).
      const video = { index: 0, codec_type: "video", avg_frame_rate: "25/1", nb_frames: "100", duration: "4.000" };
      const mov = (v: object, packets: object[] = []) => ({
        format: { format_name: "mov,mp4,m4a,3gp,3g2,mj2" },
        streams: [{ ...video, ...v }],
        packets,
      });
      expect(needsPacketScan(mov({}, [{ stream_index: 0, pts: 0, flags: "K_" }]))).toBe(false);
      expect(needsPacketScan(mov({}, [{ stream_index: 0, pts: -1200, flags: "KD" }]))).toBe(true);
      expect(needsPacketScan(mov({ duration: "2.800" }))).toBe(true);
      // Blank lines between packets, N/A for a packet without a time, D for one the demuxer discards.
      expect(parsePacketScan("126902|K_|\n\n129902|__|\n\nN/A|__|\n\n100|KD|\n")).toEqual([126902, 129902]);
    });
  });

  test("frameRateValue", () => {
    expect(frameRateValue("30000/1001")).toBeCloseTo(29.97, 2);
    expect(frameRateValue("0/0")).toBeNull();
    expect(frameRateValue(null)).toBeNull();
  });
});
