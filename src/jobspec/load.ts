/**
 * Read and check a JobSpec file: bytes → UTF-8 → JSON → schema → rules → paths and names.
 * Every problem is reported at once with its field path (`sources[2]: file does not exist`),
 * so an operator fixes the file in one edit rather than one error per run.
 */
import * as path from "node:path";
import type { Platform } from "../platform/types.ts";
import type { ValidationIssue } from "../engine/result.ts";
import { sha256Hex } from "../util/sha256.ts";
import { type JobSpec, JobSpecSchema, KNOWN_FIELDS } from "./schema.ts";
import { checkRules } from "./rules.ts";
import { checkPathsOnDisk, type ResolvedJob, resolveJob } from "./resolve.ts";
import { didYouMean } from "./suggest.ts";
import { checkLutFiles } from "../looks/lut.ts";

export type LoadOutcome =
  | { ok: true; spec: JobSpec; job: ResolvedJob }
  /** `unreadable`: the file could not be read at all (an environment problem, exit 4). */
  | { ok: false; kind: "unreadable" | "invalid"; job_id: string; issues: ValidationIssue[] };

export interface LoadOptions {
  startedAtMs: number;
  /** Skip the on-disk checks (sources exist, output folder exists): `proxx validate --no-paths`. */
  checkPaths?: boolean;
}

/** `job_id` when the JobSpec has none: derived from its bytes, so re-runs name files identically. */
export async function defaultJobId(bytes: Uint8Array): Promise<string> {
  return (await sha256Hex(bytes)).slice(0, 8);
}

export async function loadJobSpec(platform: Platform, jobspecPath: string, options: LoadOptions): Promise<LoadOutcome> {
  const absolutePath = path.resolve(platform.cwd(), jobspecPath);
  let bytes: Uint8Array;
  try {
    bytes = await platform.readFile(absolutePath);
  } catch (error) {
    return {
      ok: false,
      kind: "unreadable",
      job_id: "unknown",
      issues: [{ path: "(file)", message: `cannot read ${absolutePath}: ${(error as Error).message}` }],
    };
  }
  return checkJobSpecBytes(platform, bytes, absolutePath, options);
}

export async function checkJobSpecBytes(
  platform: Platform,
  bytes: Uint8Array,
  absolutePath: string,
  options: LoadOptions,
): Promise<LoadOutcome> {
  const fallbackId = await defaultJobId(bytes);
  const checkPaths = options.checkPaths !== false;
  const fail = (issues: ValidationIssue[], jobId = fallbackId): LoadOutcome => ({
    ok: false,
    kind: "invalid",
    job_id: jobId,
    issues,
  });

  const parsed = parseJson(bytes);
  if ("error" in parsed) return fail([{ path: "(file)", message: parsed.error }]);
  const raw = parsed.value;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    const kind = Array.isArray(raw) ? "an array" : raw === null ? "null" : `a ${typeof raw}`;
    return fail([{ path: "(root)", message: `must be a JSON object with the JobSpec fields, got ${kind}` }]);
  }
  const record = raw as Record<string, unknown>;
  const givenId = JobSpecSchema.shape.job_id.safeParse(record.job_id);
  const jobId = givenId.success && givenId.data !== undefined ? givenId.data : fallbackId;

  const result = JobSpecSchema.safeParse(record);
  if (!result.success) {
    const issues = describeIssues(result.error.issues, record);
    const ruleIssues = rulesOnValidFields(record, issues);
    return fail([...issues, ...ruleIssues, ...(await pathsOfValidFields([...issues, ...ruleIssues]))], jobId);
  }

  const spec = result.data;
  const rules = checkRules(spec);
  if (!rules.settings) {
    // The LUT files too, except those whose field was already reported.
    const flagged = new Set(rules.issues.map((i) => i.path));
    const luts = checkPaths ? await checkLutFiles(platform, spec, path.dirname(absolutePath)) : [];
    return fail(
      [...rules.issues, ...(await pathsOfValidFields(rules.issues)), ...luts.filter((i) => !flagged.has(i.path))],
      jobId,
    );
  }

  const resolved = await resolveJob(platform, spec, rules.settings, {
    jobId,
    jobspecPath: absolutePath,
    baseDir: path.dirname(absolutePath),
    startedAtMs: options.startedAtMs,
    checkPaths,
  });
  if (!resolved.job) return fail(resolved.issues, jobId);
  return { ok: true, spec, job: resolved.job };

  /**
   * Other fields are wrong: still check on disk the paths that are well-formed, so a typo in
   * `codec` and a missing source are reported in the same run.
   */
  async function pathsOfValidFields(reported: ValidationIssue[]): Promise<ValidationIssue[]> {
    if (!checkPaths) return [];
    const flagged = new Set(reported.map((i) => i.path));
    const wellFormed = (value: unknown, where: string) =>
      typeof value === "string" && value !== "" && !value.includes("\0") && !flagged.has(where) ? value : null;
    const sources = Array.isArray(record.sources) && !flagged.has("sources")
      ? record.sources.map((s, i) =>
        wellFormed(
          s && typeof s === "object" && !Array.isArray(s) ? (s as { path?: unknown }).path : s,
          `sources[${i}]`,
        )
      )
      : [];
    const found = await checkPathsOnDisk(
      platform,
      path.dirname(absolutePath),
      sources,
      wellFormed(record.output_directory, "output_directory"),
    );
    return found.filter((i) => !flagged.has(i.path));
  }
}

