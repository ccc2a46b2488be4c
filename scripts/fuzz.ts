/**
 * JobSpec fuzzer: thousands of seeded, hostile JobSpecs through `proxx validate` and the
 * watch-folder runner (docs/reliability.md).
 *
 *   bun scripts/fuzz.ts                       # soak: 20,000 cases
 *   bun scripts/fuzz.ts --count 2000 --seed 7 --keep
 *
 * Cases are mutations of three valid JobSpecs (missing, extra and wrongly typed keys, huge
 * strings and keys, deep nesting, NUL bytes, invalid UTF-8, a BOM, duplicate keys, numbers
 * where strings go, tricky paths, templates and values, truncation, byte flips) and plain
 * random bytes. Every case is:
 *   1. checked in-process by `checkJobSpecBytes` and by the real command code
 *      (`main(platform, ["validate", "--json", file])` with captured output): neither may
 *      throw, they must agree, and an invalid case must list at least one issue;
 *   2. a sample is checked through the real CLI (`bun src/main.ts validate --json` with many
 *      files per process) and must agree with the in-process verdict;
 *   3. put in ONE watch folder, processed by `runWatchFolder` (`--once`, settle 0) with the
 *      real platform, engine (`engineJobs`, as `proxx watch`) and FFmpeg: the runner must
 *      not throw, and every case must end with exactly one result and one manifest entry:
 *      invalid → PARTIAL in failed/ with the same validation errors `validate` printed;
 *      valid → COMPLETED in processed/ with every output present and read by ffprobe as the
 *      codec it asked for;
 *   4. the sandbox is listed recursively before and after: the only new files are under the
 *      watch folder or are outputs of valid cases (no partials, nothing else created).
 * Validation of a single case taking longer than 2 s is reported as a violation (a hostile
 * file must not stall the runner).
 *
 * Exported `runFuzz` is also the CI mode (tests/integration/fuzz.test.ts).
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { bunPlatform } from "../src/platform/bun.ts";
import type { Platform } from "../src/platform/types.ts";
import type { JobResult } from "../src/engine/result.ts";
import { checkJobSpecBytes } from "../src/jobspec/load.ts";
import { main } from "../src/cli/main.ts";
import { runWatchFolder } from "../src/watch/runner.ts";
import { engineJobs } from "../src/watch/engine-jobs.ts";
import { locateTools } from "../src/ffmpeg/locate.ts";
import { codecFacts } from "../src/ffmpeg/codecs.ts";
import { prng } from "./chaos.ts";

const ROOT = dirname(import.meta.dir);
const MAIN = join(ROOT, "src", "main.ts");

export interface FuzzOptions {
  count: number;
  seed: number;
  /** How many cases also go through the real CLI `validate` (default 200). */
  cliSample?: number;
  keep?: boolean;
  /** Folder the sandbox is made in (default: the OS temp folder). */
  tmpRoot?: string;
  log?: (line: string) => void;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  valid: number;
  invalid: number;
  byMutation: Record<string, { cases: number; valid: number }>;
  cliChecked: number;
  results: Record<string, number>;
  slowestValidationMs: number;
  slowestCase: string;
  runnerSeconds: number;
  /** `runWatchFolder` threw (also a violation): the runner must survive every case. */
  runnerCrashed: boolean;
  seconds: number;
  violations: string[];
  /** Valid cases that FFmpeg/ffprobe then failed, with their reason (allowed; listed for the report). */
  validButFailed: string[];
  /** Cases without exactly one result + manifest entry + JobSpec in the right folder. Must be 0. */
  lost: number;
}

interface Case {
  name: string;
  mutation: string;
  bytes: Uint8Array;
}

const enc = new TextEncoder();
const BOM = new Uint8Array([0xef, 0xbb, 0xbf]);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The three valid starting points. `{job_id}` in every template keeps outputs of different cases apart. */
function bases(): Record<string, unknown>[] {
  return [
    {
      sources: ["../media/clip.mov"],
      output_directory: "../out",
      codec: "prores_proxy",
      container: "mov",
      resolution: "same",
      naming_template: "{job_id}_{source_name}_{index}",
    },
    {
      jobspec_version: "2.1",
      sources: ["../media/clip.mov"],
      output_directory: "../out",
      proxy_profile: "proxy_prores_proxy",
      naming_template: "{source_name}_{job_id}",
      created_at: "2025-12-28T12:00:00Z",
    },
    {
      $schema: "https://example.invalid/jobspec.json",
      sources: ["../media/clip.mov", "../media/clip2.mov"],
      output_directory: "../out",
      codec: "prores_lt",
      container: ".MOV",
      resolution: "64x48",
      naming_template: "{job_id}-{index}-{codec}-{resolution}",
      fps_mode: "explicit",
      fps_explicit: 12,
      resolved_tokens: null,
      lut_applied: false,
      execution_requested: true,
    },
  ];
}

