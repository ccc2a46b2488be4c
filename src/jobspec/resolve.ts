/**
 * Turn a checked JobSpec into the concrete plan the executor runs: absolute source paths,
 * final output paths, effective codec settings. Everything that can be known before FFmpeg
 * starts is checked here, so that a job never fails half-way for a reason it could have
 * been refused for (missing source, name collision, output escaping its folder).
 *
 * Relative paths resolve against the folder of the JobSpec file, not the working
 * directory: a watch folder run from cron or systemd must mean the same files as a run
 * by hand (the original resolved against the working directory).
 *
 * With `{source_dir}` or `{source_rel_dir}` in output_directory each clip's folder is
 * resolved here too (placement.ts), checked on disk, and listed in `output_folders`; the
 * folders are created only when the job runs (execute.ts, makeOutputFolder).
 */
import * as path from "node:path";
import type { Platform } from "../platform/types.ts";
import type { ValidationIssue } from "../engine/result.ts";
import { type JobSpec, resolutionText, sourcePath } from "./schema.ts";
import { checkLutFiles, type LookPlan, type LutRef, resolveLooks } from "../looks/lut.ts";
import type { EffectiveSettings } from "./rules.ts";
import { collisionKey, resolveName } from "./naming.ts";
import { comparePaths } from "./glob.ts";
import {
  baseWords,
  checkFolderOnDisk,
  deepestCommonFolder,
  type FolderOnDisk,
  parsePlacement,
  placeFolder,
  type Placement,
  PLACEMENT_TOKENS,
} from "./placement.ts";

export interface ResolvedClip {
  index: number;
  source_path: string;
  output_path: string;
  /**
   * Only when output_directory has a placement token (placement.ts): the existing folder
   * that the output's folder is created below, right before the encode (makeFolderBelow).
   * Without a token the output folder must exist, as it always had to.
   */
  create_below?: string;
  /** Only when the source is written as an object with `lut`: its own LUT (null: none), before lut_rules and the job's. */
  lut?: LutRef | null;
}

/** A folder a placement token resolved to (`proxx validate` lists them). */
export interface ResolvedFolder {
  path: string;
  /** The existing folder it is created below, and may not leave. */
  base: string;
  /** Whether it exists now; null when not looked (`--no-paths`). */
  exists: boolean | null;
}