/**
 * zod's issues as proxx words them: the unknown keys (with a did-you-mean) and the missing
 * required fields each as one `(root)` line, first; then one line per field problem.
 */
function describeIssues(zodIssues: readonly ZodIssueLike[], record: Record<string, unknown>): ValidationIssue[] {
  const root: ValidationIssue[] = [];
  const fields: ValidationIssue[] = [];
  const missing: string[] = [];
  for (const raw of zodIssues) {
    const issue = unionBranch(raw, record);
    if (issue.code === "unrecognized_keys" && issue.path.length > 0) {
      // Inside a source object or a lut_rules entry (the JobSpec's own fields are handled below).
      fields.push({
        path: formatPath(issue.path),
        message: `unknown key(s): ${[...issue.keys!].sort().map((k) => `'${k}'`).join(", ")}`,
      });
    } else if (issue.code === "unrecognized_keys") {
      const hints = [...issue.keys!].sort().map((k) =>
        `'${k}'${didYouMean(k, KNOWN_FIELDS).replace(/^; /, " (").replace(/\?$/, "?)")}`
      );
      root.push({
        path: "(root)",
        message: `unknown field(s): ${hints.join(", ")}; known fields: ${KNOWN_FIELDS.join(", ")}`,
      });
    } else if (issue.path.length === 1 && record[issue.path[0] as string] === undefined) {
      missing.push(String(issue.path[0]));
    } else {
      fields.push({ path: formatPath(issue.path), message: describeIssue(issue, record) });
    }
  }
  if (missing.length > 0) {
    root.push({ path: "(root)", message: `missing required field(s): ${missing.sort().join(", ")}` });
  }
  return [...root, ...fields];
}

/**
 * A value that may be written two ways (a source: a path or `{ "path", "lut" }`) failed both:
 * report the problem of the form it was written in (an object's bad field, with its path),
 * not "Invalid input"; a value of neither form gets one message naming both.
 */
function unionBranch(issue: ZodIssueLike, record: Record<string, unknown>): ZodIssueLike {
  if (issue.code !== "invalid_union" || !issue.errors) return issue;
  const written = issue.errors.find((branch) => !(branch[0]?.code === "invalid_type" && branch[0].path.length === 0));
  if (written?.[0]) return { ...written[0], path: [...issue.path, ...written[0].path] };
  let value: unknown = record;
  for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  return {
    ...issue,
    code: "custom",
    message: `must be a path or an object like {"path": "A001.mov", "lut": "look.cube"}, got ${typeName(value)}`,
    custom: true,
  };
}

