/**
 * Where proxies go (issue 17), end to end: `proxx new` one-liners, `proxx validate` listing the
 * folders, `proxx run` with real FFmpeg writing proxies beside their sources or into a
 * mirrored tree (checked with ffprobe), and every way out of the intended folder refused
 * with a message naming the file and the field. Real files, real symbolic links, real processes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { proxx, tempDir } from "../helpers/cli.ts";
import { ffprobeJson, makeClip } from "../helpers/media.ts";
import { bunPlatform } from "../../src/platform/bun.ts";
import { makeFolderBelow } from "../../src/jobspec/placement.ts";

let work = "";
beforeAll(() => {
  work = tempDir("proxx-placement-");
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Every file below `dir`, relative to it, sorted. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

/** A camera card: `files` relative to the card, each a small clip with its own timecode and reel. */
function card(name: string, files: string[]): string {
  const root = join(work, name);
  files.forEach((file, i) => {
    const dir = join(root, file, "..");
    mkdirSync(dir, { recursive: true });
    makeClip(dir, file.split("/").pop()!, {
      timecode: `0${i + 1}:00:00:00`,
      reelName: `R00${i + 1}`,
      audioChannels: [2],
      seconds: 0.4,
    });
  });
  return root;
}

/** The relink facts as ffprobe prints them (the tmcd track, or wherever the muxer put the tag). */
function tags(file: string): { timecode?: string; reel?: string; codec: string; width?: number } {
  const probe = ffprobeJson(file);
  const video = probe.streams.find((s) => s.codec_type === "video")!;
  const tagged = probe.streams.map((s) => (s as { tags?: Record<string, string> }).tags ?? {});
  return {
    codec: video.codec_name,
    width: video.width,
    timecode: tagged.find((t) => t.timecode)?.timecode,
    reel: tagged.find((t) => t.reel_name)?.reel_name,
  };
}

function writeJob(name: string, spec: Record<string, unknown>): string {
  const file = join(work, name);
  writeFileSync(file, JSON.stringify(spec, null, 2));
  return file;
}

const settings = { codec: "prores_proxy", container: "mov", resolution: "half" };

describe("{source_dir}/Proxy: proxies beside the media", () => {
  test("a card of two folders: proxx new one-liner, validate lists the folders, run writes Proxy/ beside each source", () => {
    const root = card("cardA", ["Day01/CamA/A001.mov", "Day01/CamB/B001.mov"]);
    const made = proxx(
      ["new", "--sources", "cardA/**/*.mov", "--output-directory", "{source_dir}/Proxy", "--naming", "{source_name}"],
      { cwd: work },
    );
    expect(made.stderr).toBe("");
    expect(made.code).toBe(0);
    const spec = JSON.parse(made.stdout);
    expect(spec.output_directory).toBe("{source_dir}/Proxy");
    expect(spec.source_root).toBeUndefined();
    writeFileSync(join(work, "cardA.json"), made.stdout);

    const checked = proxx(["validate", "cardA.json"], { cwd: work });
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain("2 output folder(s):");
    expect(checked.stdout).toContain(`${root}/Day01/CamA/Proxy  (created by run, below ${root}/Day01/CamA)`);
    expect(checked.stdout).toContain(`${root}/Day01/CamB/Proxy  (created by run, below ${root}/Day01/CamB)`);
    expect(existsSync(join(root, "Day01/CamA/Proxy"))).toBe(false); // validate creates nothing

    const json = JSON.parse(proxx(["validate", "cardA.json", "--json"], { cwd: work }).stdout);
    expect(json.folders).toEqual([
      { path: `${root}/Day01/CamA/Proxy`, base: `${root}/Day01/CamA`, exists: false },
      { path: `${root}/Day01/CamB/Proxy`, base: `${root}/Day01/CamB`, exists: false },
    ]);

    const run = proxx(["run", "cardA.json", "--json"], { cwd: work });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.final_status).toBe("COMPLETED");
    expect(tree(root)).toEqual([
      "Day01/CamA/A001.mov",
      "Day01/CamA/Proxy/A001.mov",
      "Day01/CamB/B001.mov",
      "Day01/CamB/Proxy/B001.mov",
    ]);
    // What Resolve matches on: same name (above), same timecode and reel name; ProRes Proxy at half size.
    expect(tags(join(root, "Day01/CamA/Proxy/A001.mov"))).toEqual({
      codec: "prores",
      width: 160,
      timecode: "01:00:00:00",
      reel: "R001",
    });
    expect(tags(join(root, "Day01/CamB/Proxy/B001.mov"))).toEqual({
      codec: "prores",
      width: 160,
      timecode: "02:00:00:00",
      reel: "R002",
    });

    // Validated again now that the folders exist; and a second `new` over the card leaves the proxies out.
    expect(proxx(["validate", "cardA.json"], { cwd: work }).stdout).toContain(`${root}/Day01/CamA/Proxy  (exists)`);
    const again = proxx(
      ["new", "-s", "cardA/**/*.mov", "-o", "{source_dir}/Proxy", "--naming", "{source_name}", "--created-at", "none"],
      { cwd: work },
    );
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("left out 2 matched file(s) in folders this job puts proxies in");
    expect(JSON.parse(again.stdout).sources).toEqual([`${root}/Day01/CamA/A001.mov`, `${root}/Day01/CamB/B001.mov`]);
  });
});