export interface ResolvedJob extends EffectiveSettings {
  job_id: string;
  jobspec_path: string | null;
  clips: ResolvedClip[];
  started_at_ms: number;
  /** Only with a placement token: every folder the outputs go to, sorted, each once. */
  output_folders?: ResolvedFolder[];
  /** Only with {source_rel_dir}: the folder source paths are taken relative to (given or the default). */
  source_root?: string;
  /** Only when the JobSpec sets a LUT field: the job's LUT, lut_rules and lut_applied (src/looks/lut.ts). */
  look?: LookPlan;
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
  const placement = parsePlacement(outputDirectory);
  if (placement) {
    // {source_dir}: the base is each source's folder, there when the source is. Otherwise the
    // folder before the token must exist; the ones below it are made when the job runs.
    if (placement.token === "source_dir") return issues;
    const base = path.resolve(baseDir, placement.before || ".");
    const baseStat = await statOf(base, "output_directory");
    if (baseStat === null) {
      issues.push({
        path: "output_directory",
        message: `${
          baseWords(placement.token)
        } does not exist: ${base} (create it first; proxx creates only the folders below it)`,
      });
    } else if (baseStat && !baseStat.isDirectory) {
      issues.push({ path: "output_directory", message: `${baseWords(placement.token)} is not a directory: ${base}` });
    }
    return issues;
  }
  const outputDir = path.resolve(baseDir, outputDirectory);
  const dirStat = await statOf(outputDir, "output_directory");
  if (dirStat === null) {
    // `{source_name}/x` or a typo of a placement token: say which tokens a folder can have.
    const tokenLike = /\{[A-Za-z_]+\}/.test(outputDirectory)
      ? `; the tokens output_directory knows are ${PLACEMENT_TOKENS.map((t) => `{${t}}`).join(" and ")}`
      : "";
    issues.push({
      path: "output_directory",
      message: `directory does not exist: ${outputDir} (create it first)${tokenLike}`,
    });
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
  const sources = spec.sources.map(sourcePath).map(absolute);
  const outputDir = absolute(spec.output_directory);
  const issues = ctx.checkPaths
    ? [
      ...await checkPathsOnDisk(platform, ctx.baseDir, spec.sources.map(sourcePath), spec.output_directory),
      ...await checkLutFiles(platform, spec, ctx.baseDir),
    ]
    : [];
  const looks = resolveLooks(spec, ctx.baseDir);
  const placement = parsePlacement(spec.output_directory);
  const placed = placement ? await placeOutputs(platform, spec, placement, sources, ctx, issues) : null;
  const watermark = await resolveWatermark(platform, settings, ctx, issues);

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
  let realSources: Map<string, number> | null = null;
  const realSourceKeys = async () => {
    if (realSources) return realSources;
    realSources = new Map<string, number>();
    for (const [i, source] of sources.entries()) {
      const r = await realOf(source);
      if (r && !realSources.has(collisionKey(r))) realSources.set(collisionKey(r), i);
    }
    return realSources;
  };
  const realFolders = new Map<string, Promise<string | null>>();
  const realFolder = (dir: string) => {
    if (!realFolders.has(dir)) realFolders.set(dir, realOf(dir));
    return realFolders.get(dir)!;
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
    const folder = placed ? placed.folders[index] : outputDir;
    if (folder === null || folder === undefined) continue; // its folder was refused (reported above)
    const name = resolveName(spec.naming_template, {
      sourcePath: source,
      index,
      jobId: ctx.jobId,
      codec: settings.codec,
      resolution: resolutionText(settings.resolution),
      startedAtMs: ctx.startedAtMs,
    });
    const fileName = `${name}.${settings.container}`;
    const output = path.join(folder, fileName);
    const where = `sources[${index}]`;
    if (name === "" || name === "." || name === ".." || path.dirname(output) !== folder) {
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
        message: placed
          ? `output '${output}' collides with the output of sources[${earlier}] (paths are compared ignoring case); add {index} or {source_name} to naming_template`
          : `output name '${fileName}' collides with the output of sources[${earlier}] (names are compared ignoring case); add {index} or {source_name} to naming_template`,
      });
    }
    seen.set(key, index);
    let sourceIndex = sourceKeys.get(key);
    if (sourceIndex === undefined && await existsAt(output)) {
      const realDir = await realFolder(folder);
      sourceIndex = realDir ? (await realSourceKeys()).get(collisionKey(path.join(realDir, fileName))) : undefined;
    }
    if (sourceIndex !== undefined) {
      issues.push({ path: where, message: `output '${output}' would overwrite sources[${sourceIndex}]` });
    }
    clips.push({
      index,
      source_path: source,
      output_path: output,
      ...(placed ? { create_below: placed.bases[index]! } : {}),
      ...(looks.clipLuts[index] !== undefined ? { lut: looks.clipLuts[index] } : {}),
    });
  }

  if (issues.length > 0) return { job: null, issues };
  return {
    issues,
    job: {
      job_id: ctx.jobId,
      jobspec_path: ctx.jobspecPath,
      ...settings,
      ...(watermark ? { watermark } : {}),
      clips,
      started_at_ms: ctx.startedAtMs,
      ...(placed ? { output_folders: placed.list } : {}),
      ...(placed?.root ? { source_root: placed.root } : {}),
      ...(looks.plan ? { look: looks.plan } : {}),
    },
  };
}

/**
 * The watermark with its image's path made absolute (relative to the JobSpec's folder, like
 * the sources) and, unless paths are not checked, the image found as a file now, not when the
 * first clip's FFmpeg fails on it.
 */
