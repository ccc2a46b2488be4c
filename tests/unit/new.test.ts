import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakePlatform } from "../helpers/fake-platform.ts";
import { main } from "../../src/cli/main.ts";
import { FIELD_FLAGS, newCommand } from "../../src/cli/new.ts";
import { comparePaths, expandGlob, segmentRegex } from "../../src/jobspec/glob.ts";
import { CODECS, KNOWN_FIELDS } from "../../src/jobspec/schema.ts";
import { codecFacts } from "../../src/ffmpeg/codecs.ts";
import { bunPlatform } from "../../src/platform/bun.ts";
import type { Platform } from "../../src/platform/types.ts";

/** A camera-card-like tree under /work (the fake's cwd). */
function card(extra: Record<string, string> = {}): FakePlatform {
  return new FakePlatform({
    files: {
      "/work/clips/A001.MOV": "v",
      "/work/clips/A002.mov": "v",
      "/work/clips/._A001.MOV": "appledouble",
      "/work/clips/notes.txt": "t",
      "/work/clips/day2/B001.mov": "v",
      "/work/clips/day2/deep/C001.mov": "v",
      "/work/clips/.hidden/D001.mov": "v",
      "/work/clips/my take 1.mov": "v",
      "/work/clips/clip [1].mov": "v",
      "/work/clips/clip 1.mov": "v",
      "/work/clips/x.mxf": "v",
      ...extra,
    },
  });
}

async function cli(p: FakePlatform, ...args: string[]) {
  p.stdout = "";
  p.stderr = "";
  const code = await main(p, ["new", ...args]);
  return { code, stdout: p.stdout, stderr: p.stderr };
}

const rel = (paths: string[]) => paths.map((p) => p.replace("/work/", ""));