describe("{source_rel_dir}: the source tree mirrored", () => {
  test("--mirror-to sets source_root and DIR/{source_rel_dir}; run mirrors three levels", () => {
    const root = card("cardB", ["Day01/CamA/A001.mov", "Day01/CamB/B001.mov", "Day02/C001.mov"]);
    mkdirSync(join(work, "mirrorB"));
    const made = proxx(["new", "-s", "cardB/**/*.mov", "--mirror-to", "mirrorB", "--job-id", "mirror"], { cwd: work });
    expect(made.stderr).toBe("");
    expect(made.code).toBe(0);
    const spec = JSON.parse(made.stdout);
    expect(spec.output_directory).toBe(join(work, "mirrorB", "{source_rel_dir}"));
    expect(spec.source_root).toBe(root);
    writeFileSync(join(work, "mirrorB.json"), made.stdout);

    const run = proxx(["run", "mirrorB.json", "--json"], { cwd: work });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).clips.map((c: { resolved_output_path: string }) => c.resolved_output_path)).toEqual([
      join(work, "mirrorB/Day01/CamA/A001_proxy.mov"),
      join(work, "mirrorB/Day01/CamB/B001_proxy.mov"),
      join(work, "mirrorB/Day02/C001_proxy.mov"),
    ]);
    expect(tree(join(work, "mirrorB"))).toEqual([
      "Day01/CamA/A001_proxy.mov",
      "Day01/CamB/B001_proxy.mov",
      "Day02/C001_proxy.mov",
    ]);
    expect(tags(join(work, "mirrorB/Day02/C001_proxy.mov"))).toMatchObject({
      codec: "prores",
      timecode: "03:00:00:00",
    });
  });

  test("source_root given in the JobSpec (relative to it); without it, the deepest folder containing every source", () => {
    const root = join(work, "cardB");
    mkdirSync(join(work, "mirrorC"));
    const sources = [`${root}/Day01/CamA/A001.mov`, `${root}/Day01/CamB/B001.mov`];
    const given = writeJob("mirrorC.json", {
      sources,
      source_root: "cardB",
      output_directory: "mirrorC/{source_rel_dir}",
      naming_template: "{source_name}",
      ...settings,
    });
    const withRoot = JSON.parse(proxx(["validate", given, "--json"]).stdout);
    expect(withRoot.outputs).toEqual([
      join(work, "mirrorC/Day01/CamA/A001.mov"),
      join(work, "mirrorC/Day01/CamB/B001.mov"),
    ]);
    const byDefault = writeJob("mirrorC-default.json", {
      sources,
      output_directory: "mirrorC/{source_rel_dir}",
      naming_template: "{source_name}",
      ...settings,
    });
    // The deepest folder containing both is cardB/Day01.
    const text = proxx(["validate", byDefault]).stdout;
    expect(text).toContain(`{source_rel_dir} relative to ${root}/Day01`);
    expect(JSON.parse(proxx(["validate", byDefault, "--json"]).stdout).outputs).toEqual([
      join(work, "mirrorC/CamA/A001.mov"),
      join(work, "mirrorC/CamB/B001.mov"),
    ]);
  });
});

