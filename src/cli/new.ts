/**
 * `proxx new`: write a JobSpec from flags, so nobody hand-types JSON (or a glob list) again.
 *
 * - Sources are glob patterns that proxx expands itself (src/jobspec/glob.ts), so a pattern
 *   means the same files in bash, zsh, fish, cmd.exe and PowerShell, and in cron.
 * - Sources are sorted by full path (NFC, code-unit order) and written as absolute paths,
 *   like `output_directory`: the JobSpec means the same files wherever it is moved to.
 * - The JobSpec is checked with exactly the checks `proxx validate` makes before anything is
 *   written; an invalid one is never written.
 * - `--into DIR` writes `<job_id>.json` atomically (temp file, then rename: a watch runner
 *   never sees half a file) and refuses to replace an existing JobSpec or to write one the
 *   runner would skip because its result already exists.
 * - Without `--job-id` the id is derived from the JobSpec's content (sources and settings,
 *   not `created_at`): the same request gives the same file name, so submitting a job twice
 *   is refused instead of encoding everything twice.
 * - `--output-directory '{source_dir}/Proxy'` and `--mirror-to DIR` place each proxy by its
 *   clip's folder (src/jobspec/placement.ts); matched files already inside such a proxy
 *   folder are left out, so a second run over a card does not make proxies of proxies.
 */
import * as path from "node:path";
import type { Platform } from "../platform/types.ts";
import type { Command } from "./command.ts";
import { CODECS, NAMED_RESOLUTIONS, PROXY_PROFILES } from "../jobspec/schema.ts";
import { type Codec, codecFacts, type Container, CONTAINERS } from "../ffmpeg/codecs.ts";
import { checkJobSpecBytes } from "../jobspec/load.ts";
import { collisionKey } from "../jobspec/naming.ts";
import { comparePaths, expandGlob, patternBase } from "../jobspec/glob.ts";
import { deepestCommonFolder, isInside, parsePlacement, placeFolder, type Placement } from "../jobspec/placement.ts";
import { sha256Hex } from "../util/sha256.ts";
import { BUILTIN_LUT_NAMES, isBuiltinLut } from "../looks/builtin-luts.ts";
import { EXIT } from "./exit-codes.ts";
import { parse } from "./common.ts";
import { UsageError } from "./usage-error.ts";
import { POSITIONS } from "../looks/burn-in.ts";

/** `["ProRes mov", "H.264/H.265/AV1 mp4", …]`: the default container of each codec family, for --help. */
function defaultContainerGroups(): string[] {
  const families = new Map<Container, string[]>();
  for (const codec of CODECS) {
    const { family, defaultContainer } = codecFacts(codec);
    const list = families.get(defaultContainer) ?? [];
    if (!list.includes(family)) list.push(family);
    families.set(defaultContainer, list);
  }
  return [...families].map(([container, list]) => `${list.join("/")} ${container}`);
}
const [firstDefault, ...otherDefaults] = defaultContainerGroups();

export const NEW_DEFAULTS = {
  codec: "prores_proxy",
  resolution: "half",
  naming_template: "{source_name}_proxy",
} as const;

/**
 * Which flag sets each JobSpec field; `null` with a reason for the fields proxx refuses or
 * ignores (a flag would only produce an invalid or meaningless JobSpec). A test checks that
 * every field of the zod schema is listed here.
 */
export const FIELD_FLAGS: Record<string, { flag: string } | { flag: null; reason: string }> = {
  $schema: { flag: "--schema-ref" },
  jobspec_version: { flag: null, reason: 'always "2.1", the only version' },
  job_id: { flag: "--job-id" },
  created_at: { flag: "--created-at" },
  sources: { flag: "--sources" },
  output_directory: { flag: "--output-directory" },
  source_root: { flag: "--source-root" },
  proxy_profile: { flag: "--proxy-profile" },
  codec: { flag: "--codec" },
  container: { flag: "--container" },
  resolution: { flag: "--resolution" },
  naming_template: { flag: "--naming" },
  fps_mode: { flag: "--fps-mode" },
  fps_explicit: { flag: "--fps" },
  resolved_tokens: { flag: null, reason: "reserved and never used" },
  resolve_preset: { flag: null, reason: "DaVinci Resolve only; proxx refuses it" },
  requires_resolve_edition: { flag: null, reason: "DaVinci Resolve only; proxx refuses it" },
  lut: { flag: "--lut" },
  lut_id: { flag: null, reason: "the original's name for lut (--lut writes lut)" },
  lut_applied: { flag: null, reason: "apply is the default; false is for turning a JobSpec's LUTs off by hand" },
  lut_engine: { flag: null, reason: 'FFmpeg is the only engine ("ffmpeg" or null)' },
  lut_rules: { flag: null, reason: "per-camera rules are written by hand (see docs/looks.md)" },
  execution_requested: { flag: null, reason: "ignored: run always executes, validate never does" },
  burn_in: { flag: "--burn-in" },
  watermark: { flag: "--watermark" },
};