describe("glob expansion", () => {
  test("** matches any depth, skips hidden names and folders, ignores case, sorted by path", async () => {
    const p = card();
    expect(rel(await expandGlob(p, "clips/**/*.mov"))).toEqual([
      "clips/A001.MOV",
      "clips/A002.mov",
      "clips/clip 1.mov",
      "clips/clip [1].mov",
      "clips/day2/B001.mov",
      "clips/day2/deep/C001.mov",
      "clips/my take 1.mov",
    ]);
  });

  test("a trailing ** is every (non-hidden) file below", async () => {
    const p = card();
    const all = rel(await expandGlob(p, "clips/**"));
    expect(all).toContain("clips/notes.txt");
    expect(all).toContain("clips/day2/deep/C001.mov");
    expect(all.some((f) => f.includes("/."))).toBe(false);
  });

  test("hidden names match only a pattern segment starting with '.'", async () => {
    const p = card();
    expect(rel(await expandGlob(p, "clips/.*.MOV"))).toEqual(["clips/._A001.MOV"]);
    expect(rel(await expandGlob(p, "clips/.hidden/*.mov"))).toEqual(["clips/.hidden/D001.mov"]);
  });

  test("?, classes, negated classes, braces", async () => {
    const p = card();
    expect(rel(await expandGlob(p, "clips/A00?.mov"))).toEqual(["clips/A001.MOV", "clips/A002.mov"]);
    expect(rel(await expandGlob(p, "clips/A00[2-9].mov"))).toEqual(["clips/A002.mov"]);
    expect(rel(await expandGlob(p, "clips/A00[!2].mov"))).toEqual(["clips/A001.MOV"]);
    expect(rel(await expandGlob(p, "clips/*.{mxf,txt}"))).toEqual(["clips/notes.txt", "clips/x.mxf"]);
    expect(rel(await expandGlob(p, "clips/{day2/*.mov,x.mxf}"))).toEqual([]); // braces stay within one name
  });

  test("spaces and brackets: an existing file is taken literally; classes escape special characters", async () => {
    const p = card();
    expect(rel(await expandGlob(p, "clips/clip [1].mov"))).toEqual(["clips/clip [1].mov"]);
    expect(rel(await expandGlob(p, "clips/clip [[]1].mov"))).toEqual(["clips/clip [1].mov"]);
    expect(rel(await expandGlob(p, "clips/clip [1]*.mov"))).toEqual(["clips/clip 1.mov"]);
    expect(rel(await expandGlob(p, "clips/my take *.mov"))).toEqual(["clips/my take 1.mov"]);
    const star = new FakePlatform({ files: { "/work/a*b.mov": "v", "/work/axb.mov": "v" } });
    expect(rel(await expandGlob(star, "a[*]b.mov"))).toEqual(["a*b.mov"]);
    expect(rel(await expandGlob(star, "a*b.mov"))).toEqual(["a*b.mov"]); // literal first
    expect(rel(await expandGlob(star, "a?b.mov"))).toEqual(["a*b.mov", "axb.mov"]);
  });

  test("regex characters in names are plain characters", async () => {
    const p = new FakePlatform({
      files: { "/work/a.b(1)+$.mov": "v", "/work/aXb(1)+$.mov": "v", "/work/a-b^.mov": "v" },
    });
    expect(rel(await expandGlob(p, "a.b(1)+$*"))).toEqual(["a.b(1)+$.mov"]);
    expect(rel(await expandGlob(p, "a-*"))).toEqual(["a-b^.mov"]);
    expect(segmentRegex("[a-]x", true).test("-x")).toBe(true);
    expect(segmentRegex("[]]x", true).test("]x")).toBe(true);
    expect(["ax", ",x", "}x", "]x"].map((n) => segmentRegex("{a,[,}]}x", true).test(n))).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(segmentRegex("{unclosed", true).test("{unclosed")).toBe(true);
    expect(segmentRegex("[unclosed", true).test("[unclosed")).toBe(true);
  });

  test("--case-sensitive", async () => {
    const p = card();
    expect(rel(await expandGlob(p, "clips/A00?.mov", { caseSensitive: true }))).toEqual(["clips/A002.mov"]);
  });

  test("absolute patterns, '..' and folders that do not exist", async () => {
    const p = card();
    p.cwdPath = "/work/clips/day2";
    expect(await expandGlob(p, "/work/clips/day2/*.mov")).toEqual(["/work/clips/day2/B001.mov"]);
    expect(await expandGlob(p, "../A00*.mov")).toEqual(["/work/clips/A001.MOV", "/work/clips/A002.mov"]);
    expect(await expandGlob(p, "nowhere/**/*.mov")).toEqual([]);
    expect(await expandGlob(p, "*/")).toEqual([]);
  });

  test("Windows: a backslash separates folders; elsewhere it is an ordinary character", async () => {
    const files = { "/work/clips/A001.MOV": "v", "/work/clips/day2/B001.mov": "v" };
    const windows = new FakePlatform({ os: "windows", files });
    expect(rel(await expandGlob(windows, "clips\\**\\*.mov"))).toEqual(["clips/A001.MOV", "clips/day2/B001.mov"]);
    const linux = new FakePlatform({ files: { ...files, "/work/a\\b.mov": "v" } });
    expect(await expandGlob(linux, "clips\\*.mov")).toEqual([]);
    expect(rel(await expandGlob(linux, "a\\*.mov"))).toEqual(["a\\b.mov"]);
  });

  test("order is NFC full path in code-unit order, not locale", () => {
    const nfd = "/c/Cafe\u0301.mov";
    const names = ["/c/b.mov", nfd, "/c/Z.mov", "/c/a.mov", "/c/Caff.mov"];
    // NFC é (U+00E9) sorts after "f" (decomposed, "e" + U+0301 would sort before); upper case before lower case.
    expect([...names].sort(comparePaths)).toEqual(["/c/Caff.mov", nfd, "/c/Z.mov", "/c/a.mov", "/c/b.mov"]);
  });
});

