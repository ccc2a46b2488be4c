/**
 * Which LUT each clip gets, and the files FFmpeg reads for it (issue 16).
 *
 * A JobSpec gives a look in three places; the first that speaks for a clip wins:
 *   1. the clip's own `{ "path": …, "lut": … }` (null: no LUT for it);
 *   2. `lut_rules`: the first rule whose `match` holds for the clip's probed facts;
 *   3. the job's `lut` (or the original's name for it, `lut_id`).
 * `lut_applied: false` keeps every check but makes the proxies without a LUT.
 *
 * A value ending in `.cube` is a file (relative to the JobSpec's folder); anything else
 * must be a built-in camera transform's name (builtin-luts.ts). Files are read and checked
 * (cube.ts) before the job starts (resolve.ts), and again when the clip runs: the bytes
 * hashed into the result are the bytes FFmpeg is given. FFmpeg never reads the operator's
 * file itself: cube.ts rewrites it as one or two plain files (1D shaper, 3D cube) in the
 * cache (bundled-file.ts, cacheCopy), named by their content, so any LUT path works however
 * it is spelled and a file changed mid-job cannot differ from what was hashed.
 */
import * as path from "node:path";
import type { Platform } from "../platform/types.ts";
import type { ValidationIssue } from "../engine/result.ts";
import { segmentRegex } from "../jobspec/glob.ts";
import type { JobSpec, LutMatch, SourceEntry } from "../jobspec/schema.ts";
import { sha256Hex } from "../util/sha256.ts";
import { BUILTIN_LUT_NAMES, BUILTIN_LUTS, type BuiltinLutName, isBuiltinLut } from "./builtin-luts.ts";
import { bundledFilePath, cacheCopy } from "./bundled-file.ts";
import { CubeError, type CubeLut, ffmpegFiles, parseCube } from "./cube.ts";

/** The engines `lut_engine` may name (null means the same: FFmpeg). */
export const LUT_ENGINES = ["ffmpeg"] as const;

/** Larger .cube files are refused before reading (a 256³ cube is about 450 MB of text). */
export const MAX_LUT_BYTES = 512 * 1024 * 1024;

/** One LUT as the JobSpec names it, resolved: a built-in, or a file's absolute path. */
export interface LutRef {
  /** As written in the JobSpec. */
  label: string;
  builtin: BuiltinLutName | null;
  /** Absolute path of a .cube file; null for a built-in. */
  path: string | null;
}

export interface LookRule {
  match: LutMatch;
  lut: LutRef | null;
}

/** A job's looks, resolved (ResolvedJob.look); absent when the JobSpec sets no LUT field. */
export interface LookPlan {
  lut: LutRef | null;
  rules: LookRule[];
  /** false: `lut_applied: false`, LUTs checked but not applied. */
  apply: boolean;
}

/** Whether a LUT value names a file or a built-in, or why it is neither. */
export function lutKind(value: string): { builtin: BuiltinLutName } | { file: string } | { problem: string } {
  if (isBuiltinLut(value)) return { builtin: value };
  if (/\.cube$/i.test(value)) return { file: value };
  const close = BUILTIN_LUT_NAMES.filter((n) => n.split("_")[0] === value.toLowerCase().split(/[_\s-]/)[0]);
  return {
    problem: `'${value.slice(0, 80)}' is neither a .cube file nor a built-in LUT; ${
      /\.(3dl|dat|m3d|csp|spi3d|spi1d|clf|ctf)$/i.test(value)
        ? "proxx reads .cube LUTs only (convert it to .cube); "
        : ""
    }built-ins: ${(close.length > 0 ? close : BUILTIN_LUT_NAMES).join(", ")}`,
  };
}

/** Every place a JobSpec names a LUT, with its field path. */
export function lutValues(spec: Pick<JobSpec, "lut" | "lut_id" | "lut_rules" | "sources">): {
  where: string;
  value: string;
}[] {
  const found: { where: string; value: string }[] = [];
  if (spec.lut != null) found.push({ where: "lut", value: spec.lut });
  if (spec.lut_id != null && spec.lut_id !== spec.lut) found.push({ where: "lut_id", value: spec.lut_id });
  spec.sources.forEach((s, i) => {
    if (typeof s === "object" && s.lut != null) found.push({ where: `sources[${i}].lut`, value: s.lut });
  });
  (spec.lut_rules ?? []).forEach((r, i) => {
    if (r.lut != null) found.push({ where: `lut_rules[${i}].lut`, value: r.lut });
  });
  return found;
}