const KEYS = [
  "sources",
  "output_directory",
  "codec",
  "container",
  "resolution",
  "naming_template",
  "job_id",
  "fps_mode",
  "fps_explicit",
  "created_at",
  "jobspec_version",
  "proxy_profile",
  "resolved_tokens",
  "lut_id",
  "lut_applied",
  "resolve_preset",
  "requires_resolve_edition",
  "lut_engine",
  "execution_requested",
  "$schema",
];

/** Every mutation kind `generateCases` draws (`combo` = two structural ones), as counted in `byMutation`. */
export const MUTATION_KINDS = [
  "none",
  "random-bytes",
  "combo",
  "delete-key",
  "extra-key",
  "wrong-type",
  "number-for-string",
  "huge-string",
  "deep-nesting",
  "nul",
  "path-tricks",
  "template-tricks",
  "value-tricks",
  "bom",
  "invalid-utf8",
  "duplicate-key",
  "truncate",
  "byte-flip",
  "raw-nul",
  "utf16",
  "syntax",
] as const;

/** Placeholders replaced by raw JSON text after JSON.stringify (things stringify cannot make). */
const RAW = "@@RAW@@";

export function generateCases(count: number, seed: number): Case[] {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const raws: string[] = [];
  const raw = (text: string) => {
    raws.push(text);
    return `${RAW}${raws.length - 1}@@`;
  };
  const deep = () => {
    const d = pick([100, 1000, 10_000, 100_000]);
    return rand() < 0.5 ? "[".repeat(d) + "]".repeat(d) : '{"a":'.repeat(d) + "1" + "}".repeat(d);
  };
  const huge = () => pick(["x", "é", "{index}", "../", "\u0000", "🎬"]).repeat(pick([10_000, 100_000, 1_000_000]));
  const anyValue = (): unknown =>
    pick<() => unknown>([
      () => 0,
      () => -1,
      () => 1.5,
      () => 2 ** 53 + 1,
      () => true,
      () => false,
      () => null,
      () => [],
      () => ({}),
      () => [1, "a", null],
      () => ({ a: { b: [] } }),
      () => "",
      () => " ",
      () => "x",
      () => "\u0000",
      () => "ｈ２６４",
      () => "H264",
      () => "prores_proxy ",
      () => raw("1e309"),
      () => raw("-0"),
      () => raw("1e-400"),
      () => raw(deep()),
      () => huge(),
      () => ["../media/clip.mov", 5],
      () => [["../media/clip.mov"]],
      () => "../media/clip.mov",
    ])();
  const paths = [
    "",
    ".",
    "..",
    "../",
    "../../",
    "/",
    "/nonexistent/dir",
    "../out\u0000x",
    "../media/clip.mov",
    "../out/../out",
    "../watch",
    "..\\out",
    "~",
    "~/out",
    "file:../out",
    "../OUT",
    "../out/",
    "-y",
    "-i",
    " ../out",
    "../out ",
    "\u202e../out",
    "../media",
    "/dev/null",
    "/proc/self",
    "../media/clip.mov/..",
  ];
  const sourcesPool = [
    "../media/clip.mov",
    "../media/missing.mov",
    "../media",
    "/dev/zero",
    "/dev/null",
    "-i",
    "-y.mov",
    "../media/clip.r3d",
    "../media/clip.%04d.dpx",
    "../media/clip.mov\u0000.txt",
    "file:../media/clip.mov",
    "../media/clip.mov ",
    "",
    "../media/notes.txt",
    "../media/./clip.mov",
    "../watch/../media/clip.mov",
    "/proc/self/environ",
  ];
  const templates = [
    "",
    "{",
    "}",
    "{}",
    "{unknown}",
    "{index",
    "index}",
    "{{index}}",
    "..",
    ".",
    "../x",
    "a/b",
    "a\\b",
    "{source_name}\u0000",
    "\t",
    "{index}".repeat(200),
    "x".repeat(300),
    "{source_name}".repeat(30),
    "{date}_{time}",
    "{source_ext}",
    "-y",
    "-i {index}",
    "{job_id}",
    "CON",
    "{index}{index}",
    "{INDEX}",
    "{ index }",
    "{source_name}/{index}",
    ".{index}",
    "{index}.json",
    "{index}.result",
    "\u202e{index}",
    "é{index}",
    "{resolution}{codec}",
  ];
  const values: Record<string, unknown[]> = {
    codec: ["PRORES_PROXY", "prores", "h.264", "h264", "hevc", "dnxhd", "av1", "vp9", "mjpeg", "", 0, null],
    container: ["MOV", ".mov", "..mov", "mov ", "mp4", "webm", "mxf", "avi", "", null, 1],
    resolution: [
      "half",
      "HALF",
      "0x0",
      "1x1",
      "2x2",
      "99999x99999",
      "100000x1",
      "1280X720",
      "-2x-2",
      "1.5x2",
      "x",
      "",
      "same ",
      720,
    ],
    fps_mode: ["explicit", "same_as_source", "Explicit", "", null],
    fps_explicit: [0, -1, 0.001, 1000, 1000.5, 256, 23.976, "25", null, 1e308],
    job_id: ["", "-x", "a".repeat(64), "a".repeat(65), "../x", "a/b", "ok-id_1.2", "é", 7, null],
    created_at: ["2025-12-28", "2025-13-45T99:99:99Z", "yesterday", "2025-12-28T12:00:00+01:00", "", 0],
    jobspec_version: ["2.1", 2.1, "2.0", "", null, "2.10"],
    proxy_profile: ["proxy_h264_low", "proxy_prores_proxy_resolve", "nope", "", null],
  };
  const dupKey = (text: string, key: string, value: unknown) =>
    text.replace(/^\{/, `{${JSON.stringify(key)}: ${JSON.stringify(value)}, `);

  const structural = (o: Record<string, unknown>): string => {
    const keys = Object.keys(o);
    switch (int(10)) {
      case 0: {
        delete o[pick(keys)];
        return "delete-key";
      }
      case 1: {
        const key = pick([
          "colour",
          "__proto__",
          "constructor",
          "toString",
          "sources ",
          "Sources",
          "",
          "é",
          "k".repeat(100_000),
          "output_dir",
          "codecs",
        ]);
        // defineProperty: `o["__proto__"] = v` would set the prototype instead of adding a key.
        Object.defineProperty(o, key, { value: anyValue(), enumerable: true, configurable: true, writable: true });
        return "extra-key";
      }
      case 2: {
        o[pick(keys)] = anyValue();
        return "wrong-type";
      }
      case 3: {
        o[pick(["sources", "output_directory", "naming_template", "codec", "job_id"])] = pick<() => unknown>([
          () => 264,
          () => 1,
          () => [0],
          () => 2.1,
        ])();
        return "number-for-string";
      }
      case 4: {
        const key = pick(["naming_template", "output_directory", "codec", "job_id", "created_at"]);
        o[key] = huge();
        if (rand() < 0.3) o.sources = [huge()];
        return "huge-string";
      }
      case 5: {
        o[pick([...keys, "resolved_tokens", "extra"])] = raw(deep());
        return "deep-nesting";
      }
      case 6: {
        const key = pick(["naming_template", "output_directory", "codec"]);
        o[key] = `${String(o[key] ?? "x")}\u0000`;
        if (rand() < 0.5) o.sources = ["../media/clip.mov\u0000"];
        return "nul";
      }
      case 7: {
        if (rand() < 0.5) o.output_directory = pick(paths);
        else {o.sources = rand() < 0.2
            ? Array.from({ length: pick([0, 2, 20]) }, (_, i) => (i % 2 ? "../media/clip2.mov" : "../media/clip.mov"))
            : [pick(sourcesPool)];}
        return "path-tricks";
      }
      case 8: {
        o.naming_template = pick(templates);
        return "template-tricks";
      }
      default: {
        const key = pick(Object.keys(values));
        o[key] = pick(values[key]!);
        return "value-tricks";
      }
    }
  };

  const cases: Case[] = [];
  for (let n = 0; n < count; n++) {
    raws.length = 0;
    const name = `f${String(n).padStart(5, "0")}.json`;
    const roll = rand();
    if (roll < 0.05) {
      const len = pick([0, 1, 2, 16, 256, 4096]);
      cases.push({ name, mutation: "random-bytes", bytes: Uint8Array.from({ length: len }, () => int(256)) });
      continue;
    }
    const base = structuredClone(pick(bases()));
    let mutation: string;
    let text: string;
    let bytes: Uint8Array | null = null;
    if (roll < 0.055) {
      mutation = "none";
      text = JSON.stringify(base);
    } else if (roll < 0.7) {
      mutation = structural(base);
      if (rand() < 0.25) mutation = `combo:${mutation}+${structural(base)}`;
      text = JSON.stringify(base, null, rand() < 0.5 ? 2 : undefined);
    } else {
      text = JSON.stringify(base, null, 2);
      // Weighted: a BOM alone leaves the JobSpec valid (it runs FFmpeg), so it is drawn less often.
      switch (pick([0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 7])) {
        case 0:
          mutation = "bom";
          bytes = concat(BOM, enc.encode(text));
          break;
        case 1: {
          mutation = "invalid-utf8";
          const at = int(text.length);
          const bad = pick([[0xff], [0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [
            0xe2,
            0x82,
          ]]);
          bytes = concat(enc.encode(text.slice(0, at)), new Uint8Array(bad), enc.encode(text.slice(at)));
          break;
        }
        case 2: {
          mutation = "duplicate-key";
          const key = pick(KEYS.slice(0, 8));
          text = dupKey(text, key, rand() < 0.25 ? (base as Record<string, unknown>)[key] ?? "dup" : anyValue());
          break;
        }
        case 3:
          mutation = "truncate";
          text = text.slice(0, int(text.length));
          break;
        case 4: {
          mutation = "byte-flip";
          const b = enc.encode(text);
          for (let i = 0, k = 1 + int(4); i < k; i++) b[int(b.length)] = int(256);
          bytes = b;
          break;
        }
        case 5:
          mutation = "raw-nul";
          bytes = concat(enc.encode(text.slice(0, 1)), new Uint8Array([0]), enc.encode(text.slice(1)));
          break;
        case 6: {
          mutation = "utf16";
          const u16 = new Uint8Array(2 + text.length * 2);
          u16[0] = 0xff;
          u16[1] = 0xfe;
          for (let i = 0; i < text.length; i++) u16[2 + 2 * i] = text.charCodeAt(i) & 0xff;
          bytes = u16;
          break;
        }
        default:
          mutation = "syntax";
          text = pick([
            () => text.replace(/\}\s*$/, ",}"),
            () => `// proxy job\n${text}`,
            () => text.replace(/"/g, "'"),
            () => `${text}\n${text}`,
            () => `${text} trailing`,
            () => "   \n\t ",
            () => "null",
            () => "[]",
            () => '"a string"',
            () => "123",
          ])();
      }
    }
    if (!bytes) {
      text = text.replace(/"@@RAW@@(\d+)@@"/g, (_m, i: string) => raws[Number(i)]!);
      bytes = enc.encode(text);
    }
    cases.push({ name, mutation, bytes });
  }
  return cases;
}

/** Every path under `dir` (files and directories), relative, with size for files. */
function listing(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out.set(relative(dir, p) + "/", "dir");
        walk(p);
      } else out.set(relative(dir, p), e.isSymbolicLink() ? "link" : String(statSync(p).size));
    }
  };
  walk(dir);
  return out;
}

