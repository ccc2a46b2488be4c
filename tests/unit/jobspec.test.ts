/** The JobSpec contract: what is accepted, what is refused, and how each refusal reads. */
import { describe, expect, test } from "bun:test";
import { checkJobSpecBytes, defaultJobId } from "../../src/jobspec/load.ts";
import type { Platform } from "../../src/platform/types.ts";
import { FakePlatform } from "../helpers/fake-platform.ts";
import { deepestCommonFolder, placementProblems } from "../../src/jobspec/placement.ts";

/** Only what validation touches: stat of sources and the output folder. */
function disk(files: string[], dirs: string[]): Platform {
  return {
    cwd: () => "/jobs",
    stat: (p: string) =>
      Promise.resolve(
        files.includes(p)
          ? { size: 1, mtimeMs: 0, isFile: true, isDirectory: false, isSymlink: false }
          : dirs.includes(p)
          ? { size: 0, mtimeMs: 0, isFile: false, isDirectory: true, isSymlink: false }
          : null,
      ),
  } as unknown as Platform;
}

const platform = disk(["/jobs/input/clip_a.mov", "/jobs/input/clip_b.mov", "/jobs/input/clip_c.mov"], ["/jobs/output"]);

const seedExample = {
  job_id: "test001",
  sources: ["input/clip_a.mov", "input/clip_b.mov", "input/clip_c.mov"],
  output_directory: "output",
  codec: "prores_proxy",
  container: "mov",
  resolution: "half",
  naming_template: "{source_name}_proxy_{index}",
  fps_mode: "same-as-source",
  created_at: "2025-12-28T12:00:00Z",
};

async function check(spec: unknown, p = platform) {
  const bytes = new TextEncoder().encode(typeof spec === "string" ? spec : JSON.stringify(spec));
  return await checkJobSpecBytes(p, bytes, "/jobs/job.json", { startedAtMs: Date.UTC(2025, 0, 2, 3, 4, 5) });
}

async function errors(spec: unknown, p = platform): Promise<string[]> {
  const outcome = await check(spec, p);
  if (outcome.ok) throw new Error("expected the JobSpec to be refused");
  return outcome.issues.map((i) => `${i.path}: ${i.message}`);
}

describe("accepted", () => {
  test("the seed's example JobSpec, as written, gives the three expected outputs", async () => {
    const outcome = await check(seedExample);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.job.clips.map((c) => c.output_path)).toEqual([
      "/jobs/output/clip_a_proxy_000.mov",
      "/jobs/output/clip_b_proxy_001.mov",
      "/jobs/output/clip_c_proxy_002.mov",
    ]);
    expect(outcome.job.codec).toBe("prores_proxy");
    expect(outcome.job.resolution).toBe("half");
    expect(outcome.job.fps).toBeNull();
  });

  test("jobspec_version '2.1' is accepted; container is case-insensitive with a leading dot", async () => {
    const outcome = await check({ ...seedExample, jobspec_version: "2.1", container: ".MOV" });
    expect(outcome.ok && outcome.job.container).toBe("mov");
  });

  test("job_id defaults to the first 8 hex digits of the SHA-256 of the bytes", async () => {
    const { job_id: _, ...rest } = seedExample;
    const text = JSON.stringify(rest);
    const outcome = await check(text);
    expect(outcome.ok && outcome.job.job_id).toBe(await defaultJobId(new TextEncoder().encode(text)));
    expect(await defaultJobId(new TextEncoder().encode(text))).toMatch(/^[0-9a-f]{8}$/);
  });

  test("an FFmpeg proxy_profile fills codec, container and resolution", async () => {
    const { codec: _c, container: _k, resolution: _r, ...rest } = seedExample;
    const outcome = await check({ ...rest, proxy_profile: "proxy_h264_quarter" });
    expect(outcome.ok).toBe(true);
    if (outcome.ok) {
      expect([outcome.job.codec, outcome.job.container, outcome.job.resolution]).toEqual(["h264", "mp4", "quarter"]);
    }
  });

  test("explicit fps, WxH resolution and documented no-op fields", async () => {
    const outcome = await check({
      ...seedExample,
      fps_mode: "explicit",
      fps_explicit: 25,
      resolution: "1280x720",
      resolved_tokens: null,
      execution_requested: true,
      lut_id: null,
      lut_applied: false,
    });
    expect(outcome.ok).toBe(true);
    if (outcome.ok) expect([outcome.job.fps, outcome.job.resolution]).toEqual([25, { width: 1280, height: 720 }]);
  });

  test("a BOM before the JSON is tolerated", async () => {
    expect((await check(`\ufeff${JSON.stringify(seedExample)}`)).ok).toBe(true);
  });
});

