#!/usr/bin/env bun
/**
 * Bake proxx's built-in camera LUTs (log → Rec.709) from OpenColorIO's built-in transforms.
 *
 *   bun scripts/bake-luts.ts            write src/looks/builtin/*.cube and PROVENANCE.md
 *   bun scripts/bake-luts.ts --check    bake to a temp folder and compare (exit 1 when different)
 *
 * Needs `ociobakelut` (Debian `opencolorio-tools`, OpenColorIO 2.1). OCIO 2.1 has no
 * `ocio://` built-in configs (2.2+), so the script writes a small config whose colour
 * spaces are `BuiltinTransform`s and bakes each camera space against one output space:
 *
 *   input:  the value FFmpeg hands the LUT → the camera's code value, then the camera's
 *           BuiltinTransform `<CAMERA>_to_ACES2065-1` (log curve + gamut matrix);
 *   output: `ACES-OUTPUT - ACES2065-1_to_CIE-XYZ-D65 - SDR-VIDEO_1.0` (the ACES 1.0 SDR video
 *           output transform: tone scale and gamut) then `DISPLAY - CIE-XYZ-D65_to_REC.1886-REC.709`.
 *
 * Why the first step: the vendors' curves and OCIO's transforms take the code value
 * normalised to full range (10-bit code / 1023: S-Log3 18 % grey is code 420 → 0.4106), but
 * a camera file stores those codes in limited-range YUV, and FFmpeg's YUV→RGB conversion
 * gives (code − 64) / 876 (code 420 → 0.4064; S-Log3's black, code 95, → 0.035 instead of
 * 0.093). So the LUT's input is mapped back, v → (876 v + 64) / 1023, as Resolve does with
 * a "video levels" clip. Without it shadows would be crushed and grey a little dark.
 *
 * The baked file is ociobakelut's output with a TITLE and comment lines before it, so the
 * check is a byte comparison. Vendors' own LUT files are not used (their licences do not
 * allow redistribution).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BUILTIN_LUTS } from "../src/looks/builtin-luts.ts";

const REPO = resolve(import.meta.dir, "..");
export const BUILTIN_DIR = join(REPO, "src/looks/builtin");
export const CUBE_SIZE = 33;

const OUTPUT_TRANSFORMS = [
  "ACES-OUTPUT - ACES2065-1_to_CIE-XYZ-D65 - SDR-VIDEO_1.0",
  "DISPLAY - CIE-XYZ-D65_to_REC.1886-REC.709",
];

/** FFmpeg's full-range RGB of a limited-range code → the code / 1023 the camera curves take. */
const SCALE = 876 / 1023;
const OFFSET = 64 / 1023;

/** The OCIO config: one colour space per built-in LUT, plus the output space. */
export function ocioConfig(): string {
  const lines = [
    "ocio_profile_version: 2.1",
    "roles:",
    "  default: aces2065-1",
    "  scene_linear: aces2065-1",
    "file_rules:",
    "  - !<Rule> {name: Default, colorspace: aces2065-1}",
    "displays:",
    "  Rec709:",
    "    - !<View> {name: ACES, colorspace: rec709_display}",
    "colorspaces:",
    "  - !<ColorSpace>",
    "    name: aces2065-1",
    "  - !<ColorSpace>",
    "    name: rec709_display",
    "    from_scene_reference: !<GroupTransform>",
    "      children:",
    ...OUTPUT_TRANSFORMS.map((style) => `        - !<BuiltinTransform> {style: "${style}"}`),
  ];
  const s = SCALE.toPrecision(17);
  const o = OFFSET.toPrecision(17);
  for (const [name, lut] of Object.entries(BUILTIN_LUTS)) {
    lines.push(
      "  - !<ColorSpace>",
      `    name: ${name}`,
      "    to_scene_reference: !<GroupTransform>",
      "      children:",
      `        - !<MatrixTransform> {matrix: [${s}, 0, 0, 0, 0, ${s}, 0, 0, 0, 0, ${s}, 0, 0, 0, 0, 1], offset: [${o}, ${o}, ${o}, 0]}`,
      `        - !<BuiltinTransform> {style: "${lut.ocioStyle}"}`,
    );
  }
  return lines.join("\n") + "\n";
}

export function ociobakelutVersion(): string | null {
  const probe = spawnSync("ociocheck", ["--help"], { encoding: "utf8" });
  const text = `${probe.stdout ?? ""}${probe.stderr ?? ""}`;
  const m = /OpenColorIO Library Version:\s*(\S+)/.exec(text) ?? /version\s+(\d+\.\d+\.\d+)/i.exec(text);
  if (m) return m[1]!;
  const dpkg = spawnSync("dpkg-query", ["-W", "-f", "${Version}", "opencolorio-tools"], { encoding: "utf8" });
  if (dpkg.status !== 0 || !dpkg.stdout) return null;
  return `${dpkg.stdout.replace(/\+.*$/, "")} (Debian opencolorio-tools ${dpkg.stdout})`;
}