const OPTIONS = {
  sources: { type: "string", short: "s", multiple: true },
  "output-directory": { type: "string", short: "o" },
  "mirror-to": { type: "string" },
  "source-root": { type: "string" },
  codec: { type: "string" },
  container: { type: "string" },
  resolution: { type: "string" },
  naming: { type: "string" },
  "fps-mode": { type: "string" },
  fps: { type: "string" },
  "proxy-profile": { type: "string" },
  lut: { type: "string" },
  "job-id": { type: "string" },
  "created-at": { type: "string" },
  "schema-ref": { type: "string" },
  "burn-in": { type: "string", multiple: true },
  watermark: { type: "string" },
  "watermark-opacity": { type: "string" },
  into: { type: "string" },
  "split-per-source": { type: "boolean" },
  split: { type: "string" },
  "clips-per-job": { type: "string" },
  "case-sensitive": { type: "boolean" },
  "no-paths": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export interface NewJobRequest {
  /** Glob patterns or plain paths, relative to the working directory. */
  patterns: string[];
  /** May hold {source_dir} or {source_rel_dir}; or give mirrorTo instead. */
  outputDirectory?: string;
  /** `--mirror-to DIR`: output_directory `DIR/{source_rel_dir}`, with source_root. */
  mirrorTo?: string;
  sourceRoot?: string;
  codec?: string;
  container?: string;
  resolution?: string;
  naming?: string;
  fpsMode?: string;
  fps?: number;
  proxyProfile?: string;
  /** A .cube path (written absolute) or a built-in LUT's name. */
  lut?: string;
  jobId?: string;
  /** ISO-8601 date-time; null leaves `created_at` out; undefined: now. */
  createdAt?: string | null;
  schemaRef?: string;
  caseSensitive?: boolean;
  splitPerSource?: boolean;
  /** `--split N`: N JobSpecs of consecutive clips (sizes differ by at most one), for shards to share. */
  split?: number;
  /** `--clips-per-job K`: JobSpecs of K consecutive clips (the last may have fewer). */
  clipsPerJob?: number;
  /** `--burn-in [POSITION=]TEXT`, in order. */
  burnIn?: { text: string; position?: string }[];
  /** `--watermark TEXT` or `--watermark image=PATH` (PATH relative to the working directory). */
  watermark?: { text: string } | { image: string };
  watermarkOpacity?: number;
}

/**
 * `--burn-in 'bottom-right={timecode}'`: a position name and '=' before the text, or just the
 * text (at the bottom). Only the seven position names count as a prefix, so any other text
 * with '=' is text.
 */
export function parseBurnInFlag(value: string): { text: string; position?: string } {
  const eq = value.indexOf("=");
  const head = eq > 0 ? value.slice(0, eq) : "";
  return (POSITIONS as readonly string[]).includes(head)
    ? { text: value.slice(eq + 1), position: head }
    : { text: value };
}

/** `--watermark image=logo.png` (made absolute, like the sources) or a text. */
export function parseWatermarkFlag(cwd: string, value: string): { text: string } | { image: string } {
  return value.startsWith("image=") ? { image: path.resolve(cwd, value.slice("image=".length)) } : { text: value };
}

/** A problem that is not a usage error: exit code and message. */
export class NewJobError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

/** Expand every pattern (each must match at least one file) into one sorted, de-duplicated list. */
export async function expandSources(platform: Platform, patterns: string[], caseSensitive = false): Promise<string[]> {
  const all = new Set<string>();
  for (const pattern of patterns) {
    const files = await expandGlob(platform, pattern, { caseSensitive });
    if (files.length === 0) {
      const asPath = path.resolve(platform.cwd(), pattern);
      const stat = await platform.stat(asPath).catch(() => null);
      if (stat?.isDirectory) {
        throw new NewJobError(
          `'${pattern}' is a folder; name its clips, e.g. '${trimSlash(pattern)}/*.mov' or '${
            trimSlash(pattern)
          }/**/*.mov'`,
          EXIT.ENVIRONMENT,
        );
      }
      throw new NewJobError(
        `no file matches '${pattern}' (relative to ${platform.cwd()}; case is ${
          caseSensitive ? "significant" : "ignored"
        }; ` +
          "names starting with '.' need a pattern segment starting with '.')",
        EXIT.ENVIRONMENT,
      );
    }
    for (const file of files) all.add(file);
  }
  return [...all].sort(comparePaths);
}

function trimSlash(p: string): string {
  return p.replace(/[/\\]+$/, "") || p;
}

/** `2025-12-28T12:00:00Z` */
function isoSeconds(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * output_directory as written into the JobSpec: absolute, like every path `new` writes. With
 * a placement token only the part before it is resolved; the rest stays as typed, because
 * resolving `{source_rel_dir}/../x` would fold the '..' away and hide it from the checks.
 */
export function outputDirectoryText(cwd: string, request: Pick<NewJobRequest, "outputDirectory" | "mirrorTo">): string {
  if (request.mirrorTo !== undefined) return path.join(path.resolve(cwd, request.mirrorTo), "{source_rel_dir}");
  const text = request.outputDirectory!;
  const placement = parsePlacement(text);
  if (!placement) return path.resolve(cwd, text);
  const { before } = placement;
  // {source_dir} is absolute by its value; a token inside a name is left for validation to refuse.
  if (placement.token === "source_dir" || (before !== "" && !/[/\\]$/.test(before))) return text;
  return `${path.join(path.resolve(cwd, before || "."), path.sep)}${text.slice(before.length)}`;
}

/**
 * Whether `source` lies in a folder this job puts proxies in, for a clip in a folder above
 * it: `A/Proxy/clip.mov` for `{source_dir}/Proxy`, anything under the mirror for
 * `--mirror-to` inside the card. A second `new` over the same card must not make proxies of
 * the proxies. Looks at the folders above the source, not at the other sources, so a proxy
 * whose original was deleted is still recognised.
 */
function inProxyFolder(placement: Placement, source: string, root: string | null, cwd: string): boolean {
  const dir = path.dirname(source);
  for (let above = dir;; above = path.dirname(above)) {
    const placed = placeFolder(placement, path.join(above, "clip"), root, cwd);
    // A folder that holds its own sources ({source_dir} alone, a mirror onto the card itself) is not a proxy folder.
    if (!("problem" in placed) && !isInside(placed.folder, above) && isInside(placed.folder, dir)) return true;
    if (path.dirname(above) === above) return false;
  }
}

/** The JobSpecs for a request, and the matched files left out because they are in the job's own proxy folders. */
export interface BuiltJobSpecs {
  specs: Record<string, unknown>[];
  leftOut: string[];
}

/** The JobSpec objects for a request (one, or one per source), in writing order, keys in a fixed order. */
export async function buildJobSpecs(platform: Platform, request: NewJobRequest): Promise<BuiltJobSpecs> {
  const cwd = platform.cwd();
  const matched = await expandSources(platform, request.patterns, request.caseSensitive);
  const outputDirectory = outputDirectoryText(cwd, request);
  const placement = parsePlacement(outputDirectory);
  // {source_rel_dir} is relative to the folder the patterns start in (CARD for 'CARD/**/*.mov'),
  // written into the JobSpec so that clips added to the card later mirror the same way.
  let sourceRoot = request.sourceRoot === undefined ? undefined : path.resolve(cwd, request.sourceRoot);
  if (sourceRoot === undefined && placement?.token === "source_rel_dir") {
    const bases = await Promise.all(request.patterns.map((p) => patternBase(platform, p)));
    sourceRoot = deepestCommonFolder(bases) ?? undefined;
  }
  const leftOut = placement ? matched.filter((s) => inProxyFolder(placement, s, sourceRoot ?? null, cwd)) : [];
  const left = new Set(leftOut);
  const sources = matched.filter((s) => !left.has(s));
  if (sources.length === 0) {
    throw new NewJobError(
      `every matched file (${matched.length}) is in a folder this job puts proxies in, e.g. ${leftOut[0]}`,
      EXIT.ENVIRONMENT,
    );
  }
  const profile = request.proxyProfile;
  const codec = request.codec ?? (profile ? undefined : NEW_DEFAULTS.codec);
  const container = request.container ??
    (profile || codec === undefined || !CODECS.includes(codec as Codec)
      ? undefined
      : codecFacts(codec as Codec).defaultContainer);
  const resolution = request.resolution ?? (profile ? undefined : NEW_DEFAULTS.resolution);
  const fpsMode = request.fpsMode ?? (request.fps !== undefined ? "explicit" : "same-as-source");
  const createdAt = request.createdAt === undefined ? isoSeconds(platform.now()) : request.createdAt;

  const settings = (clips: string[]) =>
    dropUndefined({
      sources: clips,
      output_directory: outputDirectory,
      source_root: sourceRoot,
      proxy_profile: profile,
      codec,
      container,
      resolution,
      naming_template: request.naming ?? NEW_DEFAULTS.naming_template,
      fps_mode: fpsMode,
      fps_explicit: request.fps,
      lut: request.lut === undefined || isBuiltinLut(request.lut) ? request.lut : path.resolve(cwd, request.lut),
      burn_in: request.burnIn?.length ? request.burnIn : undefined,
      watermark: request.watermark
        ? dropUndefined({ ...request.watermark, opacity: request.watermarkOpacity })
        : undefined,
    });
  const chunked = request.split !== undefined || request.clipsPerJob !== undefined;
  const groups = request.splitPerSource
    ? sources.map((s) => [s])
    : chunked
    ? chunks(sources, request.split, request.clipsPerJob)
    : [sources];
  // Chunks are named <base>-<n> with n zero-padded, so the names sort in source order
  // (a watch runner takes them in name order); the base is --job-id or a hash of the whole set.
  const base = request.jobId ??
    `job-${(await sha256Hex(new TextEncoder().encode(JSON.stringify(settings(sources))))).slice(0, 8)}`;
  const width = Math.max(3, String(groups.length - 1).length);

  const specs: Record<string, unknown>[] = [];
  for (const [i, clips] of groups.entries()) {
    const body = settings(clips);
    const jobId = chunked
      ? `${base}-${String(i).padStart(width, "0")}`
      : request.jobId
      ? (request.splitPerSource ? `${request.jobId}-${String(i).padStart(3, "0")}` : request.jobId)
      : `job-${(await sha256Hex(new TextEncoder().encode(JSON.stringify(body)))).slice(0, 8)}`;
    specs.push(dropUndefined({
      $schema: request.schemaRef,
      jobspec_version: "2.1",
      job_id: jobId,
      created_at: createdAt ?? undefined,
      ...body,
    }));
  }
  return { specs, leftOut };
}

/** Consecutive runs of `items`: `parts` of nearly equal size, or runs of `size`. */
function chunks<T>(items: T[], parts: number | undefined, size: number | undefined): T[][] {
  const out: T[][] = [];
  if (size !== undefined) {
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    return out;
  }
  const n = Math.min(parts ?? 1, items.length);
  for (let k = 0, start = 0; k < n; k++) {
    const len = Math.floor(items.length / n) + (k < items.length % n ? 1 : 0);
    out.push(items.slice(start, start + len));
    start += len;
  }
  return out;
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export function jobSpecText(spec: Record<string, unknown>): string {
  return `${JSON.stringify(spec, null, 2)}\n`;
}

/**
 * Check each JobSpec exactly as `proxx validate` would at `targetPath`; also that split
 * JobSpecs do not write to the same proxy. Returns the problems as printable lines.
 */
export async function checkJobSpecs(
  platform: Platform,
  specs: Record<string, unknown>[],
  targetPathOf: (spec: Record<string, unknown>) => string,
  checkPaths: boolean,
): Promise<string[]> {
  const problems: string[] = [];
  const outputs = new Map<string, string>();
  for (const spec of specs) {
    const outcome = await checkJobSpecBytes(
      platform,
      new TextEncoder().encode(jobSpecText(spec)),
      targetPathOf(spec),
      { startedAtMs: platform.now(), checkPaths },
    );
    const where = specs.length > 1 ? `${spec.job_id}: ` : "";
    if (!outcome.ok) {
      for (const issue of outcome.issues) {
        const hint = issue.path === "output_directory" && issue.message.includes("does not exist")
          ? " (or pass --no-paths to write the JobSpec anyway)"
          : "";
        problems.push(`${where}${issue.path}: ${issue.message}${hint}`);
      }
      continue;
    }
    for (const clip of outcome.job.clips) {
      const key = collisionKey(clip.output_path);
      const other = outputs.get(key);
      if (other !== undefined) {
        problems.push(
          `${where}output '${clip.output_path}' is also the output of ${other}; put {job_id} in --naming so each JobSpec writes its own file`,
        );
      }
      outputs.set(key, `${spec.job_id} (${clip.source_path})`);
    }
  }
  return problems;
}

/** Write each JobSpec as `<job_id>.json` into `dir`: all or nothing, never replacing a file. */
export async function writeInto(platform: Platform, dir: string, specs: Record<string, unknown>[]): Promise<string[]> {
  const stat = await platform.stat(dir);
  if (!stat?.isDirectory) {
    throw new NewJobError(`--into: folder does not exist: ${dir} (create it first)`, EXIT.ENVIRONMENT);
  }
  const targets = specs.map((spec) => path.join(dir, `${spec.job_id}.json`));
  for (const [i, target] of targets.entries()) {
    if (await platform.lstat(target)) {
      throw new NewJobError(
        `${target} already exists (same sources and settings give the same job id); nothing was written. ` +
          "Use --job-id to make a new job, or remove the old JobSpec first.",
        EXIT.ENVIRONMENT,
      );
    }
    const result = path.join(dir, `${specs[i]!.job_id}.result.json`);
    if (await platform.lstat(result)) {
      throw new NewJobError(
        `${result} exists, so a watch runner would skip ${
          path.basename(target)
        } as already done; nothing was written. ` +
          "Use --job-id to make a new job, or 'proxx reset' the old one.",
        EXIT.ENVIRONMENT,
      );
    }
  }
  for (const [i, target] of targets.entries()) await platform.writeFileAtomic(target, jobSpecText(specs[i]!));
  return targets;
}

export const newCommand: Command = {
  name: "new",
  summary: "Write a JobSpec from flags and glob patterns (to stdout, or into a watch folder)",
  help: `Usage: proxx new [--sources] <pattern>... (--output-directory <dir> | --mirror-to <dir>) [options]

Builds a JobSpec, checks it exactly as 'proxx validate' does, and prints it (JSON) on
stdout, or writes it into a watch folder with --into. Nothing invalid is ever written.

Sources are glob patterns that proxx expands itself, the same way on every shell and OS:
quote them. '*' '?' '[a-z]' '{mov,mxf}' match within a name, '**' any folder depth; '/'
separates folders everywhere. Case is ignored unless --case-sensitive. A pattern that
names an existing file is taken as is ('clip [1].mov'); otherwise write a special
character as a class: '[[]' '[*]'. Names starting with '.' (macOS '._' files) match only
patterns starting with '.'. Sources are sorted by full path (Unicode NFC, code-unit
order, not locale) and written as absolute paths, as is the output directory, so the
JobSpec means the same files wherever it is moved.

Where proxies go: one folder that exists, or per clip with a token in --output-directory:
'{source_dir}/Proxy' puts each proxy in a Proxy/ folder beside its clip; --mirror-to DIR
mirrors the tree the patterns start in (CARD for 'CARD/**/*.mov') under DIR, so
CARD/Day01/CamA/A001.mov gets its proxy in DIR/Day01/CamA/. proxx creates those folders
when the job runs, only below one that exists (the clip's folder, or DIR), and never
outside it. Matched files already inside such a proxy folder (an earlier run's proxies)
are left out, with a note on stderr.

Options (JobSpec field in brackets):
  -s, --sources PATTERN     source clips; repeat for more; also as arguments  [sources]
  -o, --output-directory DIR  where the proxies go: a folder that exists, or with
                            {source_dir} or {source_rel_dir} (see above)  [output_directory]
  --mirror-to DIR           mirror the source tree under DIR (an existing folder): sets
                            output_directory to DIR/{source_rel_dir}, and source_root
  --source-root DIR         the folder {source_rel_dir} is relative to (default: the folder
                            the patterns start in)  [source_root]
  --codec CODEC             proxy codec (default ${NEW_DEFAULTS.codec})  [codec]
                            ${CODECS.join(" ")}
  --container EXT           ${CONTAINERS.join(" ")}; default from the codec: ${firstDefault},
                            ${otherDefaults.join(", ")}  [container]
  --resolution R            ${NAMED_RESOLUTIONS.join(", ")} or WxH (default ${NEW_DEFAULTS.resolution})  [resolution]
  --naming TEMPLATE         proxy name without extension (default ${NEW_DEFAULTS.naming_template})  [naming_template]
                            tokens: {source_name} {source_ext} {index} {job_id} {codec}
                            {resolution} {date} {time}
  --fps N                   output frame rate (sets fps_mode explicit)  [fps_explicit]
  --fps-mode MODE           same-as-source (default) or explicit  [fps_mode]
  --proxy-profile NAME      a named profile that sets codec, container and resolution  [proxy_profile]
                            ${Object.keys(PROXY_PROFILES).join(" ")}
  --lut FILE|NAME           a .cube LUT applied to every proxy, or a built-in camera
                            transform to Rec.709: ${BUILTIN_LUT_NAMES.slice(0, 2).join(" ")}
                            ${BUILTIN_LUT_NAMES.slice(2, 4).join(" ")}
                            ${BUILTIN_LUT_NAMES.slice(4).join(" ")}  [lut]
  --job-id ID               default: job-<8 hex digits of the JobSpec's SHA-256>  [job_id]
  --created-at ISO|none     default: now, UTC  [created_at]
  --burn-in [POS=]TEXT       text burnt into every frame; repeat for more lines; POS is
                            ${POSITIONS.join(" ")} (default bottom); tokens:
                            {timecode} {frame} {reel} and those of --naming  [burn_in]
  --watermark TEXT|image=PATH  a text or image watermark (centre / bottom right)  [watermark]
  --watermark-opacity N     0 to 1 (default 0.3)  [watermark.opacity]
  --schema-ref PATH|URL     add "$schema" so editors check the file (see 'proxx schema')  [$schema]
  --into DIR                write <job_id>.json into DIR (a watch folder) atomically;
                            refuses to replace an existing file; prints the path written
  --split-per-source        one JobSpec per source clip (without --into: one JSON per line)
  --split N                 N JobSpecs of consecutive clips (sizes differ by at most one),
                            named <job-id>-000, -001, ... so they sort in source order:
                            a card of 500 clips becomes work 'watch --shard' runners share
  --clips-per-job K         JobSpecs of K consecutive clips each, named the same way
  --case-sensitive          patterns match letter case exactly
  --no-paths                do not check that the output directory exists
  -h, --help                show this help

Examples:
  proxx new --sources 'clips/**/*.mov' --output-directory out --codec prores_proxy --resolution half --naming '{source_name}_proxy'
  proxx new -s 'A001*.mxf' -s 'B001*.mxf' -o proxies --codec h264 > job.json
  proxx new -s 'card1/**/*.{mov,mp4}' -o /mnt/proxies --proxy-profile proxy_dnxhr_lb --into ./jobs
  proxx new -s 'dailies/*.mov' -o out --split-per-source --into ./jobs
  proxx new -s 'dailies/*.mov' -o out --split 2 --job-id day1 --into ./jobs
  proxx new -s 'clip [1].mov' -o out --fps 25 --job-id shoot-day1 --created-at none
  proxx new -s 'fixtures/*.mov' -o "$RUNNER_TEMP/out" --codec h264 --resolution quarter > job.json && proxx run job.json
  proxx new --sources 'clips/**/*.mov' --output-directory '{source_dir}/Proxy' --naming '{source_name}' > job.json
  proxx new -s 'card1/**/*.MP4' --mirror-to /mnt/proxies --proxy-profile proxy_h264_low --into ./jobs
  proxx new -s 'A001*.mxf' -o proxies --lut arri_logc3_awg_to_rec709 > job.json
  proxx new -s 'dailies/*.mov' -o out --burn-in 'bottom-right={timecode}' --burn-in 'bottom-left={source_name}' --watermark CONFIDENTIAL

A file name starting with '-' goes after '--' or as --sources=-name.mov.

Exit codes: 0 written, 2 usage error, 3 the JobSpec would be invalid (nothing written),
4 a pattern matched no file, a folder is missing, or the target JobSpec already exists.
`,
  async run(platform, argv) {
    const { values, positionals } = parse("new", argv, OPTIONS);
    if (values.help) return (platform.writeStdout(this.help), EXIT.OK);
    const patterns = [...(values.sources ?? []), ...positionals];
    if (patterns.length === 0) throw new UsageError("needs at least one --sources pattern", "new");
    if (values["output-directory"] !== undefined && values["mirror-to"] !== undefined) {
      throw new UsageError(
        "--mirror-to DIR sets the output directory (DIR/{source_rel_dir}); give it or --output-directory, not both",
        "new",
      );
    }
    if (values["output-directory"] === undefined && values["mirror-to"] === undefined) {
      throw new UsageError("needs --output-directory DIR (or --mirror-to DIR)", "new");
    }
    let fps: number | undefined;
    if (values.fps !== undefined) {
      fps = Number(values.fps);
      if (values.fps.trim() === "" || !Number.isFinite(fps)) {
        throw new UsageError(`--fps must be a number, got '${values.fps}'`, "new");
      }
    }
    const createdAt = values["created-at"] === "none" ? null : values["created-at"];
    const splitters = ["split-per-source", "split", "clips-per-job"].filter((k) => values[k as "split"] !== undefined);
    if (splitters.length > 1) {
      throw new UsageError(`--${splitters.join(" and --")} split the sources differently; give one of them`, "new");
    }
    let watermarkOpacity: number | undefined;
    if (values["watermark-opacity"] !== undefined) {
      watermarkOpacity = Number(values["watermark-opacity"]);
      if (values["watermark-opacity"].trim() === "" || !Number.isFinite(watermarkOpacity)) {
        throw new UsageError(`--watermark-opacity must be a number, got '${values["watermark-opacity"]}'`, "new");
      }
      if (values.watermark === undefined) throw new UsageError("--watermark-opacity needs --watermark", "new");
    }

    try {
      const { specs, leftOut } = await buildJobSpecs(platform, {
        patterns,
        outputDirectory: values["output-directory"],
        mirrorTo: values["mirror-to"],
        sourceRoot: values["source-root"],
        codec: values.codec,
        container: values.container,
        resolution: values.resolution,
        naming: values.naming,
        fpsMode: values["fps-mode"],
        fps,
        proxyProfile: values["proxy-profile"],
        lut: values.lut,
        jobId: values["job-id"],
        createdAt,
        schemaRef: values["schema-ref"],
        caseSensitive: values["case-sensitive"],
        splitPerSource: values["split-per-source"],
        split: splitCount("split", values.split),
        clipsPerJob: splitCount("clips-per-job", values["clips-per-job"]),
        burnIn: values["burn-in"]?.map(parseBurnInFlag),
        watermark: values.watermark === undefined ? undefined : parseWatermarkFlag(platform.cwd(), values.watermark),
        watermarkOpacity,
      });
      const into = values.into === undefined ? null : path.resolve(platform.cwd(), values.into);
      const folder = into ?? platform.cwd();
      const problems = await checkJobSpecs(
        platform,
        specs,
        (spec) => path.join(folder, `${spec.job_id}.json`),
        !values["no-paths"],
      );
      if (problems.length > 0) {
        platform.writeStderr(
          `proxx new: the JobSpec would be invalid, nothing was written; ${problems.length} error(s):\n`,
        );
        for (const problem of problems) platform.writeStderr(`  ${problem}\n`);
        return EXIT.INVALID;
      }
      if (leftOut.length > 0) {
        // Said, not silent: the user may wonder why a matched file is not in the JobSpec.
        platform.writeStderr(
          `proxx new: left out ${leftOut.length} matched file(s) in folders this job puts proxies in (proxies of proxies), e.g. ${
            leftOut[0]
          }\n`,
        );
      }
      if (into) {
        for (const written of await writeInto(platform, into, specs)) platform.writeStdout(`${written}\n`);
      } else if (
        specs.length === 1 && !values["split-per-source"] && values.split === undefined &&
        values["clips-per-job"] === undefined
      ) {
        platform.writeStdout(jobSpecText(specs[0]!));
      } else {
        for (const spec of specs) platform.writeStdout(`${JSON.stringify(spec)}\n`);
      }
      return EXIT.OK;
    } catch (error) {
      if (error instanceof NewJobError) {
        platform.writeStderr(`proxx new: ${error.message}\n`);
        return error.exitCode;
      }
      throw error;
    }
  },
};

function splitCount(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value.trim()) || Number(value) < 1 || Number(value) > 1_000_000) {
    throw new UsageError(`--${flag} must be a whole number of at least 1, got '${value}'`, "new");
  }
  return Number(value);
}
