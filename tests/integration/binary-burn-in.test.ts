/**
 * The compiled binary draws burn-ins with the font embedded in it: FFmpeg cannot read the
 * binary's `/$bunfs` files, so the binary hands it a cache copy in the temp folder, and the
 * proxy is, frame for frame, the one proxx makes from source with node_modules' font.
 *
 * Needs dist/proxx-<os>-<arch> (`bun scripts/build.ts --target linux-x64`), fresh; skipped
 * otherwise, except with PROXX_REQUIRE_BINARY=1 (as binary-smoke.test.ts).
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAIN, REPO, tempDir } from "../helpers/cli.ts";
import { BINARY, binaryPresent } from "../helpers/binary.ts";
import { makeClip } from "../helpers/media.ts";

const present = binaryPresent("binary-burn-in");

function frameHashes(file: string): string[] {
  const r = spawnSync("ffmpeg", ["-v", "error", "-i", file, "-map", "0:v:0", "-f", "framemd5", "-"], {
    encoding: "utf8",
  });
  return r.stdout.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(",").at(-1)!.trim());
}

describe.skipIf(!present)("burn-ins from the compiled binary", () => {
  test("use the embedded font through a cache copy, and match the proxy made from source", () => {
    const dir = tempDir("proxx-binary-burn-");
    const source = makeClip(dir, "A001.mov", { fps: "30000/1001", seconds: 1, timecode: "01:00:00;00" });
    const run = (argv: string[], name: string) => {
      const out = join(dir, name);
      const tmp = join(dir, `tmp-${name}`);
      mkdirSync(out);
      mkdirSync(tmp);
      const job = join(dir, `${name}.json`);
      writeFileSync(
        job,
        JSON.stringify({
          sources: [source],
          output_directory: out,
          codec: "prores_proxy",
          container: "mov",
          resolution: "same",
          naming_template: "{source_name}",
          burn_in: [{ text: "{source_name} {timecode}", position: "bottom" }],
          watermark: { text: "CONFIDENTIAL" },
        }),
      );
      const r = spawnSync(argv[0]!, [...argv.slice(1), "run", "--json", job], {
        encoding: "utf8",
        env: { ...process.env, TMPDIR: tmp, NO_COLOR: "1" },
      });
      const clip = JSON.parse(r.stdout).clips[0];
      return { clip, tmp };
    };
    const binary = run([BINARY], "binary");
    const fromSource = run([process.execPath, MAIN], "source");
    expect([binary.clip.status, fromSource.clip.status]).toEqual(["COMPLETED", "COMPLETED"]);
    // The test's temp folder has no character the graph escapes, so the path is as written.
    const font = /fontfile=(.*?):textfile=/.exec(binary.clip.ffmpeg_command.join(" "))![1]!;
    expect(font.startsWith(join(binary.tmp, "proxx-files"))).toBe(true);
    const shipped = readFileSync(join(REPO, "node_modules/dejavu-fonts-ttf/ttf/DejaVuSansMono.ttf"));
    expect(readFileSync(font).equals(shipped)).toBe(true);
    expect(frameHashes(binary.clip.resolved_output_path)).toEqual(frameHashes(fromSource.clip.resolved_output_path));
  }, 60_000);
});