export function hasOciobakelut(): boolean {
  return spawnSync("ociobakelut", ["--help"], { encoding: "utf8" }).error === undefined;
}

/** The argv of one bake (as PROVENANCE.md records it; `config.ocio` is ocioConfig()). */
export function bakeArgs(name: string, out: string): string[] {
  return [
    "--iconfig",
    "config.ocio",
    "--inputspace",
    name,
    "--outputspace",
    "rec709_display",
    "--format",
    "iridas_cube",
    "--cubesize",
    String(CUBE_SIZE),
    out,
  ];
}

/** The committed file's text for one LUT: TITLE and provenance comments, then ociobakelut's output. */
function fileText(name: string, baked: string): string {
  const lut = BUILTIN_LUTS[name as keyof typeof BUILTIN_LUTS];
  return [
    `TITLE "proxx ${name}"`,
    `# ${lut.description}`,
    `# Baked by scripts/bake-luts.ts with ociobakelut (OpenColorIO) from ${lut.ocioStyle}`,
    `# and ${OUTPUT_TRANSFORMS.join(" + ")}; input: FFmpeg's RGB of limited-range video.`,
    baked.trimEnd(),
    "",
  ].join("\n");
}

/** Bake every built-in LUT into `dir`; returns the file names written. */
export function bakeAll(dir: string): string[] {
  const work = mkdtempSync(join(tmpdir(), "proxx-bake-"));
  try {
    writeFileSync(join(work, "config.ocio"), ocioConfig());
    const written: string[] = [];
    for (const name of Object.keys(BUILTIN_LUTS)) {
      const raw = join(work, `${name}.cube`);
      const run = spawnSync("ociobakelut", bakeArgs(name, raw), { cwd: work, encoding: "utf8" });
      if (run.status !== 0) throw new Error(`ociobakelut failed for ${name}: ${run.stderr || run.stdout}`);
      writeFileSync(join(dir, `${name}.cube`), fileText(name, readFileSync(raw, "utf8")));
      written.push(`${name}.cube`);
    }
    return written;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function provenance(version: string | null): string {
  const rows = Object.entries(BUILTIN_LUTS).map(([name, lut]) =>
    `| \`${name}\` | ${lut.description} | \`${lut.ocioStyle}\` | \`ociobakelut ${
      bakeArgs(name, `${name}.cube`).join(" ")
    }\` |`
  );
  return `# Built-in LUTs: provenance

Generated by \`bun scripts/bake-luts.ts\` (do not edit the .cube files by hand; a test re-bakes
them when \`ociobakelut\` is installed and compares the bytes).

- Tool: \`ociobakelut\` from OpenColorIO ${version ?? "(version unknown)"}.
- Config: written by the script (\`ocioConfig()\` in scripts/bake-luts.ts): one colour space per LUT,
  a \`MatrixTransform\` (v → (876 v + 64) / 1023: FFmpeg's RGB of limited-range video back to the
  code value / 1023 the camera curves take) then the camera's \`BuiltinTransform\`; output space
  \`rec709_display\` = ${OUTPUT_TRANSFORMS.map((s) => `\`${s}\``).join(" then ")}.
- Format: \`iridas_cube\`, ${CUBE_SIZE}³, input domain 0–1.
- No vendor LUT files are used or shipped.

| File | Transform | OCIO built-in | Command (in the folder holding config.ocio) |
|---|---|---|---|
${rows.join("\n")}

Not included: ARRI LogC4 (not in OCIO 2.1); Rec.2100 HLG/PQ to SDR (OCIO 2.1 has the display
encodings but no HDR-to-SDR mapping of its own; a round trip through the inverse ACES HDR output
transform was not judged good enough to ship as a default).
`;
}

if (import.meta.main) {
  if (!hasOciobakelut()) {
    console.error("ociobakelut not found: install OpenColorIO's tools (Debian: apt-get install opencolorio-tools)");
    process.exit(2);
  }
  if (process.argv.includes("--check")) {
    const dir = mkdtempSync(join(tmpdir(), "proxx-bake-check-"));
    let same = true;
    for (const file of bakeAll(dir)) {
      const a = readFileSync(join(dir, file));
      const b = readFileSync(join(BUILTIN_DIR, file));
      if (!a.equals(b)) {
        same = false;
        console.error(`${file}: differs from the committed file`);
      }
    }
    rmSync(dir, { recursive: true, force: true });
    console.error(same ? "built-in LUTs match a fresh bake" : "built-in LUTs differ: run bun scripts/bake-luts.ts");
    process.exit(same ? 0 : 1);
  }
  mkdirSync(BUILTIN_DIR, { recursive: true });
  const files = bakeAll(BUILTIN_DIR);
  writeFileSync(join(BUILTIN_DIR, "PROVENANCE.md"), provenance(ociobakelutVersion()));
  console.error(`wrote ${files.length} LUTs and PROVENANCE.md to ${BUILTIN_DIR}`);
}