describe("refused, with the field named", () => {
  const cases: [string, unknown, string][] = [
    [
      "jobspec_version as a number",
      { ...seedExample, jobspec_version: 2.1 },
      'jobspec_version: must be the string "2.1"',
    ],
    [
      "another jobspec_version",
      { ...seedExample, jobspec_version: "2.0" },
      'jobspec_version: must be the string "2.1"',
    ],
    [
      "unknown keys, sorted, with known keys",
      { ...seedExample, zeta: 1, alpha: 2 },
      "(root): unknown field(s): 'alpha', 'zeta'; known fields: $schema, burn_in, codec",
    ],
    ["a near-miss key gets a hint", { ...seedExample, sorces: [] }, "'sorces' (did you mean 'sources'?)"],
    [
      "missing required keys, sorted",
      { codec: "h264" },
      "(root): missing required field(s): naming_template, output_directory, sources",
    ],
    ["empty sources", { ...seedExample, sources: [] }, "sources: must list at least one source clip"],
    [
      "a number in sources",
      { ...seedExample, sources: ["input/clip_a.mov", 3] },
      'sources[1]: must be a path or an object like {"path": "A001.mov", "lut": "look.cube"}, got number 3',
    ],
    [
      "unknown codec with a suggestion",
      { ...seedExample, codec: "prores" },
      'codec: "prores" is not one of prores_proxy',
    ],
    [
      "unknown container",
      { ...seedExample, container: "avi" },
      'container: "avi" is not one of mov, mp4, mkv, webm, mxf',
    ],
    [
      "bad resolution",
      { ...seedExample, resolution: "hlf" },
      "resolution: must be 'same', 'half', 'quarter' or WIDTHxHEIGHT",
    ],
    [
      "prores in mp4",
      { ...seedExample, container: "mp4" },
      "container: 'mp4' cannot carry prores_proxy; use one of: mov",
    ],
    ["dnxhd in mov", { ...seedExample, codec: "dnxhd" }, "DNxHD in MOV is non-standard"],
    ["vp9 in mov", { ...seedExample, codec: "vp9" }, "container: 'mov' cannot carry vp9; use one of: webm, mkv"],
    [
      "explicit fps without a value",
      { ...seedExample, fps_mode: "explicit" },
      "fps_explicit: is required when fps_mode is 'explicit'",
    ],
    [
      "fps_explicit without explicit mode",
      { ...seedExample, fps_explicit: 25 },
      "fps_explicit: is only used with fps_mode 'explicit'",
    ],
    ["negative fps", { ...seedExample, fps_mode: "explicit", fps_explicit: -1 }, "fps_explicit:"],
    [
      "unknown fps_mode",
      { ...seedExample, fps_mode: "variable" },
      'fps_mode: "variable" is not one of same-as-source, explicit',
    ],
    ["created_at not ISO", { ...seedExample, created_at: "yesterday" }, "created_at: must be an ISO-8601 date-time"],
    ["job_id with a slash", { ...seedExample, job_id: "../x" }, "job_id: must be 1-64 characters"],
    ["unknown token", { ...seedExample, naming_template: "{name}_{index}" }, "naming_template: unknown token {name}"],
    [
      "multi-clip template without index or name",
      { ...seedExample, naming_template: "{job_id}" },
      "naming_template: must contain {index} or {source_name}",
    ],
    [
      "template with a path separator",
      { ...seedExample, naming_template: "../{source_name}" },
      "naming_template: must not contain '/'",
    ],
    [
      "Resolve profile",
      { ...seedExample, proxy_profile: "proxy_prores_proxy_resolve" },
      "proxy_profile: 'proxy_prores_proxy_resolve' needs DaVinci Resolve",
    ],
    [
      "unknown profile",
      { ...seedExample, proxy_profile: "proxy_h264_lo" },
      "proxy_profile: 'proxy_h264_lo' is not a known profile",
    ],
    [
      "profile disagrees with codec",
      { ...seedExample, proxy_profile: "proxy_h264_low" },
      "codec: 'prores_proxy' contradicts proxy_profile 'proxy_h264_low'",
    ],
    ["resolve_preset", { ...seedExample, resolve_preset: "Proxy" }, "resolve_preset: needs DaVinci Resolve"],
    [
      "a LUT that is neither a file nor a built-in",
      { ...seedExample, lut_id: "rec709" },
      "lut_id: 'rec709' is neither a .cube file nor a built-in LUT",
    ],
    [
      "a LUT engine proxx does not have",
      { ...seedExample, lut_engine: "resolve" },
      "lut_engine: 'resolve' is not a LUT engine proxx has: use \"ffmpeg\" or null",
    ],
    ["lut_applied without a LUT", { ...seedExample, lut_applied: true }, "lut_applied: is true, but no LUT is given"],
    [
      "lut and lut_id disagree",
      { ...seedExample, lut: "a.cube", lut_id: "b.cube" },
      "lut_id: 'b.cube' contradicts lut 'a.cube'",
    ],
    [
      "a source object with an unknown key",
      { ...seedExample, sources: [{ path: "input/clip_a.mov", lux: "a.cube" }] },
      "sources[0]: unknown key(s): 'lux'",
    ],
    [
      "a rule matching nothing",
      { ...seedExample, lut_rules: [{ match: {}, lut: null }] },
      "lut_rules[0].match: must give at least one of",
    ],
    [
      "camera RAW source",
      { ...seedExample, sources: ["input/a.R3D"], naming_template: "{source_name}" },
      "sources[0]: .r3d is camera RAW and needs DaVinci Resolve",
    ],
    [
      "image sequence",
      { ...seedExample, sources: ["input/frame_%04d.dpx"], naming_template: "x" },
      "sources[0]: image sequences are not supported",
    ],
    ["a JSON array", "[1,2]", "(root): must be a JSON object with the JobSpec fields, got an array"],
    ["empty file", "", "(file): is empty"],
    ["bad JSON", '{"sources": [', "(file): is not valid JSON"],
  ];
  for (const [name, spec, expected] of cases) {
    test(name, async () => {
      const found = await errors(spec);
      expect(found.some((e) => e.includes(expected))).toBe(true);
    });
  }

  test("invalid UTF-8 is refused", async () => {
    const outcome = await checkJobSpecBytes(platform, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), "/jobs/j.json", {
      startedAtMs: 0,
    });
    expect(!outcome.ok && outcome.issues[0]!.message).toContain("not valid UTF-8");
  });

  test("every problem is reported at once, schema and rules together", async () => {
    const found = await errors({
      sources: ["a.mov", 3],
      codec: "prores",
      naming_template: "{nam}",
      fps_mode: "explicit",
      extra: 1,
    });
    expect(found.length).toBeGreaterThanOrEqual(5);
    expect(found.some((e) => e.startsWith("naming_template: unknown token {nam}"))).toBe(true);
    expect(found.some((e) => e.startsWith("fps_explicit: is required"))).toBe(true);
    expect(found.some((e) => e.startsWith("(root): missing required field(s): output_directory"))).toBe(true);
  });
});

