/**
 * Naming templates: `{source_name}_proxy_{index}` → `clip_a_proxy_000` (+ `.mov`).
 *
 * Differences from the original, on purpose: a token value can never add a path separator
 * (a `/` in a clip name does not make subfolders or escape the output directory), no
 * `__` collapsing, and `{date}`/`{time}` come from the job's start in UTC so that the same
 * job gives the same names on every machine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const ctx = { sourcePath: "/in/clip_a.mov", index: 0, jobId: "j", codec: "h264", resolution: "half",
 *   startedAtMs: Date.UTC(2025, 11, 28, 12) };
 * assert.equal(resolveName("{source_name}_proxy_{index}", ctx), "clip_a_proxy_000");
 * assert.equal(resolveName("{date}_{source_name}", ctx), "20251228_clip_a");
 * ```
 */
import * as path from "node:path";

export const TOKENS = [
  "source_name",
  "source_ext",
  "job_id",
  "date",
  "time",
  "index",
  "codec",
  "resolution",
] as const;
export type Token = (typeof TOKENS)[number];

export interface NamingContext {
  sourcePath: string;
  index: number;
  jobId: string;
  codec: string;
  resolution: string;
  /** Job start, epoch ms; rendered in UTC. */
  startedAtMs: number;
}

/**
 * Longest template checked token by token. No useful template comes near it: the name it
 * gives must fit in 240 bytes, and every token but {source_ext} adds at least one character.
 * Found by scripts/fuzz.ts: a 7 MB template of `{index}` took ~1 s to validate (near its
 * 2 s stall limit), and `{x}` × 300,000 gave 300,000 issues (a 47 MB `validate --json` line).
 */
export const MAX_TEMPLATE_CHARS = 1024;

/** Distinct unknown tokens named one by one; the rest are counted. */
const MAX_UNKNOWN_NAMED = 10;

/** Problems with the template itself, independent of any source (empty list when fine). */
export function templateProblems(template: string, sourceCount: number): string[] {
  if (template.length > MAX_TEMPLATE_CHARS) {
    return [
      `is ${template.length} characters long; at most ${MAX_TEMPLATE_CHARS} (a proxy file name has to fit in 240 bytes)`,
    ];
  }
  const problems: string[] = [];
  const unknown = new Set<string>();
  const stripped = template.replace(/\{([^{}]*)\}/g, (_m, name: string) => {
    if (!(TOKENS as readonly string[]).includes(name)) unknown.add(name);
    return "";
  });
  // Each distinct unknown token once: a repeated typo is one problem, not one per occurrence.
  for (const name of [...unknown].slice(0, MAX_UNKNOWN_NAMED)) {
    problems.push(`unknown token {${name}}; known tokens: ${TOKENS.map((t) => `{${t}}`).join(", ")}`);
  }
  if (unknown.size > MAX_UNKNOWN_NAMED) problems.push(`and ${unknown.size - MAX_UNKNOWN_NAMED} more unknown token(s)`);
  if (/[{}]/.test(stripped)) problems.push("has an unbalanced '{' or '}'");
  if (/[/\\]/.test(template)) {
    problems.push("must not contain '/' or '\\': proxies are written directly into output_directory");
  }
  // deno-lint-ignore no-control-regex -- control characters are what this looks for
  if (/[\0-\x1f]/.test(template)) problems.push("must not contain control characters");
  if (sourceCount > 1 && !template.includes("{index}") && !template.includes("{source_name}")) {
    problems.push(
      "must contain {index} or {source_name} when there is more than one source, or every clip gets the same name",
    );
  }
  return problems;
}

/** File name without the last extension, and the extension without its dot. */
export function splitName(filePath: string): { name: string; ext: string } {
  // The host's own separator: on POSIX a backslash is an ordinary file-name character.
  const base = path.basename(filePath);
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return { name: base, ext: "" };
  return { name: base.slice(0, dot), ext: base.slice(dot + 1) };
}

/** Token values may not carry separators or control characters into a file name. */
function sanitize(value: string): string {
  // deno-lint-ignore no-control-regex -- control characters are what this replaces
  return value.replace(/[/\\\0-\x1f]/g, "_");
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

export function tokenValues(ctx: NamingContext): Record<Token, string> {
  const { name, ext } = splitName(ctx.sourcePath);
  const d = new Date(ctx.startedAtMs);
  return {
    source_name: name,
    source_ext: ext,
    job_id: ctx.jobId,
    date: `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`,
    time: `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}`,
    index: pad(ctx.index, 3),
    codec: ctx.codec,
    resolution: ctx.resolution,
  };
}

/** The output file name without extension. Assumes `templateProblems` found nothing. */
export function resolveName(template: string, ctx: NamingContext): string {
  const values = tokenValues(ctx);
  return template.replace(/\{([a-z_]+)\}/g, (_m, token: Token) => sanitize(values[token]));
}

/** Key for collision checks: editors and macOS/Windows filesystems fold case and Unicode form. */
export function collisionKey(fileName: string): string {
  return fileName.normalize("NFC").toLowerCase();
}