/** The LUT fields' problems that need no disk (rules.ts). */
export function lutFieldProblems(spec: JobSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (p: string, message: string) => issues.push({ path: p, message });
  if (spec.lut != null && spec.lut_id != null && spec.lut !== spec.lut_id) {
    add("lut_id", `'${spec.lut_id}' contradicts lut '${spec.lut}'; lut_id is the original's name for lut: give one`);
  }
  if (spec.lut_engine != null && !(LUT_ENGINES as readonly string[]).includes(spec.lut_engine)) {
    const resolve = /resolve|davinci/i.test(spec.lut_engine) ? "; DaVinci Resolve is not driven by proxx" : "";
    add(
      "lut_engine",
      `'${spec.lut_engine.slice(0, 40)}' is not a LUT engine proxx has: use "ffmpeg" or null${resolve}`,
    );
  }
  const values = lutValues(spec);
  for (const { where, value } of values) {
    const kind = lutKind(value);
    if ("problem" in kind) add(where, kind.problem);
  }
  if (spec.lut_applied === true && values.length === 0) {
    add("lut_applied", "is true, but no LUT is given: set lut (or lut_id), a source's lut, or lut_rules");
  }
  (spec.lut_rules ?? []).forEach((rule, i) => {
    if (rule.match.file_name?.includes("/")) {
      add(`lut_rules[${i}].match.file_name`, "matches the file name only; leave out the folders");
    }
  });
  return issues;
}

/** Whether the JobSpec sets any LUT field (otherwise the job has no look at all). */
export function hasLook(spec: JobSpec): boolean {
  return lutValues(spec).length > 0 || spec.lut_applied != null || (spec.lut_rules ?? []).length > 0;
}

function refOf(value: string, baseDir: string): LutRef {
  const kind = lutKind(value);
  if ("builtin" in kind) return { label: value, builtin: kind.builtin, path: null };
  return { label: value, builtin: null, path: path.resolve(baseDir, value) };
}

/** The job's looks and each source's own LUT (undefined: the source gives none), resolved against baseDir. */
export function resolveLooks(
  spec: JobSpec,
  baseDir: string,
): { plan: LookPlan | null; clipLuts: (LutRef | null | undefined)[] } {
  const clipLuts = spec.sources.map((s: SourceEntry) =>
    typeof s === "object" && s.lut !== undefined ? (s.lut === null ? null : refOf(s.lut, baseDir)) : undefined
  );
  if (!hasLook(spec)) return { plan: null, clipLuts };
  const job = spec.lut ?? spec.lut_id ?? null;
  return {
    plan: {
      lut: job != null ? refOf(job, baseDir) : null,
      rules: (spec.lut_rules ?? []).map((r) => ({ match: r.match, lut: r.lut != null ? refOf(r.lut, baseDir) : null })),
      apply: spec.lut_applied !== false,
    },
    clipLuts,
  };
}

/**
 * The on-disk check before the job starts: every LUT file named is read and checked
 * (cube.ts); an error names the field, the file and the line.
 */
export async function checkLutFiles(platform: Platform, spec: JobSpec, baseDir: string): Promise<ValidationIssue[]> {
  const issues: ValidationIssue[] = [];
  const checked = new Map<string, string | null>();
  for (const { where, value } of lutValues(spec)) {
    const ref = refOf(value, baseDir);
    if (!ref.path || "problem" in lutKind(value)) continue;
    if (!checked.has(ref.path)) {
      try {
        await readLut(platform, ref);
        checked.set(ref.path, null);
      } catch (error) {
        checked.set(ref.path, (error as Error).message);
      }
    }
    const problem = checked.get(ref.path);
    if (problem) issues.push({ path: where, message: problem });
  }
  return issues;
}

/** The facts a rule can match: what the probe found, and the source's path. */
export interface ClipFacts {
  source_path: string;
  color_transfer: string | null;
  camera_make: string | null;
  camera_model: string | null;
  reel_name: string | null;
}