/**
 * When some fields fail the schema, still check the cross-field rules on the fields that
 * passed, so that one run reports every problem (the operator fixes the file once).
 */
function rulesOnValidFields(record: Record<string, unknown>, reported: ValidationIssue[]): ValidationIssue[] {
  const bad = new Set(reported.map((i) => i.path.split(/[.[]/)[0]));
  const lenient: Record<string, unknown> = { fps_mode: "same-as-source" };
  for (const [key, value] of Object.entries(record)) {
    if (bad.has(key) || !Object.hasOwn(JobSpecSchema.shape, key)) continue;
    const field = JobSpecSchema.shape[key as keyof typeof JobSpecSchema.shape].safeParse(value);
    if (field.success) lenient[key] = field.data;
  }
  // Only strings: String() of a deeply nested array recurses and can overflow the stack.
  if (!Array.isArray(lenient.sources)) {
    lenient.sources = Array.isArray(record.sources)
      ? record.sources.map((s) => (typeof s === "string" ? s : typeof s?.path === "string" ? s.path : ""))
      : [];
  }
  if (typeof lenient.naming_template !== "string") lenient.naming_template = "{index}";
  return checkRules(lenient as JobSpec, { schemaFailed: true }).issues.filter((i) => !bad.has(i.path.split(/[.[]/)[0]));
}

function parseJson(bytes: Uint8Array): { value: unknown } | { error: string } {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { error: "is not valid UTF-8 text; save the JobSpec as UTF-8" };
  }
  // A UTF-8 byte-order mark (Windows Notepad) is harmless; JSON.parse would reject it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === "") return { error: "is empty; a JobSpec is a JSON object" };
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { error: `is not valid JSON: ${(error as Error).message}` };
  }
}

/** `["sources", 2]` → `sources[2]` */
export function formatPath(segments: readonly PropertyKey[]): string {
  if (segments.length === 0) return "(root)";
  return segments
    .map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? String(s) : `.${String(s)}`))
    .join("");
}

interface ZodIssueLike {
  code: string;
  /** invalid_union: each branch's issues. */
  errors?: ZodIssueLike[][];
  /** Set by unionBranch: the message is complete as it is. */
  custom?: boolean;
  keys?: string[];
  path: PropertyKey[];
  message: string;
  values?: unknown[];
  expected?: string;
  input?: unknown;
}

function describeIssue(issue: ZodIssueLike, input: Record<string, unknown>): string {
  if (issue.custom) return issue.message;
  let value: unknown = input;
  for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  const shown = preview(value);
  const custom = !issue.message.startsWith("Invalid");
  if (issue.code === "invalid_value" && issue.values && !custom) {
    const options = issue.values.map(String);
    const hint = typeof value === "string" ? didYouMean(value, options) : "";
    return `${shown} is not one of ${options.join(", ")}${hint}`;
  }
  if (issue.code === "invalid_type" && !custom) {
    return `must be ${article(issue.expected ?? "a valid value")}, got ${typeName(value)}`;
  }
  return `${issue.message} (got ${shown})`;
}

/**
 * At most 80 characters of the offending value. JSON.stringify alone overflows the stack on
 * a deeply nested value (`[[[[…]]]]` 100,000 deep parses fine), which made a hostile
 * JobSpec crash validation instead of being reported (found by scripts/fuzz.ts).
 */
function preview(value: unknown): string {
  const hidden = Array.isArray(value) ? "[…] (too deeply nested to show)" : "{…} (too deeply nested to show)";
  // Checked first, iteratively: letting JSON.stringify hit the stack limit costs ~1 s.
  if (nestedDeeperThan(value, 64)) return hidden;
  try {
    return JSON.stringify(value)?.slice(0, 80) ?? "undefined";
  } catch {
    return hidden;
  }
}

function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let visited = 0; stack.length > 0; visited++) {
    const [v, depth] = stack.pop()!;
    if (depth > limit || visited > 100_000) return true;
    if (v && typeof v === "object") { for (const child of Object.values(v)) stack.push([child, depth + 1]); }
  }
  return false;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}