describe("glob on a real file system", () => {
  const dir = mkdtempSync(join(tmpdir(), "proxx-new-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const nfd = "Cafe\u0301 take.mov"; // how macOS stores "Café"
  mkdirSync(join(dir, "clips/sub"), { recursive: true });
  writeFileSync(join(dir, "clips", nfd), "v");
  writeFileSync(join(dir, "clips/sub/-dash.mov"), "v");
  writeFileSync(join(dir, "clips/real.mov"), "v");
  symlinkSync(join(dir, "clips/real.mov"), join(dir, "clips/link.mov"));
  symlinkSync(join(dir, "clips"), join(dir, "clips/sub/loop")); // a cycle `**` must not follow

  function platformIn(cwd: string): Platform {
    return { ...bunPlatform(), cwd: () => cwd };
  }

  test("an NFC pattern finds an NFD name; the path returned is the name on disk", async () => {
    const found = await expandGlob(platformIn(dir), "clips/Caf\u00e9*.mov");
    expect(found).toEqual([join(dir, "clips", nfd)]);
    // also a plain name without glob characters (and in another case)
    expect(await expandGlob(platformIn(dir), "clips/CAF\u00c9 TAKE.mov")).toEqual([join(dir, "clips", nfd)]);
    expect(await expandGlob(platformIn(dir), "clips/Caf\u00e9 take.mov", { caseSensitive: true })).toEqual([
      join(dir, "clips", nfd),
    ]);
  });

  test("symlinked files count, symlinked folders are not followed by **", async () => {
    const found = (await expandGlob(platformIn(dir), "clips/**/*.mov")).map((f) => f.slice(dir.length + 1));
    expect(found).toEqual(["clips/Cafe\u0301 take.mov", "clips/link.mov", "clips/real.mov", "clips/sub/-dash.mov"]);
    // …but a pattern that names the link goes through it
    expect(await expandGlob(platformIn(dir), "clips/sub/loop/real.*")).toEqual([join(dir, "clips/sub/loop/real.mov")]);
  });

  test("--into writes atomically (no temp file left) a JobSpec that proxx validate accepts", async () => {
    const jobs = join(dir, "jobs");
    mkdirSync(jobs);
    mkdirSync(join(dir, "out"));
    const out: string[] = [];
    const platform: Platform = { ...platformIn(dir), writeStdout: (t) => out.push(t), writeStderr: (t) => out.push(t) };
    expect(
      await main(platform, [
        "new",
        "-s",
        "clips/**/*.mov",
        "-o",
        "out",
        "--naming",
        "{index}_{source_name}",
        "--into",
        "jobs",
      ]),
    ).toBe(0);
    const written = readdirSync(jobs);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^job-[0-9a-f]{8}\.json$/);
    expect(out.join("")).toBe(`${join(jobs, written[0]!)}\n`);
    const spec = JSON.parse(readFileSync(join(jobs, written[0]!), "utf8"));
    expect(spec.sources[0]).toBe(join(dir, "clips", nfd));
    out.length = 0;
    expect(await main(platform, ["validate", join("jobs", written[0]!)])).toBe(0);
  });
});

describe("proxx new", () => {
  test("the issue's example: JSON on stdout, absolute paths, defaults filled, validated", async () => {
    const p = card();
    p.mkdirSync("/work/out");
    const r = await cli(
      p,
      "--sources",
      "clips/**/*.mov",
      "--output-directory",
      "out",
      "--codec",
      "prores_proxy",
      "--resolution",
      "half",
      "--naming",
      "{source_name}_proxy",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const spec = JSON.parse(r.stdout);
    expect(Object.keys(spec)).toEqual([
      "jobspec_version",
      "job_id",
      "created_at",
      "sources",
      "output_directory",
      "codec",
      "container",
      "resolution",
      "naming_template",
      "fps_mode",
    ]);
    expect(spec).toMatchObject({
      jobspec_version: "2.1",
      created_at: "2025-12-28T12:00:00Z",
      output_directory: "/work/out",
      codec: "prores_proxy",
      container: "mov",
      resolution: "half",
      naming_template: "{source_name}_proxy",
      fps_mode: "same-as-source",
    });
    expect(spec.sources).toHaveLength(7);
    expect(spec.job_id).toMatch(/^job-[0-9a-f]{8}$/);
  });

  test("same request, same bytes; created_at does not change the job id", async () => {
    const p = card();
    p.mkdirSync("/work/out");
    const a = await cli(p, "-s", "clips/*.mxf", "-o", "out");
    const b = await cli(p, "-s", "clips/*.mxf", "-o", "out");
    expect(a.stdout).toBe(b.stdout);
    p.advance(86_400_000);
    const c = await cli(p, "-s", "clips/*.mxf", "-o", "out");
    expect(JSON.parse(c.stdout).created_at).toBe("2025-12-29T12:00:00Z");
    expect(JSON.parse(c.stdout).job_id).toBe(JSON.parse(a.stdout).job_id);
    const none = await cli(p, "-s", "clips/*.mxf", "-o", "out", "--created-at", "none");
    expect(JSON.parse(none.stdout).created_at).toBeUndefined();
  });

  test("container defaults follow the codec and are always allowed for it", async () => {
    for (const codec of CODECS) expect(codecFacts(codec).containers).toContain(codecFacts(codec).defaultContainer);
    const defaults = Object.fromEntries(CODECS.map((c) => [c, codecFacts(c).defaultContainer]));
    expect(defaults).toMatchObject({ prores_hq: "mov", h264: "mp4", dnxhr: "mxf", vp9: "webm" });
    const p = card();
    p.mkdirSync("/work/out");
    const r = await cli(p, "-s", "clips/x.mxf", "-o", "out", "--codec", "h264");
    expect(JSON.parse(r.stdout)).toMatchObject({ codec: "h264", container: "mp4" });
  });

  test("a proxy profile is written alone (no codec/container/resolution defaults to contradict it)", async () => {
    const p = card();
    p.mkdirSync("/work/out");
    const spec = JSON.parse(
      (await cli(p, "-s", "clips/x.mxf", "-o", "out", "--proxy-profile", "proxy_dnxhr_lb")).stdout,
    );
    expect(spec.proxy_profile).toBe("proxy_dnxhr_lb");
    expect(spec.codec).toBeUndefined();
    expect(spec.container).toBeUndefined();
    expect(spec.resolution).toBeUndefined();
  });

  test("--fps sets fps_mode explicit; --schema-ref adds $schema first", async () => {
    const p = card();
    p.mkdirSync("/work/out");
    const r = await cli(p, "-s", "clips/x.mxf", "-o", "out", "--fps", "25", "--schema-ref", "./jobspec.schema.json");
    const spec = JSON.parse(r.stdout);
    expect(spec).toMatchObject({ fps_mode: "explicit", fps_explicit: 25, $schema: "./jobspec.schema.json" });
    expect(Object.keys(spec)[0]).toBe("$schema");
    expect((await cli(p, "-s", "clips/x.mxf", "-o", "out", "--fps", "fast")).code).toBe(2);
  });

  test("a file name starting with '-' via --sources=… or after --", async () => {
    const p = card({ "/work/-take.mov": "v" });
    p.mkdirSync("/work/out");
    expect(JSON.parse((await cli(p, "--sources=-take.mov", "-o", "out")).stdout).sources).toEqual(["/work/-take.mov"]);
    expect(JSON.parse((await cli(p, "-o", "out", "--", "-take.mov")).stdout).sources).toEqual(["/work/-take.mov"]);
    const ambiguous = await cli(p, "--sources", "-take.mov", "-o", "out");
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain("--sources=-XYZ");
  });

  test("several patterns: one sorted list without duplicates", async () => {
    const p = card();
    p.mkdirSync("/work/out");
    const r = await cli(
      p,
      "-s",
      "clips/x.mxf",
      "-s",
      "clips/A*.mov",
      "clips/A001.MOV",
      "-o",
      "out",
      "--naming",
      "{index}",
    );
    expect(rel(JSON.parse(r.stdout).sources)).toEqual(["clips/A001.MOV", "clips/A002.mov", "clips/x.mxf"]);
  });

  test("nothing invalid is written: name collisions, unknown codec, missing output folder", async () => {
    const p = card({ "/work/a/clip.mov": "v", "/work/b/clip.mov": "v" });
    p.mkdirSync("/work/out");
    const collide = await cli(p, "-s", "*/clip.mov", "-o", "out");
    expect(collide.code).toBe(3);
    expect(collide.stdout).toBe("");
    expect(collide.stderr).toContain("collides");
    expect((await cli(p, "-s", "*/clip.mov", "-o", "out", "--naming", "{index}_{source_name}")).code).toBe(0);

    const codec = await cli(p, "-s", "a/clip.mov", "-o", "out", "--codec", "prores");
    expect(codec.code).toBe(3);
    expect(codec.stderr).toContain("did you mean 'prores_proxy'");

    const folder = await cli(p, "-s", "a/clip.mov", "-o", "nowhere");
    expect(folder.code).toBe(3);
    expect(folder.stderr).toContain("--no-paths");
    expect((await cli(p, "-s", "a/clip.mov", "-o", "nowhere", "--no-paths")).code).toBe(0);

    const matrix = await cli(p, "-s", "a/clip.mov", "-o", "out", "--codec", "prores_hq", "--container", "mp4");
    expect(matrix.code).toBe(3);
    expect(matrix.stderr).toContain("container");
  });

  test("patterns that match nothing, folders and missing arguments", async () => {
    const p = card();
    p.mkdirSync("/work/out");
    const none = await cli(p, "-s", "clips/*.r3d", "-o", "out");
    expect(none.code).toBe(4);
    expect(none.stderr).toContain("no file matches 'clips/*.r3d'");
    const folder = await cli(p, "-s", "clips", "-o", "out");
    expect(folder.code).toBe(4);
    expect(folder.stderr).toContain("'clips/**/*.mov'");
    expect((await cli(p, "-o", "out")).code).toBe(2);
    expect((await cli(p, "-s", "clips/x.mxf")).code).toBe(2);
  });

  test("--into: <job_id>.json written with writeFileAtomic; never replaces; refuses a job whose result exists", async () => {
    const p = card();
    p.mkdirSync("/work/out");
    p.mkdirSync("/work/jobs");
    const first = await cli(p, "-s", "clips/x.mxf", "-o", "out", "--job-id", "day1", "--into", "jobs");
    expect(first.code).toBe(0);
    expect(first.stdout).toBe("/work/jobs/day1.json\n");
    expect(p.log).toContain("writeFileAtomic /work/jobs/day1.json");
    expect(p.json("/work/jobs/day1.json").job_id).toBe("day1");
    const before = p.snapshot("/work/jobs");

    const again = await cli(
      p,
      "-s",
      "clips/A*.mov",
      "-o",
      "out",
      "--job-id",
      "day1",
      "--into",
      "jobs",
      "--naming",
      "{index}",
    );
    expect(again.code).toBe(4);
    expect(again.stderr).toContain("already exists");
    expect(p.snapshot("/work/jobs")).toEqual(before);

    p.writeFile("/work/jobs/day2.result.json", "{}");
    const done = await cli(p, "-s", "clips/x.mxf", "-o", "out", "--job-id", "day2", "--into", "jobs");
    expect(done.code).toBe(4);
    expect(done.stderr).toContain("would skip");

    expect((await cli(p, "-s", "clips/x.mxf", "-o", "out", "--into", "missing")).code).toBe(4);
  });

  test("--split-per-source: one JobSpec per clip, all or nothing", async () => {
    const p = card();
    p.mkdirSync("/work/out");
    p.mkdirSync("/work/jobs");
    const r = await cli(
      p,
      "-s",
      "clips/A*.mov",
      "-o",
      "out",
      "--split-per-source",
      "--job-id",
      "shoot",
      "--into",
      "jobs",
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("/work/jobs/shoot-000.json\n/work/jobs/shoot-001.json\n");
    expect(p.json("/work/jobs/shoot-001.json").sources).toEqual(["/work/clips/A002.mov"]);

    // one JSON per line on stdout without --into
    const lines = (await cli(p, "-s", "clips/A*.mov", "-o", "out", "--split-per-source")).stdout.trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).sources.length)).toEqual([1, 1]);
    expect(new Set(lines.map((l) => JSON.parse(l).job_id)).size).toBe(2);

    // two JobSpecs writing the same proxy are refused
    const q = card({ "/work/a/clip.mov": "v", "/work/b/clip.mov": "v" });
    q.mkdirSync("/work/out");
    q.mkdirSync("/work/jobs");
    const clash = await cli(q, "-s", "*/clip.mov", "-o", "out", "--split-per-source", "--into", "jobs");
    expect(clash.code).toBe(3);
    expect(clash.stderr).toContain("{job_id}");
    expect(q.filesUnder("/work/jobs")).toEqual([]);
  });

  test("every JobSpec field has a flag documented in --help, or a stated reason why not", () => {
    expect(Object.keys(FIELD_FLAGS).sort()).toEqual([...KNOWN_FIELDS]);
    for (const [field, entry] of Object.entries(FIELD_FLAGS)) {
      if (entry.flag !== null) {
        expect(newCommand.help).toContain(entry.flag);
        expect(newCommand.help).toContain(`[${field}]`);
      } else expect(entry.reason.length).toBeGreaterThan(5);
    }
  });
});

