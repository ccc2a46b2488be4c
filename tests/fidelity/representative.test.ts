/**
 * The CI share of the full matrix (scripts/fidelity.ts, docs/fidelity.md): a few source
 * kinds of the catalogue through one pair per audio encoder (PCM in MOV and MXF, AAC, Opus),
 * judged by the same code as the full run. Every cell conforms or is refused before FFmpeg
 * runs; none is WRONG or failed.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SOURCE_KINDS } from "./catalogue.ts";
import { makeSource } from "./sources.ts";
import { judge, type Pair, pairName } from "./judge.ts";

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "proxx-fidelity-subset-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const PAIRS: Pair[] = [
  { codec: "prores_proxy", container: "mov" },
  { codec: "h264", container: "mp4" },
  { codec: "vp9", container: "webm" },
  { codec: "dnxhr", container: "mxf" },
];

const EXPECTED: Record<string, Record<string, string>> = {
  // Opus has no 5.1(side): refused; AAC takes it (MP4 then records no layout).
  stereo_51side_441: { "prores_proxy/mov": "ok", "h264/mp4": "ok", "vp9/webm": "refused", "dnxhr/mxf": "ok" },
  mxf_tc: { "prores_proxy/mov": "ok", "h264/mp4": "ok", "vp9/webm": "ok", "dnxhr/mxf": "ok" },
};

for (const [name, want] of Object.entries(EXPECTED)) {
  test(`${name} through PCM, AAC, Opus and MXF pairs: conforms or refused, never wrong`, async () => {
    const kind = SOURCE_KINDS.find((k) => k.kind === name)!;
    const source = makeSource(dir, { name, ...kind.spec });
    const got: Record<string, string> = {};
    for (const pair of PAIRS) {
      const cell = await judge(dir, source, pair);
      got[pairName(pair)] = cell.verdict === "conforms"
        ? "ok"
        : cell.verdict === "refused"
        ? "refused"
        : `${cell.verdict}: ${cell.reason}`;
    }
    expect(got).toEqual(want);
  }, 60_000);
}
