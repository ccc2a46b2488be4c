/**
 * Turn a checked JobSpec into the concrete plan the executor runs: absolute source paths,
 * final output paths, effective codec settings. Everything that can be known before FFmpeg
 * starts is checked here, so that a job never fails half-way for a reason it could have
 * been refused for (missing source, name collision, output escaping its folder).
 *
 * Relative paths resolve against the folder of the JobSpec file, not the working
 * directory: a watch folder run from cron or systemd must mean the same files as a run
 * by hand (the original resolved against the working directory).
 */
import * as path from "node:path";
import type { Platform } from "../platform/types.ts";
import type { ValidationIssue } from "../engine/result.ts";
import { type JobSpec, resolutionText } from "./schema.ts";
import type { EffectiveSettings } from "./rules.ts";
import { collisionKey, resolveName } from "./naming.ts";

export interface ResolvedClip {
  index: number;
  source_path: string;
  output_path: string;
}

export interface ResolvedJob extends EffectiveSettings {
  job_id: string;
  jobspec_path: string | null;
  clips: ResolvedClip[];
  started_at_ms: number;
}

/**
 * Longest output file name: 255 bytes (ext4, APFS, NTFS) minus what the executor's temp name
 * `.<name>.proxx-partial` adds. Longer names passed validation and then failed in FFmpeg
 * (or in posix_spawn with E2BIG for megabyte names) — found by scripts/fuzz.ts.
 */
export const MAX_OUTPUT_NAME_BYTES = 255 - ".".length - ".proxx-partial".length;

export interface ResolveContext {
  jobId: string;
  jobspecPath: string | null;
  /** Folder that relative paths in the JobSpec are relative to. */
  baseDir: string;
  startedAtMs: number;
  /** false: no on-disk checks (sources exist, output folder exists): `proxx validate --no-paths`. */
  checkPaths: boolean;
}

/**
 * The on-disk checks: each source exists and is a file, the output folder exists and is a
 * folder. `null` entries (fields that already failed the schema) are not checked. Used by
 * `resolveJob`, and by the loader when other fields are wrong too, so one run reports every
 * problem of the file.
 */
export async function checkPathsOnDisk(
  platform: Platform,
  baseDir: string,
  sources: readonly (string | null)[],
  outputDirectory: string | null,
): Promise<ValidationIssue[]> {
  const issues: ValidationIssue[] = [];
  // stat throws for ENAMETOOLONG, EACCES, ELOOP...: that is a finding about the path, not a crash.
  const statOf = async (p: string, where: string) => {
    try {
      return await platform.stat(p);
    } catch (error) {
      issues.push({ path: where, message: `cannot be checked: ${(error as Error).message.slice(0, 200)}` });
      return undefined;
    }
  };
  for (const [i, relative] of sources.entries()) {
    if (relative === null) continue;
    const source = path.resolve(baseDir, relative);
    const stat = await statOf(source, `sources[${i}]`);
    if (stat === null) issues.push({ path: `sources[${i}]`, message: `file does not exist: ${source}` });
    else if (stat && !stat.isFile) issues.push({ path: `sources[${i}]`, message: `is not a file: ${source}` });
  }
  if (outputDirectory === null) return issues;
  const outputDir = path.resolve(baseDir, outputDirectory);
  const dirStat = await statOf(outputDir, "output_directory");
  if (dirStat === null) {
    issues.push({ path: "output_directory", message: `directory does not exist: ${outputDir} (create it first)` });
  } else if (dirStat && !dirStat.isDirectory) {
    issues.push({ path: "output_directory", message: `is not a directory: ${outputDir}` });
  }
  return issues;
}