describe("paths and names", () => {
  test("missing paths are reported in the same run as schema and rule errors", async () => {
    const schemaError = await errors({
      ...seedExample,
      codec: "prores",
      sources: ["input/clip_a.mov", "nope.mov", 7],
      output_directory: "missing",
    });
    expect(schemaError).toContain("sources[1]: file does not exist: /jobs/nope.mov");
    expect(schemaError).toContain("output_directory: directory does not exist: /jobs/missing (create it first)");
    expect(schemaError.some((e) => e.startsWith("codec:"))).toBe(true);
    expect(schemaError.filter((e) => e.startsWith("sources[2]")).length).toBe(1); // the number: a type error only
    const ruleError = await errors({ ...seedExample, container: "mp4", sources: ["nope.mov"] });
    expect(ruleError).toEqual([
      "container: 'mp4' cannot carry prores_proxy; use one of: mov.",
      "sources[0]: file does not exist: /jobs/nope.mov",
    ]);
  });

  test("every missing source and a missing output folder are listed together", async () => {
    const found = await errors({
      ...seedExample,
      sources: ["nope1.mov", "input/clip_a.mov", "nope2.mov"],
      output_directory: "missing",
    });
    expect(found).toEqual([
      "sources[0]: file does not exist: /jobs/nope1.mov",
      "sources[2]: file does not exist: /jobs/nope2.mov",
      "output_directory: directory does not exist: /jobs/missing (create it first)",
    ]);
  });

  test("a folder given as a source, a file given as the output directory", async () => {
    const found = await errors({
      ...seedExample,
      sources: ["output"],
      output_directory: "input/clip_a.mov",
      naming_template: "x",
    });
    expect(found).toContain("sources[0]: is not a file: /jobs/output");
    expect(found).toContain("output_directory: is not a directory: /jobs/input/clip_a.mov");
  });

  test("two clips resolving to the same output (ignoring case) are caught before anything runs", async () => {
    const p = disk(["/jobs/a/Clip.mov", "/jobs/b/clip.mov"], ["/jobs/output"]);
    const found = await errors({
      ...seedExample,
      sources: ["a/Clip.mov", "b/clip.mov"],
      naming_template: "{source_name}_proxy",
    }, p);
    expect(found[0]).toContain("sources[1]: output name 'clip_proxy.mov' collides with the output of sources[0]");
  });

  test("an output that would overwrite its own source is refused", async () => {
    const p = disk(["/jobs/output/clip.mov"], ["/jobs/output"]);
    const found = await errors({ ...seedExample, sources: ["output/clip.mov"], naming_template: "{source_name}" }, p);
    expect(found[0]).toContain("would overwrite sources[0]");
  });

  test("names with spaces, quotes, unicode and a leading dash stay inside output_directory", async () => {
    const names = ["my clip.mov", "it's.mov", "café.mov", "-rf.mov"];
    const p = disk(names.map((n) => `/jobs/in/${n}`), ["/jobs/output"]);
    const outcome = await check({
      ...seedExample,
      sources: names.map((n) => `in/${n}`),
      naming_template: "{source_name}",
    }, p);
    expect(outcome.ok && outcome.job.clips.map((c) => c.output_path)).toEqual(
      ["my clip", "it's", "café", "-rf"].map((n) => `/jobs/output/${n}.mov`),
    );
  });

  test("checkPaths false: nothing is looked up on disk, names are still checked", async () => {
    const nothing = disk([], []);
    const options = { startedAtMs: 0, checkPaths: false };
    const text = (spec: unknown) => new TextEncoder().encode(JSON.stringify(spec));
    const ok = await checkJobSpecBytes(
      nothing,
      text({ ...seedExample, output_directory: "missing" }),
      "/jobs/j.json",
      options,
    );
    expect(ok.ok && ok.job.clips.length).toBe(3);
    const clash = await checkJobSpecBytes(
      nothing,
      text({ ...seedExample, codec: "prores", sources: ["a/x.mov", "b/x.mov"], naming_template: "{source_name}" }),
      "/jobs/j.json",
      options,
    );
    expect(!clash.ok && clash.issues.map((i) => i.path)).toEqual(["codec"]);
    const collide = await checkJobSpecBytes(
      nothing,
      text({ ...seedExample, sources: ["a/x.mov", "b/x.mov"], naming_template: "{source_name}" }),
      "/jobs/j.json",
      options,
    );
    expect(!collide.ok && collide.issues[0]!.message).toContain("collides with the output of sources[0]");
  });

  test("absolute paths are kept; relative ones resolve against the JobSpec's folder", async () => {
    const p = disk(["/media/a.mov"], ["/jobs/output"]);
    const outcome = await check({ ...seedExample, sources: ["/media/a.mov"], naming_template: "{source_name}" }, p);
    expect(outcome.ok && outcome.job.clips[0]).toEqual({
      index: 0,
      source_path: "/media/a.mov",
      output_path: "/jobs/output/a.mov",
    });
  });
});