async function resolveWatermark(
  platform: Platform,
  settings: EffectiveSettings,
  ctx: ResolveContext,
  issues: ValidationIssue[],
): Promise<EffectiveSettings["watermark"]> {
  const mark = settings.watermark;
  if (!mark || !("image" in mark)) return mark;
  const image = path.resolve(ctx.baseDir, mark.image);
  if (ctx.checkPaths) {
    let stat;
    try {
      stat = await platform.stat(image);
    } catch (error) {
      issues.push({ path: "watermark.image", message: `cannot be checked: ${(error as Error).message.slice(0, 200)}` });
    }
    if (stat === null) issues.push({ path: "watermark.image", message: `file does not exist: ${image}` });
    else if (stat && !stat.isFile) issues.push({ path: "watermark.image", message: `is not a file: ${image}` });
  }
  return { ...mark, image };
}

/**
 * Each clip's output folder from the placement token (null where it was refused, with the
 * reason added to `issues`): inside its base, and on disk (unless `checkPaths` is off) not
 * leading out of it through a symbolic link.
 */
async function placeOutputs(
  platform: Platform,
  spec: JobSpec,
  placement: Placement,
  sources: string[],
  ctx: ResolveContext,
  issues: ValidationIssue[],
): Promise<{ folders: (string | null)[]; bases: string[]; list: ResolvedFolder[]; root: string | null }> {
  let root: string | null = null;
  if (placement.token === "source_rel_dir") {
    if (spec.source_root != null) {
      root = path.resolve(ctx.baseDir, spec.source_root);
      if (ctx.checkPaths) {
        const stat = await platform.stat(root).catch(() => undefined);
        if (stat === null) issues.push({ path: "source_root", message: `directory does not exist: ${root}` });
        else if (stat && !stat.isDirectory) {
          issues.push({ path: "source_root", message: `is not a directory: ${root}` });
        }
      }
    } else {
      root = deepestCommonFolder(sources.map((s) => path.dirname(s)));
      if (root === null) {
        issues.push({
          path: "source_root",
          message: "no folder contains every source (different drives); set source_root for {source_rel_dir}",
        });
      }
    }
  }

  const folders: (string | null)[] = [];
  const bases: string[] = [];
  const onDisk = new Map<string, Promise<FolderOnDisk>>();
  const list = new Map<string, ResolvedFolder>();
  const refused = new Set<string>();
  for (const [index, source] of sources.entries()) {
    const where = `sources[${index}]`;
    const placed = placeFolder(placement, source, root, ctx.baseDir);
    bases.push(placed.base);
    if ("problem" in placed) {
      folders.push(null);
      if (placed.problem === "outside_root" && root !== null) {
        issues.push({
          path: "source_root",
          message: `does not contain ${where} (${source}); {source_rel_dir} would leave ${root} ('${
            path.relative(root, path.dirname(source))
          }'): set source_root to a folder that contains every source`,
        });
      } else if (placed.problem === "outside_base") {
        issues.push({
          path: "output_directory",
          message: `for ${where} resolves to ${placed.folder}, outside ${baseWords(placement.token)} ${placed.base}`,
        });
      }
      continue;
    }
    const { folder, base } = placed;
    let exists: boolean | null = null;
    if (ctx.checkPaths) {
      if (!onDisk.has(folder)) onDisk.set(folder, checkFolderOnDisk(platform, base, folder));
      const found = await onDisk.get(folder)!;
      if (!found.ok) {
        folders.push(null);
        // A missing base is reported once by checkPathsOnDisk ({source_rel_dir}) or as a missing source ({source_dir}).
        if (!found.baseMissing && !refused.has(folder)) {
          refused.add(folder);
          issues.push({
            path: "output_directory",
            message: `for ${where} resolves to ${folder}, but ${found.message}`,
          });
        }
        continue;
      }
      exists = found.exists;
    }
    folders.push(folder);
    if (!list.has(folder)) list.set(folder, { path: folder, base, exists });
  }
  // Same order everywhere, as `proxx new` sorts sources (the order clips run in is in `clips`).
  const sorted = [...list.values()].sort((a, b) => comparePaths(a.path, b.path));
  return { folders, bases, list: sorted, root };
}