/** Check paths on disk and resolve output names; collects every problem before returning. */
export async function resolveJob(
  platform: Platform,
  spec: JobSpec,
  settings: EffectiveSettings,
  ctx: ResolveContext,
): Promise<{ job: ResolvedJob | null; issues: ValidationIssue[] }> {
  const absolute = (p: string) => path.resolve(ctx.baseDir, p);
  const sources = spec.sources.map(absolute);
  const outputDir = absolute(spec.output_directory);
  const issues = ctx.checkPaths
    ? await checkPathsOnDisk(platform, ctx.baseDir, spec.sources, spec.output_directory)
    : [];

  const clips: ResolvedClip[] = [];
  const seen = new Map<string, number>();
  const sourceKeys = new Map(sources.map((s, i) => [collisionKey(s), i]));
  // Symlinked sources (and a symlinked output folder) are followed, so compare the real
  // files too: a source linked from the output folder must not be replaced by its proxy.
  const realOf = async (p: string) => {
    try {
      return await platform.realPath(p);
    } catch {
      return null;
    }
  };
  // Only needed when something already exists at an output name (a proxy can only replace
  // a source that exists), so a job of 40,000 new clips does not pay 40,000 realpath calls.
  let real: { sourceKeys: Map<string, number>; outputDir: string | null } | null = null;
  const realPaths = async () => {
    if (real) return real;
    const sourceKeys = new Map<string, number>();
    for (const [i, source] of sources.entries()) {
      const r = await realOf(source);
      if (r && !sourceKeys.has(collisionKey(r))) sourceKeys.set(collisionKey(r), i);
    }
    return (real = { sourceKeys, outputDir: await realOf(outputDir) });
  };
  const existsAt = async (p: string) => {
    // Not looking: assume it may exist, so a name that would replace a source is still caught.
    if (!ctx.checkPaths) return true;
    try {
      return (await platform.stat(p)) !== null;
    } catch {
      return false;
    }
  };
  for (const [index, source] of sources.entries()) {
    const name = resolveName(spec.naming_template, {
      sourcePath: source,
      index,
      jobId: ctx.jobId,
      codec: settings.codec,
      resolution: resolutionText(settings.resolution),
      startedAtMs: ctx.startedAtMs,
    });
    const fileName = `${name}.${settings.container}`;
    const output = path.join(outputDir, fileName);
    const where = `sources[${index}]`;
    if (name === "" || name === "." || name === ".." || path.dirname(output) !== outputDir) {
      issues.push({
        path: where,
        message: `naming_template gives the name '${fileName}', which is not a file inside output_directory`,
      });
      continue;
    }
    const nameBytes = new TextEncoder().encode(fileName).length;
    if (nameBytes > MAX_OUTPUT_NAME_BYTES) {
      issues.push({
        path: where,
        message: `naming_template gives a ${nameBytes}-byte file name ('${
          fileName.slice(0, 40)
        }…'); at most ${MAX_OUTPUT_NAME_BYTES} bytes fit (file systems allow 255, and the temp name adds ${
          255 - MAX_OUTPUT_NAME_BYTES
        })`,
      });
      continue;
    }
    const key = collisionKey(output);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      issues.push({
        path: where,
        message:
          `output name '${fileName}' collides with the output of sources[${earlier}] (names are compared ignoring case); add {index} or {source_name} to naming_template`,
      });
    }
    seen.set(key, index);
    let sourceIndex = sourceKeys.get(key);
    if (sourceIndex === undefined && await existsAt(output)) {
      const r = await realPaths();
      sourceIndex = r.outputDir ? r.sourceKeys.get(collisionKey(path.join(r.outputDir, fileName))) : undefined;
    }
    if (sourceIndex !== undefined) {
      issues.push({ path: where, message: `output '${output}' would overwrite sources[${sourceIndex}]` });
    }
    clips.push({ index, source_path: source, output_path: output });
  }

  if (issues.length > 0) return { job: null, issues };
  return {
    issues,
    job: {
      job_id: ctx.jobId,
      jobspec_path: ctx.jobspecPath,
      ...settings,
      clips,
      started_at_ms: ctx.startedAtMs,
    },
  };
}
