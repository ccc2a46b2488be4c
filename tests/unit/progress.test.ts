import { describe, expect, test } from "bun:test";
import { ProgressParser } from "../../src/ffmpeg/progress.ts";

describe("ProgressParser", () => {
  test("parses blocks split across chunks", () => {
    const p = new ProgressParser();
    expect(p.push("frame=12\nfps=24.5\nout_time_us=480000\nspe")).toEqual([]);
    const out = p.push("ed=1.5x\nprogress=continue\nframe=25\nout_time_us=1000000\nspeed=N/A\nfps=N/A\nprogress=end\n");
    expect(out).toEqual([
      { frame: 12, out_time_seconds: 0.48, fps: 24.5, speed: 1.5, end: false },
      { frame: 25, out_time_seconds: 1, fps: null, speed: null, end: true },
    ]);
  });

  test("tolerates garbage, CRLF, and negative or missing times", () => {
    const p = new ProgressParser();
    const out = p.push(
      "garbage line\r\n=novalue\r\nframe=abc\r\nout_time_us=-5000\r\nprogress=continue\r\nout_time=00:01:02.500000\r\nprogress=continue\r\n",
    );
    expect(out).toEqual([
      { frame: 0, out_time_seconds: 0, fps: null, speed: null, end: false },
      { frame: 0, out_time_seconds: 62.5, fps: null, speed: null, end: false },
    ]);
  });

  test("flushes an unterminated final line", () => {
    const p = new ProgressParser();
    p.push("frame=3\nprogress=end");
    expect(p.end()).toEqual([{ frame: 3, out_time_seconds: 0, fps: null, speed: null, end: true }]);
  });

  test("a huge line without newline is dropped, not kept", () => {
    const p = new ProgressParser();
    p.push("x".repeat(100_000));
    expect(p.push("\nframe=1\nprogress=continue\n")).toEqual([{
      frame: 1,
      out_time_seconds: 0,
      fps: null,
      speed: null,
      end: false,
    }]);
  });
});