describe("proxx new: where proxies go", () => {
  const card2 = () =>
    new FakePlatform({
      files: {
        "/work/CARD/Day01/CamA/A001.mov": "v",
        "/work/CARD/Day01/CamB/B001.mov": "v",
        "/work/CARD/Day02/C001.mov": "v",
      },
    });

  test("-o '{source_dir}/Proxy' is written as typed, validated, and needs no existing folder", async () => {
    const p = card2();
    const r = await cli(p, "-s", "CARD/**/*.mov", "-o", "{source_dir}/Proxy", "--naming", "{source_name}");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const spec = JSON.parse(r.stdout);
    expect(spec.output_directory).toBe("{source_dir}/Proxy");
    expect("source_root" in spec).toBe(false);
    expect(p.exists("/work/CARD/Day02/Proxy")).toBe(false);
  });

  test("--mirror-to DIR: output_directory DIR/{source_rel_dir}, source_root the folder the patterns start in", async () => {
    const p = card2();
    p.mkdirSync("/mnt/proxies");
    const r = await cli(p, "-s", "CARD/Day01/**/*.mov", "-s", "CARD/Day02/*.mov", "--mirror-to", "/mnt/proxies");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const spec = JSON.parse(r.stdout);
    expect(Object.keys(spec).slice(3, 6)).toEqual(["sources", "output_directory", "source_root"]);
    expect(spec.output_directory).toBe("/mnt/proxies/{source_rel_dir}");
    expect(spec.source_root).toBe("/work/CARD");
    // The tree: a clip alone in its folder still keeps its folder.
    const one = await cli(p, "-s", "CARD/**/C001.mov", "--mirror-to", "/mnt/proxies", "--created-at", "none");
    expect(JSON.parse(one.stdout).source_root).toBe("/work/CARD");
  });

  test("-o with {source_rel_dir}: the part before the token is made absolute, the rest kept; --source-root wins", async () => {
    const p = card2();
    p.mkdirSync("/work/proxies");
    const r = await cli(p, "-s", "CARD/**/*.mov", "-o", "proxies/{source_rel_dir}/low", "--source-root", "CARD/Day01");
    // C001 is outside CARD/Day01: refused, nothing written.
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("source_root: does not contain sources[2] (/work/CARD/Day02/C001.mov)");
    const ok = await cli(p, "-s", "CARD/Day01/**/*.mov", "-o", "proxies/{source_rel_dir}/low");
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      output_directory: "/work/proxies/{source_rel_dir}/low",
      source_root: "/work/CARD/Day01",
    });
    // '..' after the token is not folded away by making the path absolute: it is refused.
    const dots = await cli(p, "-s", "CARD/**/*.mov", "-o", "proxies/{source_rel_dir}/../..");
    expect(dots.code).toBe(3);
    expect(dots.stderr).toContain("output_directory: must not contain '..' after {source_rel_dir}");
  });

  test("a second run over the card leaves the first run's proxies out, and says so", async () => {
    const p = card2();
    p.writeFile("/work/CARD/Day01/CamA/Proxy/A001.mov", "proxy");
    p.writeFile("/work/CARD/Proxies/Day01/CamB/B001_proxy.mov", "proxy");
    const beside = await cli(p, "-s", "CARD/**/*.mov", "-o", "{source_dir}/Proxy", "--naming", "{source_name}");
    expect(beside.code).toBe(0);
    expect(beside.stderr).toBe(
      "proxx new: left out 1 matched file(s) in folders this job puts proxies in (proxies of proxies), e.g. /work/CARD/Day01/CamA/Proxy/A001.mov\n",
    );
    expect(JSON.parse(beside.stdout).sources).not.toContain("/work/CARD/Day01/CamA/Proxy/A001.mov");
    // A mirror inside the card: everything under it is an earlier run's output.
    const mirror = await cli(p, "-s", "CARD/**/*.mov", "--mirror-to", "CARD/Proxies", "--created-at", "none");
    expect(mirror.code).toBe(0);
    expect(JSON.parse(mirror.stdout).sources).toEqual([
      "/work/CARD/Day01/CamA/A001.mov",
      "/work/CARD/Day01/CamA/Proxy/A001.mov",
      "/work/CARD/Day01/CamB/B001.mov",
      "/work/CARD/Day02/C001.mov",
    ]);
    expect(mirror.stderr).toContain("left out 1 matched file(s)");
  });

  test("--mirror-to with --output-directory is a usage error; one of them is needed", async () => {
    const p = card2();
    expect((await cli(p, "-s", "CARD/**/*.mov", "-o", "out", "--mirror-to", "m")).code).toBe(2);
    const none = await cli(p, "-s", "CARD/**/*.mov");
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("--output-directory DIR (or --mirror-to DIR)");
  });
});