/** The real platform with stdout/stderr captured, for running `main()` in-process. */
function capturing(platform: Platform): Platform & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    ...platform,
    out,
    err,
    writeStdout: (t: string) => void out.push(t),
    writeStderr: (t: string) => void err.push(t),
  };
}

interface Verdict {
  valid: boolean;
  issues: { path: string; message: string }[];
  outputs: string[];
  /** The codec_name ffprobe must report for the outputs (valid cases; the codec may be h264, dnxhr...). */
  codecName?: string;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const started = Date.now();
  const platform = bunPlatform();
  const sandbox = mkdtempSync(join(options.tmpRoot ?? tmpdir(), "proxx-fuzz-"));
  const media = join(sandbox, "media");
  const out = join(sandbox, "out");
  const watch = join(sandbox, "watch");
  for (const d of [media, out, watch]) mkdirSync(d);
  const real = await locateTools(platform);
  if (!real.ffmpeg || !real.ffprobe) throw new Error("fuzz needs ffmpeg and ffprobe on PATH");
  // Memoised real FFmpeg / ffprobe (tests/helpers/fakes/*-memo.sh): many valid cases ask for
  // the same encode; the first is real, the rest copy its output. Harness-owned, outside the check.
  const memo = join(sandbox, ".memo");
  mkdirSync(memo);
  const wrap = (name: string, script: string, realVar: string, realPath: string) => {
    const file = join(memo, name);
    writeFileSync(
      file,
      `#!/bin/sh\nPROXX_MEMO_DIR='${memo}' ${realVar}='${realPath}' exec '${
        join(ROOT, "tests", "helpers", "fakes", script)
      }' "$@"\n`,
    );
    chmodSync(file, 0o755);
    return file;
  };
  const tools = {
    ffmpeg: wrap("ffmpeg", "ffmpeg-memo.sh", "PROXX_REAL_FFMPEG", real.ffmpeg),
    ffprobe: wrap("ffprobe", "ffprobe-memo.sh", "PROXX_REAL_FFPROBE", real.ffprobe),
  };
  const mk = (name: string, seconds: number) => {
    const r = spawnSync(real.ffmpeg!, [
      "-hide_banner",
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=64x48:rate=12",
      "-t",
      String(seconds),
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-pix_fmt",
      "yuv420p",
      join(media, name),
    ], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
  };
  mk("clip.mov", 0.25);
  mk("clip2.mov", 0.17);
  writeFileSync(join(media, "notes.txt"), "not media\n");

  const report: FuzzReport = {
    seed: options.seed,
    cases: options.count,
    valid: 0,
    invalid: 0,
    byMutation: {},
    cliChecked: 0,
    results: {},
    slowestValidationMs: 0,
    slowestCase: "",
    runnerSeconds: 0,
    runnerCrashed: false,
    seconds: 0,
    violations: [],
    validButFailed: [],
    lost: 0,
  };
  const violate = (message: string) => {
    if (report.violations.length < 200) {
      report.violations.push(message.length > 400 ? `${message.slice(0, 400)}…` : message);
    }
  };

  const cases = generateCases(options.count, options.seed);
  log(`fuzz: seed ${options.seed}, ${cases.length} cases, sandbox ${sandbox}`);
  for (const c of cases) writeFileSync(join(watch, c.name), c.bytes);
  const before = listing(sandbox);

  // 1. validate in-process, twice: the library call and the command.
  const verdicts = new Map<string, Verdict>();
  const now = Date.now();
  for (const c of cases) {
    const path = join(watch, c.name);
    const t0 = performance.now();
    let verdict: Verdict;
    try {
      const outcome = await checkJobSpecBytes(platform, c.bytes, path, { startedAtMs: now });
      verdict = outcome.ok
        ? {
          valid: true,
          issues: [],
          outputs: outcome.job.clips.map((x) => x.output_path),
          codecName: codecFacts(outcome.job.codec).verify.codecName,
        }
        : { valid: false, issues: outcome.issues, outputs: [] };
    } catch (error) {
      violate(
        `${c.name} (${c.mutation}): checkJobSpecBytes threw ${(error as Error).name}: ${
          (error as Error).message?.slice(0, 200)
        }`,
      );
      verdict = { valid: false, issues: [], outputs: [] };
    }
    const ms = performance.now() - t0;
    if (ms > report.slowestValidationMs) {
      [report.slowestValidationMs, report.slowestCase] = [Math.round(ms), `${c.name} (${c.mutation})`];
    }
    if (ms > 2000) violate(`${c.name} (${c.mutation}): validation took ${Math.round(ms)} ms`);
    if (!verdict.valid && verdict.issues.length === 0) violate(`${c.name} (${c.mutation}): invalid without any issue`);
    for (const i of verdict.issues) {
      if (typeof i.path !== "string" || typeof i.message !== "string" || i.message.trim() === "") {
        violate(`${c.name} (${c.mutation}): malformed issue ${JSON.stringify(i).slice(0, 200)}`);
      }
    }
    verdicts.set(c.name, verdict);
    const m = (report.byMutation[c.mutation.split(":")[0]!.split("+")[0]!] ??= { cases: 0, valid: 0 });
    m.cases++;
    if (verdict.valid) {
      m.valid++;
      report.valid++;
    } else report.invalid++;

    const cli = capturing(platform);
    let code: number;
    try {
      code = await main(cli, ["validate", "--json", path]);
    } catch (error) {
      violate(`${c.name} (${c.mutation}): 'validate' threw ${(error as Error).message?.slice(0, 200)}`);
      continue;
    }
    const wanted = verdict.valid ? 0 : 3;
    if (code !== wanted) {
      violate(
        `${c.name} (${c.mutation}): 'validate' exit code ${code}, expected ${wanted}: ${
          cli.err.join("").slice(0, 300)
        }`,
      );
    }
    try {
      const line = JSON.parse(cli.out.join(""));
      if (line.valid !== verdict.valid) {
        violate(`${c.name}: 'validate --json' says valid=${line.valid}, checkJobSpecBytes ${verdict.valid}`);
      }
    } catch {
      violate(`${c.name} (${c.mutation}): 'validate --json' printed no JSON line: ${cli.out.join("").slice(0, 200)}`);
    }
  }
  log(
    `fuzz: validated in-process: ${report.valid} valid, ${report.invalid} invalid; slowest ${report.slowestValidationMs} ms (${report.slowestCase}); ${
      ((Date.now() - started) / 1000).toFixed(1)
    } s so far`,
  );

  // 2. the real CLI on a sample, many files per process.
  const sample = cases.filter((_, i) => i % Math.max(1, Math.floor(cases.length / (options.cliSample ?? 200))) === 0);
  for (let i = 0; i < sample.length; i += 100) {
    const batch = sample.slice(i, i + 100);
    const r = spawnSync(process.execPath, [MAIN, "validate", "--json", ...batch.map((c) => join(watch, c.name))], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    const lines = r.stdout.split("\n").filter((l) => l.trim());
    if (lines.length !== batch.length) {
      violate(
        `CLI validate printed ${lines.length} lines for ${batch.length} files (exit ${r.status}): ${
          r.stderr.slice(0, 300)
        }`,
      );
      continue;
    }
    const anyInvalid = batch.some((c) => !verdicts.get(c.name)!.valid);
    if (r.status !== (anyInvalid ? 3 : 0)) {
      violate(`CLI validate exit code ${r.status}, expected ${anyInvalid ? 3 : 0}`);
    }
    lines.forEach((line, k) => {
      const c = batch[k]!;
      const v = verdicts.get(c.name)!;
      const got = JSON.parse(line);
      if (got.valid !== v.valid || JSON.stringify(got.errors) !== JSON.stringify(v.issues)) {
        violate(`${c.name} (${c.mutation}): CLI validate disagrees with in-process (valid ${got.valid} vs ${v.valid})`);
      }
      report.cliChecked++;
    });
  }
  log(
    `fuzz: real CLI 'validate --json' agreed on ${report.cliChecked} of ${sample.length} sampled cases; ${
      ((Date.now() - started) / 1000).toFixed(1)
    } s so far`,
  );

  // 3. one watch folder with every case, one --once pass, real engine and FFmpeg.
  const t0 = Date.now();
  let summary: Awaited<ReturnType<typeof runWatchFolder>> | null = null;
  const jobTimes: [number, string][] = [];
  let takenAt = 0;
  try {
    summary = await runWatchFolder(platform, {
      folder: watch,
      once: true,
      settleSeconds: 0,
      signal: new AbortController().signal,
      proxxVersion: "fuzz",
      onEvent: (e) => {
        if (e.type === "job_taken") takenAt = performance.now();
        if (e.type === "job_result") jobTimes.push([performance.now() - takenAt, e.jobspec_path.split("/").pop()!]);
      },
      ...engineJobs(platform, { tools, timeoutSeconds: 60 }),
    });
  } catch (error) {
    report.runnerCrashed = true;
    violate(`runWatchFolder threw: ${(error as Error).stack?.slice(0, 500)}`);
  }
  report.runnerSeconds = Math.round((Date.now() - t0) / 100) / 10;
  jobTimes.sort((a, b) => b[0] - a[0]);
  const mutationOf = new Map(cases.map((c) => [c.name, c.mutation]));
  log(
    `fuzz: watch runner: ${JSON.stringify(summary)} in ${report.runnerSeconds} s; slowest jobs ${
      jobTimes.slice(0, 3).map(([ms, n]) => `${n} (${mutationOf.get(n)}) ${Math.round(ms)} ms`).join(", ")
    }`,
  );

  // 4. every case has exactly one clear outcome.
  let manifest: { entries: Record<string, { result_status: string }> } = { entries: {} };
  try {
    manifest = JSON.parse(readFileSync(join(watch, "processed_manifest.json"), "utf8"));
  } catch (error) {
    violate(`manifest does not parse: ${(error as Error).message}`);
  }
  const expectedNew = new Set<string>();
  const probedCodecs = new Map<string, string[]>();
  for (const c of cases) {
    const v = verdicts.get(c.name)!;
    const path = join(watch, c.name);
    const stem = c.name.slice(0, -".json".length);
    const resultFile = join(watch, `${stem}.result.json`);
    const where = [
      existsSync(path),
      existsSync(join(watch, "processed", c.name)),
      existsSync(join(watch, "failed", c.name)),
    ];
    let result: JobResult | null = null;
    try {
      result = JSON.parse(readFileSync(resultFile, "utf8"));
    } catch (error) {
      violate(`${c.name} (${c.mutation}): no readable result: ${(error as Error).message}`);
    }
    const status = result?.final_status ?? "none";
    report.results[status] = (report.results[status] ?? 0) + 1;
    const completed = status === "COMPLETED";
    const folder = completed ? "processed" : "failed";
    const okPlace = !where[0] && where[completed ? 1 : 2] && !where[completed ? 2 : 1];
    const entry = manifest.entries[path];
    if (!result || !okPlace || !entry || entry.result_status !== status) {
      report.lost++;
      violate(
        `${c.name} (${c.mutation}): result ${status}, root/processed/failed ${where.join("/")}, manifest ${
          entry?.result_status ?? "none"
        }; expected ${folder}/`,
      );
    }
    if (!result) continue;
    if (v.valid) {
      // Valid means "nothing to refuse before running"; FFmpeg may still fail it for a reason
      // validate does not look for (a source that is not media, an unwritable output folder).
      // That must be a FAILED result with the clip's reason. Unmutated and BOM-only cases must complete.
      if (status === "FAILED") {
        const reason = result.clips?.at(-1)?.failure_reason ?? result.failure_reason;
        if (typeof reason !== "string" || reason.trim() === "") {
          violate(`${c.name} (${c.mutation}): FAILED without a reason`);
        }
        if (c.mutation === "none" || c.mutation === "bom") {
          violate(`${c.name} (${c.mutation}): unmutated JobSpec FAILED: ${String(reason).slice(0, 300)}`);
        }
        report.validButFailed.push(`${c.name} (${c.mutation}): ${String(reason).slice(0, 160)}`);
      } else if (status !== "COMPLETED") {
        violate(`${c.name} (${c.mutation}): valid but ${status}: ${String(result.failure_reason).slice(0, 300)}`);
      }
      const produced: string[] = (result.clips ?? [])
        .filter((x: { status: string }) => x.status === "COMPLETED")
        .map((x: { resolved_output_path: string }) => x.resolved_output_path);
      if (status === "COMPLETED" && produced.length !== v.outputs.length) {
        violate(`${c.name}: ${produced.length} outputs, validate listed ${v.outputs.length}`);
      }
      // From the result, not from validate: {date}/{time} come from the job's start.
      for (const o of produced) {
        expectedNew.add(o);
        if (!existsSync(o)) {
          violate(`${c.name}: output ${o} missing`);
          continue;
        }
        // Real ffprobe, once per distinct content (memoised encodes give identical bytes).
        // The codec is the case's own: a value-tricks mutation may validly ask for h264.
        const digest = createHash("sha256").update(readFileSync(o)).digest("hex");
        let codecs = probedCodecs.get(digest);
        if (codecs === undefined) {
          const p = spawnSync(
            real.ffprobe!,
            ["-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", o],
            { encoding: "utf8" },
          );
          codecs = p.status === 0 ? p.stdout.split("\n").map((l) => l.trim()).filter(Boolean) : [];
          probedCodecs.set(digest, codecs);
        }
        if (!v.codecName || !codecs.includes(v.codecName)) {
          violate(
            `${c.name}: output ${o} is not a ${v.codecName ?? "?"} file ffprobe can read (streams: ${
              codecs.join(",") || "none"
            })`,
          );
        }
      }
    } else {
      if (status !== "PARTIAL") {
        violate(`${c.name} (${c.mutation}): invalid but ${status}: ${String(result.failure_reason).slice(0, 300)}`);
      }
      const errors = result.validation_error?.errors;
      if (JSON.stringify(errors) !== JSON.stringify(v.issues)) {
        violate(`${c.name} (${c.mutation}): result's validation errors differ from validate's`);
      }
      if (typeof result.failure_reason !== "string" || !result.failure_reason.startsWith("JobSpec validation failed")) {
        violate(`${c.name} (${c.mutation}): unclear failure_reason ${String(result.failure_reason).slice(0, 200)}`);
      }
    }
  }
  if (Object.keys(manifest.entries).length !== cases.length) {
    violate(`manifest has ${Object.keys(manifest.entries).length} entries for ${cases.length} cases`);
  }

  // 5. nothing created outside the watch folder and the outputs of valid cases.
  const after = listing(sandbox);
  for (const [p, what] of after) {
    if (before.has(p) || p.startsWith(".memo/")) continue;
    if (
      p.startsWith("watch/") && !p.endsWith(".proxx-partial") && !/\.tmp-\d+$/.test(p) && !p.startsWith("watch/.proxx")
    ) continue;
    if (expectedNew.has(join(sandbox, p))) continue;
    violate(`unexpected new ${what === "dir" ? "directory" : "file"} in the sandbox: ${p}`);
  }
  for (const p of before.keys()) {
    if (!after.has(p) && !(p.startsWith("watch/f") && p.endsWith(".json"))) violate(`${p} disappeared`);
  }

  report.seconds = Math.round((Date.now() - started) / 100) / 10;
  log(
    `fuzz: results ${
      JSON.stringify(report.results)
    }; lost ${report.lost}; violations ${report.violations.length}; ${report.seconds} s`,
  );
  log(
    `fuzz: by mutation ${
      Object.entries(report.byMutation).map(([k, v]) => `${k} ${v.cases}${v.valid ? ` (${v.valid} valid)` : ""}`).join(
        ", ",
      )
    }`,
  );
  if (report.validButFailed.length) {
    log(`fuzz: ${report.validButFailed.length} valid case(s) failed at run time with a clear reason:`);
    for (const f of report.validButFailed.slice(0, 10)) log(`  ${f}`);
  }
  for (const v of report.violations) log(`  VIOLATION ${v}`);
  if (!options.keep && report.violations.length === 0) rmSync(sandbox, { recursive: true, force: true });
  else log(`fuzz: sandbox kept at ${sandbox}`);
  return report;
}

if (import.meta.main) {
  const { values: v } = parseArgs({
    args: process.argv.slice(2),
    options: {
      count: { type: "string" },
      seed: { type: "string" },
      "cli-sample": { type: "string" },
      keep: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (v.help) {
    console.log(`Usage: bun scripts/fuzz.ts [--count N] [--seed N] [--cli-sample N] [--keep]

Generates N (default 20000) hostile JobSpecs, checks them with 'validate' (in-process and
the real CLI) and runs them all through one watch folder. Exit 0 when every case ended
with one clear result and nothing was created outside the watch and output folders.`);
    process.exit(0);
  }
  const report = await runFuzz({
    count: Number(v.count ?? 20_000),
    seed: Number(v.seed ?? Date.now() % 1_000_000),
    cliSample: Number(v["cli-sample"] ?? 500),
    keep: v.keep,
  });
  console.log(
    `fuzz: ${
      report.violations.length === 0
        ? "OK: every case ended with one clear result"
        : `FAILED: ${report.violations.length} violation(s)`
    } (seed ${report.seed})`,
  );
  process.exit(report.violations.length === 0 ? 0 : 1);
}