describe("every way out is refused, naming the file and the field", () => {
  const refused = (spec: Record<string, unknown>, name: string) => {
    const file = writeJob(name, { naming_template: "{source_name}", ...settings, ...spec });
    const r = proxx(["validate", file]);
    expect(r.code).toBe(3);
    expect(r.stderr.split("\n")[0]).toMatch(/^.*: invalid, \d+ error\(s\):$/);
    expect(r.stderr.startsWith(`${file}: invalid`)).toBe(true);
    return r.stderr;
  };
  const a001 = () => join(work, "cardB/Day01/CamA/A001.mov");

  test("'..' after the token; source_root that does not contain a source", () => {
    expect(refused({ sources: [a001()], output_directory: "{source_dir}/../Proxy" }, "dots.json")).toContain(
      "output_directory: must not contain '..' after {source_dir}: proxies stay inside the source's own folder",
    );
    mkdirSync(join(work, "mirrorD"));
    const outside = refused({
      sources: [a001(), join(work, "cardB/Day02/C001.mov")],
      source_root: "cardB/Day01",
      output_directory: "mirrorD/{source_rel_dir}",
    }, "outside-root.json");
    expect(outside).toContain(
      `source_root: does not contain sources[1] (${work}/cardB/Day02/C001.mov); {source_rel_dir} would leave ${work}/cardB/Day01 ('../Day02')`,
    );
    expect(existsSync(join(work, "mirrorD/Day02"))).toBe(false);
    expect(existsSync(join(work, "Day02"))).toBe(false);
  });

  test("the folder before {source_rel_dir} must exist: proxx creates folders only below it", () => {
    expect(refused({ sources: [a001()], output_directory: "no-such-drive/{source_rel_dir}" }, "nobase.json"))
      .toContain(
        `output_directory: the folder before {source_rel_dir} does not exist: ${work}/no-such-drive (create it first; proxx creates only the folders below it)`,
      );
  });

  test("a symlinked folder leading out: Proxy -> elsewhere, and a mirrored Day01 -> elsewhere", () => {
    const clip = join(card("cardE", ["A/E001.mov"]), "A/E001.mov");
    const elsewhere = join(work, "elsewhere");
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(work, "cardE/A/Proxy"));
    expect(refused({ sources: [clip], output_directory: "{source_dir}/Proxy" }, "link-proxy.json")).toContain(
      `output_directory: for sources[0] resolves to ${work}/cardE/A/Proxy, but ${work}/cardE/A/Proxy is (or is below) a symbolic link to ${elsewhere}, outside ${work}/cardE/A`,
    );
    // Deeper: the link is a level above the folder proxx would create.
    mkdirSync(join(work, "mirrorE"));
    symlinkSync(elsewhere, join(work, "mirrorE/cardE"));
    const deep = refused(
      { sources: [clip], source_root: work, output_directory: "mirrorE/{source_rel_dir}" },
      "link-mirror.json",
    );
    expect(deep).toContain(
      `output_directory: for sources[0] resolves to ${work}/mirrorE/cardE/A, but ${work}/mirrorE/cardE`,
    );
    expect(deep).toContain(`symbolic link to ${elsewhere}, outside ${work}/mirrorE`);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  test("an output equal to a source: by name, and through a symlinked Proxy -> . (real paths compared)", () => {
    const clip = join(card("cardF", ["A/F001.mov"]), "A/F001.mov");
    expect(refused({ sources: [clip], output_directory: "{source_dir}" }, "same.json")).toContain(
      `sources[0]: output '${clip}' would overwrite sources[0]`,
    );
    symlinkSync(".", join(work, "cardF/A/Proxy"));
    expect(refused({ sources: [clip], output_directory: "{source_dir}/Proxy" }, "same-link.json")).toContain(
      `sources[0]: output '${work}/cardF/A/Proxy/F001.mov' would overwrite sources[0]`,
    );
    expect(readFileSync(clip).length).toBeGreaterThan(1000); // untouched
  });

  test("naming collisions across the resolved folders (same folder, and folders differing only in case)", () => {
    const root = card("cardG", ["A/G001.mov", "A/g001.mov", "b/X.mov", "B/X.mov", "C/X.mov"]);
    const r = refused({
      sources: ["A/G001.mov", "A/g001.mov", "b/X.mov", "B/X.mov", "C/X.mov"].map((f) => join(root, f)),
      output_directory: "{source_dir}/Proxy",
    }, "clash.json");
    expect(r).toContain(
      `sources[1]: output '${root}/A/Proxy/g001.mov' collides with the output of sources[0] (paths are compared ignoring case); add {index} or {source_name} to naming_template`,
    );
    expect(r).toContain(`sources[3]: output '${root}/B/Proxy/X.mov' collides with the output of sources[2]`);
    expect(r).not.toContain("sources[4]"); // C/Proxy/X.mov: same name, its own folder
  });
});

describe("makeFolderBelow: the run-time step (execute.ts makeOutputFolder)", () => {
  const platform = bunPlatform();

  test("creates every level below the base, and nothing when it is there", async () => {
    const base = join(work, "mk");
    mkdirSync(base);
    await makeFolderBelow(platform, base, join(base, "Day01/CamA/Proxy"));
    expect(existsSync(join(base, "Day01/CamA/Proxy"))).toBe(true);
    await makeFolderBelow(platform, base, join(base, "Day01/CamA/Proxy"));
  });

  test("re-checks the disk: a link swapped in after validation, a file in the way, a missing base", async () => {
    const base = join(work, "mk2");
    mkdirSync(base);
    const outside = join(work, "mk2-outside");
    mkdirSync(outside);
    symlinkSync(outside, join(base, "Day01"));
    await expect(makeFolderBelow(platform, base, join(base, "Day01/CamA"))).rejects.toThrow(
      `${base}/Day01 is a symbolic link to ${outside}, outside ${base}`,
    );
    expect(readdirSync(outside)).toEqual([]);
    writeFileSync(join(base, "Day02"), "not a folder");
    await expect(makeFolderBelow(platform, base, join(base, "Day02/CamA"))).rejects.toThrow(
      `${base}/Day02 exists and is not a folder`,
    );
    await expect(makeFolderBelow(platform, join(work, "gone"), join(work, "gone/x"))).rejects.toThrow(
      "proxx creates folders only below one that exists",
    );
    expect(existsSync(join(work, "gone"))).toBe(false);
    await expect(makeFolderBelow(platform, base, join(work, "mk3"))).rejects.toThrow("is not inside");
  });
});

describe("in a watch folder, and without a token", () => {
  test("a --mirror-to JobSpec dropped with --into is run by `proxx watch --once` like any other", () => {
    const root = card("cardW", ["Day01/CamA/W001.mov", "Day02/W002.mov"]);
    mkdirSync(join(work, "mirrorW"));
    mkdirSync(join(work, "jobsW"));
    const made = proxx(
      ["new", "-s", "cardW/**/*.mov", "--mirror-to", "mirrorW", "--codec", "h264", "--job-id", "w", "--into", "jobsW"],
      { cwd: work },
    );
    expect(made.code).toBe(0);
    const watched = proxx(["watch", "jobsW", "--once", "--settle-seconds", "0", "--quiet"], { cwd: work });
    expect(watched.code).toBe(0);
    expect(tree(join(work, "mirrorW"))).toEqual(["Day01/CamA/W001_proxy.mp4", "Day02/W002_proxy.mp4"]);
    expect(JSON.parse(readFileSync(join(work, "jobsW/w.result.json"), "utf8")).final_status).toBe("COMPLETED");
    expect(tags(join(work, "mirrorW/Day01/CamA/W001_proxy.mp4")).codec).toBe("h264");
    expect(tree(root)).toEqual(["Day01/CamA/W001.mov", "Day02/W002.mov"]); // the card is untouched
  });

  test("no token: validate --json has exactly the keys it had, and the folder must exist as before", () => {
    mkdirSync(join(work, "flat"));
    const file = writeJob("flat.json", {
      sources: [join(work, "cardW/Day02/W002.mov")],
      output_directory: "flat",
      naming_template: "{source_name}",
      ...settings,
    });
    const json = JSON.parse(proxx(["validate", file, "--json"]).stdout);
    expect(Object.keys(json)).toEqual(["file", "valid", "job_id", "errors", "outputs"]);
    expect(json.outputs).toEqual([join(work, "flat/W002.mov")]);
    const text = proxx(["validate", file]).stdout;
    expect(text).not.toContain("output folder(s)");
    rmSync(join(work, "flat"), { recursive: true });
    expect(proxx(["validate", file]).stderr).toContain(
      `output_directory: directory does not exist: ${work}/flat (create it first)`,
    );
  });
});