/** `*` and `?` as wildcards, everything else literal, ignoring case (camera names have no glob syntax). */
function wildcard(pattern: string, value: string | null): boolean {
  if (value == null) return false;
  const source = [...pattern.normalize("NFC")].map((c) =>
    c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.*+?()[\]{}|/]/, "\\$&")
  ).join("");
  return new RegExp(`^${source}$`, "iu").test(value.trim().normalize("NFC"));
}

/** Whether every condition the rule gives holds for the clip. */
export function ruleMatches(match: LutMatch, facts: ClipFacts): boolean {
  const same = (a: string, b: string | null) => b != null && a.toLowerCase() === b.toLowerCase();
  if (match.color_transfer !== undefined && !same(match.color_transfer, facts.color_transfer)) return false;
  if (match.camera_make !== undefined && !wildcard(match.camera_make, facts.camera_make)) return false;
  if (match.camera_model !== undefined && !wildcard(match.camera_model, facts.camera_model)) return false;
  if (
    match.reel_prefix !== undefined &&
    !(facts.reel_name ?? "").toLowerCase().startsWith(match.reel_prefix.toLowerCase())
  ) return false;
  if (match.file_name !== undefined) {
    const name = facts.source_path.split(/[\\/]/).pop() ?? "";
    if (!segmentRegex(match.file_name, false).test(name.normalize("NFC"))) return false;
  }
  return true;
}

/** Which LUT the clip gets and why (for the log and the result), before lut_applied is considered. */
export function chooseLut(
  plan: LookPlan,
  clipLut: LutRef | null | undefined,
  facts: ClipFacts,
): { lut: LutRef | null; from: string } {
  if (clipLut !== undefined) return { lut: clipLut, from: "the source's lut" };
  const index = plan.rules.findIndex((r) => ruleMatches(r.match, facts));
  if (index >= 0) return { lut: plan.rules[index]!.lut, from: `lut_rules[${index}]` };
  return { lut: plan.lut, from: plan.lut ? "lut" : "no rule matched" };
}

/** A LUT read and checked: the bytes' SHA-256 and the parsed tables. */
export interface LoadedLut {
  ref: LutRef;
  sha256: string;
  lut: CubeLut;
}

/** Read a LUT (file or built-in) and check it; throws with the file and line in the message. */
export async function readLut(platform: Platform, ref: LutRef): Promise<LoadedLut> {
  let file: string;
  let bytes: Uint8Array;
  if (ref.builtin) {
    file = await bundledFilePath(platform, BUILTIN_LUTS[ref.builtin].file);
    bytes = await platform.readFile(file);
  } else {
    file = ref.path!;
    const stat = await platform.stat(file).catch((e: Error) => {
      throw new Error(`cannot read the LUT ${file}: ${e.message}`);
    });
    if (stat === null) throw new Error(`LUT file does not exist: ${file}`);
    if (!stat.isFile) throw new Error(`LUT is not a file: ${file}`);
    if (stat.size > MAX_LUT_BYTES) {
      throw new Error(`${file}: ${stat.size} bytes is too large for a LUT (at most 512 MB)`);
    }
    try {
      bytes = await platform.readFile(file);
    } catch (error) {
      throw new Error(`cannot read the LUT ${file}: ${(error as Error).message}`);
    }
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new CubeError(file, 0, "is not text (a .cube LUT is UTF-8 or ASCII text)");
  }
  return { ref, sha256: await sha256Hex(bytes), lut: parseCube(text, file) };
}

/** The files FFmpeg reads for one clip's LUT (paths in the cache), with what the result records. */
export interface ClipLook {
  label: string;
  sha256: string;
  lut1d: string | null;
  lut3d: string | null;
}

/** Read, check and write the clip's LUT as the files FFmpeg is given. */
export async function prepareLut(platform: Platform, ref: LutRef): Promise<ClipLook> {
  const loaded = await readLut(platform, ref);
  const files = ffmpegFiles(loaded.lut);
  const encode = (text: string) => new TextEncoder().encode(text);
  return {
    label: ref.label,
    sha256: loaded.sha256,
    lut1d: files.lut1d != null ? await cacheCopy(platform, "lut1d.cube", encode(files.lut1d)) : null,
    lut3d: files.lut3d != null ? await cacheCopy(platform, "lut3d.cube", encode(files.lut3d)) : null,
  };
}