describe("placement: {source_dir} and {source_rel_dir} in output_directory", () => {
  const CARD = ["/card/Day01/CamA/A001.mov", "/card/Day01/CamB/B001.mov", "/card/Day02/C001.mov"];
  const cardDisk = (extra: string[] = []) => {
    const p = new FakePlatform({ files: Object.fromEntries([...CARD, ...extra].map((f) => [f, "v"])) });
    p.mkdirSync("/mnt/proxies");
    return p;
  };
  const spec = (fields: Record<string, unknown>) => ({
    job_id: "card",
    sources: CARD,
    codec: "h264",
    container: "mp4",
    resolution: "half",
    naming_template: "{source_name}",
    ...fields,
  });

  test("{source_dir}/Proxy: each proxy beside its source; the folders are listed, nothing is created", async () => {
    const p = cardDisk();
    const outcome = await check(spec({ output_directory: "{source_dir}/Proxy" }), p);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.job.clips).toEqual([
      {
        index: 0,
        source_path: CARD[0],
        output_path: "/card/Day01/CamA/Proxy/A001.mp4",
        create_below: "/card/Day01/CamA",
      },
      {
        index: 1,
        source_path: CARD[1],
        output_path: "/card/Day01/CamB/Proxy/B001.mp4",
        create_below: "/card/Day01/CamB",
      },
      { index: 2, source_path: CARD[2], output_path: "/card/Day02/Proxy/C001.mp4", create_below: "/card/Day02" },
    ]);
    expect(outcome.job.output_folders).toEqual([
      { path: "/card/Day01/CamA/Proxy", base: "/card/Day01/CamA", exists: false },
      { path: "/card/Day01/CamB/Proxy", base: "/card/Day01/CamB", exists: false },
      { path: "/card/Day02/Proxy", base: "/card/Day02", exists: false },
    ]);
    expect(outcome.job.source_root).toBeUndefined();
    expect(p.exists("/card/Day02/Proxy")).toBe(false);
  });

  test("{source_rel_dir}: source_root defaults to the deepest folder containing every source", async () => {
    const outcome = await check(spec({ output_directory: "/mnt/proxies/{source_rel_dir}" }), cardDisk());
    expect(outcome.ok && outcome.job.clips.map((c) => c.output_path)).toEqual([
      "/mnt/proxies/Day01/CamA/A001.mp4",
      "/mnt/proxies/Day01/CamB/B001.mp4",
      "/mnt/proxies/Day02/C001.mp4",
    ]);
    expect(outcome.ok && outcome.job.source_root).toBe("/card");
    // One source: its own folder is the root, so the proxy goes straight into /mnt/proxies.
    const one = await check(
      spec({ sources: [CARD[2]], output_directory: "/mnt/proxies/{source_rel_dir}" }),
      cardDisk(),
    );
    expect(one.ok && one.job.clips[0]!.output_path).toBe("/mnt/proxies/C001.mp4");
    expect(one.ok && one.job.output_folders).toEqual([{ path: "/mnt/proxies", base: "/mnt/proxies", exists: true }]);
  });

  test("source_root given, relative to the JobSpec's folder; text after the token is kept", async () => {
    const p = cardDisk();
    p.mkdirSync("/jobs");
    const outcome = await check(
      spec({
        source_root: "../card/Day01",
        sources: CARD.slice(0, 2),
        output_directory: "/mnt/proxies/{source_rel_dir}/low",
      }),
      p,
    );
    expect(outcome.ok && outcome.job.clips.map((c) => c.output_path)).toEqual([
      "/mnt/proxies/CamA/low/A001.mp4",
      "/mnt/proxies/CamB/low/B001.mp4",
    ]);
  });

  test("refused: '..', two tokens, a token inside a name, {source_dir} not first, source_root unused", async () => {
    const p = cardDisk();
    expect(await errors(spec({ output_directory: "{source_dir}/../Proxy" }), p)).toEqual([
      "output_directory: must not contain '..' after {source_dir}: proxies stay inside the source's own folder",
    ]);
    expect(await errors(spec({ output_directory: "/mnt/proxies/{source_rel_dir}/x/../../.." }), p)).toEqual([
      "output_directory: must not contain '..' after {source_rel_dir}: proxies stay inside the folder before {source_rel_dir}",
    ]);
    expect(await errors(spec({ output_directory: "{source_dir}/{source_rel_dir}" }), p)).toEqual([
      "output_directory: uses {source_dir}, {source_rel_dir}: one placement token, once (they are two ways to name the same place)",
    ]);
    expect(await errors(spec({ output_directory: "/mnt/proxies/x{source_rel_dir}" }), p)).toEqual([
      "output_directory: {source_rel_dir} must be a whole folder name, between separators ('/mnt/proxies/x{source_rel_dir}')",
    ]);
    expect(await errors(spec({ output_directory: "/mnt/{source_dir}" }), p)).toEqual([
      'output_directory: {source_dir} must come first: it is the source\'s own folder, an absolute path ("{source_dir}/Proxy")',
    ]);
    expect(await errors(spec({ output_directory: "{source_dir}/Proxy", source_root: "/card" }), p)).toEqual([
      "source_root: is only used by {source_rel_dir} in output_directory; remove it or use that token",
    ]);
  });

  test("refused: a source outside source_root, a missing root or base, a file where a folder goes", async () => {
    const p = cardDisk(["/card/Day01/CamA/Proxy"]);
    expect(await errors(spec({ source_root: "/card/Day01", output_directory: "/mnt/proxies/{source_rel_dir}" }), p))
      .toEqual([
        "source_root: does not contain sources[2] (/card/Day02/C001.mov); {source_rel_dir} would leave /card/Day01 ('../Day02'): set source_root to a folder that contains every source",
      ]);
    expect(await errors(spec({ source_root: "/nope", output_directory: "/mnt/proxies/{source_rel_dir}" }), p))
      .toContain("source_root: directory does not exist: /nope");
    expect(await errors(spec({ output_directory: "/mnt/none/{source_rel_dir}" }), p)).toEqual([
      "output_directory: the folder before {source_rel_dir} does not exist: /mnt/none (create it first; proxx creates only the folders below it)",
    ]);
    expect(await errors(spec({ output_directory: "{source_dir}/Proxy/low" }), p)).toEqual([
      "output_directory: for sources[0] resolves to /card/Day01/CamA/Proxy/low, but /card/Day01/CamA/Proxy exists and is not a folder",
    ]);
  });

  test("collisions across the resolved folders, and an output equal to its source", async () => {
    const p = cardDisk(["/card/Day02/c001.mov", "/card/day02/C001.mov"]);
    expect(
      await errors(
        spec({
          sources: [CARD[2], "/card/Day02/c001.mov", "/card/day02/C001.mov"],
          output_directory: "{source_dir}/Proxy",
        }),
        p,
      ),
    ).toEqual([
      "sources[1]: output '/card/Day02/Proxy/c001.mp4' collides with the output of sources[0] (paths are compared ignoring case); add {index} or {source_name} to naming_template",
      "sources[2]: output '/card/day02/Proxy/C001.mp4' collides with the output of sources[1] (paths are compared ignoring case); add {index} or {source_name} to naming_template",
    ]);
    expect(await errors(spec({ sources: [CARD[2]], container: "mov", output_directory: "{source_dir}" }), p)).toEqual([
      "sources[0]: output '/card/Day02/C001.mov' would overwrite sources[0]",
    ]);
  });

  test("--no-paths: the folders are resolved but not looked at", async () => {
    const bytes = new TextEncoder().encode(JSON.stringify(spec({ output_directory: "/nowhere/{source_rel_dir}" })));
    const outcome = await checkJobSpecBytes(new FakePlatform(), bytes, "/jobs/job.json", {
      startedAtMs: 0,
      checkPaths: false,
    });
    expect(outcome.ok && outcome.job.output_folders!.map((f) => [f.path, f.exists])).toEqual([
      ["/nowhere/Day01/CamA", null],
      ["/nowhere/Day01/CamB", null],
      ["/nowhere/Day02", null],
    ]);
  });

  test("without a token nothing changes: braces stay literal, no new keys in the resolved job", async () => {
    const p = disk(["/media/a.mov"], ["/out/{job_id}"]);
    const outcome = await check(spec({ sources: ["/media/a.mov"], output_directory: "/out/{job_id}" }), p);
    expect(outcome.ok && outcome.job.clips).toEqual([
      { index: 0, source_path: "/media/a.mov", output_path: "/out/{job_id}/a.mp4" },
    ]);
    expect(outcome.ok && Object.keys(outcome.job)).not.toContain("output_folders");
    expect(await errors(spec({ sources: ["/media/a.mov"], output_directory: "/out/{source_folder}" }), p)).toEqual([
      "output_directory: directory does not exist: /out/{source_folder} (create it first); the tokens output_directory knows are {source_dir} and {source_rel_dir}",
    ]);
  });

  test("helpers: deepest common folder; problems of a template", () => {
    expect(deepestCommonFolder(["/card/Day01/CamA", "/card/Day01/CamB", "/card/Day02"])).toBe("/card");
    expect(deepestCommonFolder(["/card/Day01", "/card/Day01"])).toBe("/card/Day01");
    expect(deepestCommonFolder(["/a", "/b"])).toBe("/");
    expect(deepestCommonFolder(["/card/Day0", "/card/Day01"])).toBe("/card"); // by folder, not by character
    expect(placementProblems("{source_dir}")).toEqual([]);
    expect(placementProblems("{source_dir}/..proxy")).toEqual([]); // a name starting with '..' is a name
    expect(placementProblems("{source_rel_dir}/{source_rel_dir}")).toEqual([
      "uses {source_rel_dir}, {source_rel_dir}: one placement token, once (a folder cannot be inside itself)",
    ]);
  });
});
