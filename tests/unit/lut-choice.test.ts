/** Which LUT a clip gets (src/looks/lut.ts): the source's own, the first matching rule, the job's. Pure. */
import { describe, expect, test } from "bun:test";
import { chooseLut, type ClipFacts, type LookPlan, lutKind, ruleMatches } from "../../src/looks/lut.ts";
import { parseProbeJson } from "../../src/ffmpeg/probe.ts";

const facts = (f: Partial<ClipFacts> = {}): ClipFacts => ({
  source_path: "/card/A001_C001_0101AB.MXF",
  color_transfer: null,
  camera_make: null,
  camera_model: null,
  reel_name: null,
  ...f,
});
const ref = (label: string) => ({ label, builtin: null, path: `/j/${label}` });

describe("lut_rules matching", () => {
  test("every condition given must hold; case is ignored; * and ? in camera names", () => {
    const sony = facts({ camera_make: "Sony", camera_model: "ILME-FX6V", color_transfer: "arib-std-b67" });
    expect(ruleMatches({ camera_make: "sony" }, sony)).toBe(true);
    expect(ruleMatches({ camera_model: "ILME-FX6*" }, sony)).toBe(true);
    expect(ruleMatches({ camera_model: "ILME-FX?" }, sony)).toBe(false);
    expect(ruleMatches({ camera_make: "Sony", color_transfer: "ARIB-STD-B67" }, sony)).toBe(true);
    expect(ruleMatches({ camera_make: "Sony", color_transfer: "smpte2084" }, sony)).toBe(false);
    expect(ruleMatches({ camera_make: "So" }, sony)).toBe(false); // not a prefix match
    expect(ruleMatches({ camera_make: "Sony" }, facts())).toBe(false); // no tag: no match
  });
  test("reel prefix and file-name glob", () => {
    expect(ruleMatches({ reel_prefix: "a0" }, facts({ reel_name: "A001" }))).toBe(true);
    expect(ruleMatches({ reel_prefix: "B" }, facts({ reel_name: "A001" }))).toBe(false);
    expect(ruleMatches({ file_name: "a*_c*.mxf" }, facts())).toBe(true);
    expect(ruleMatches({ file_name: "*.{mov,mp4}" }, facts())).toBe(false);
    expect(ruleMatches({ file_name: "*.{mov,mxf}" }, facts())).toBe(true);
  });
  test("a regex-looking camera name is literal", () => {
    expect(ruleMatches({ camera_model: "C300 (Mk II)" }, facts({ camera_model: "c300 (mk ii)" }))).toBe(true);
    expect(ruleMatches({ camera_model: "C.00" }, facts({ camera_model: "C300" }))).toBe(false);
  });
});

describe("the order: the source's own, then the first matching rule, then the job's", () => {
  const plan: LookPlan = {
    lut: ref("job.cube"),
    rules: [
      { match: { camera_make: "ARRI" }, lut: ref("arri.cube") },
      { match: { file_name: "A*" }, lut: null },
      { match: { file_name: "A001*" }, lut: ref("never.cube") },
    ],
    apply: true,
  };
  test.each(
    [
      ["the source's own wins", ref("own.cube"), facts({ camera_make: "ARRI" }), "own.cube", "the source's lut"],
      ["the source's null means none", null, facts({ camera_make: "ARRI" }), null, "the source's lut"],
      ["the first matching rule", undefined, facts({ camera_make: "arri" }), "arri.cube", "lut_rules[0]"],
      ["a rule's null means none, and later rules are not looked at", undefined, facts(), null, "lut_rules[1]"],
      ["no rule matches: the job's", undefined, facts({ source_path: "/card/B001.mov" }), "job.cube", "lut"],
    ] as const,
  )("%s", (_, own, f, label, from) => {
    const chosen = chooseLut(plan, own as never, f);
    expect(chosen.lut?.label ?? null).toBe(label);
    expect(chosen.from).toBe(from);
  });
});

test("a value is a built-in name or a .cube path, else the built-ins are listed", () => {
  expect(lutKind("arri_logc3_awg_to_rec709")).toEqual({ builtin: "arri_logc3_awg_to_rec709" });
  expect(lutKind("looks/Show.CUBE")).toEqual({ file: "looks/Show.CUBE" });
  expect((lutKind("sony_slog3") as { problem: string }).problem).toMatch(
    /built-ins: sony_slog3_sgamut3_to_rec709, sony_slog3_sgamut3cine_to_rec709$/,
  );
});

test("the probe reads camera make and model from QuickTime and MXF tags", () => {
  const mov = parseProbeJson({
    format: { tags: { "com.apple.quicktime.make": "Apple", "com.apple.quicktime.model": "iPhone 15 Pro" } },
    streams: [],
  });
  expect([mov.camera_make, mov.camera_model]).toEqual(["Apple", "iPhone 15 Pro"]);
  const mxf = parseProbeJson({
    format: { tags: { company_name: "ARRI", product_name: "ALEXA Mini LF" } },
    streams: [],
  });
  expect([mxf.camera_make, mxf.camera_model]).toEqual(["ARRI", "ALEXA Mini LF"]);
});
