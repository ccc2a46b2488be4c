/**
 * Build the self-contained proxx binaries: one file per OS/CPU, no runtime to install.
 *
 *   bun scripts/build.ts                       all targets
 *   bun scripts/build.ts --target linux-x64    one target (repeat --target for more)
 *   bun scripts/build.ts --list                print the target names
 *
 * Each binary is `bun build --compile --minify --sourcemap=none src/main.ts` for one
 * `bun-<os>-<arch>` target, stamped with the short git commit (src/version.ts reads
 * PROXX_GIT_COMMIT). Bun fetches the runtime for a cross target from the npm registry the
 * first time. Afterwards `dist/SHA256SUMS` lists every binary in dist/, in `sha256sum`
 * format, so `cd dist && sha256sum -c SHA256SUMS` checks a download. The binaries embed the
 * burn-in font (src/looks/font.ts); its licence goes beside them as dist/LICENSE-DejaVu-fonts.txt.
 *
 * The binary runs proxx in-process and spawns only FFmpeg and ffprobe; it never starts a
 * copy of itself (no worker re-exec), so it needs nothing next to it.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { parseArgs } from "node:util";

export const TARGETS = {
  "linux-x64": "bun-linux-x64",
  "linux-x64-baseline": "bun-linux-x64-baseline",
  "linux-arm64": "bun-linux-arm64",
  "darwin-x64": "bun-darwin-x64",
  "darwin-arm64": "bun-darwin-arm64",
  "windows-x64": "bun-windows-x64",
} as const;
export type TargetName = keyof typeof TARGETS;

const root = path.resolve(import.meta.dir, "..");
const dist = path.join(root, "dist");

export function outfileFor(target: TargetName): string {
  return path.join(dist, `proxx-${target}${target.startsWith("windows") ? ".exe" : ""}`);
}

async function gitCommit(): Promise<string> {
  try {
    const proc = Bun.spawn(["git", "rev-parse", "--short", "HEAD"], { cwd: root, stdout: "pipe", stderr: "ignore" });
    const out = (await new Response(proc.stdout).text()).trim();
    return (await proc.exited) === 0 && out ? out : "unknown";
  } catch {
    return "unknown"; // not a git checkout (e.g. a source tarball) or git missing
  }
}

async function buildOne(target: TargetName, commit: string): Promise<void> {
  const outfile = outfileFor(target);
  // Build beside the final name, then rename: a binary that is running or being tested is
  // never seen half-written or missing.
  // Keep ".exe" last: bun appends it to a Windows outfile that lacks it.
  const exe = outfile.endsWith(".exe") ? ".exe" : "";
  const partial = path.join(dist, `.${path.basename(outfile, exe)}.tmp-${process.pid}${exe}`);
  const args = [
    "build",
    "--compile",
    "--minify",
    "--sourcemap=none",
    `--target=${TARGETS[target]}`,
    "--define",
    `PROXX_GIT_COMMIT=${JSON.stringify(commit)}`,
    "src/main.ts",
    "--outfile",
    partial,
  ];
  console.error(`build: ${target} → ${path.relative(root, outfile)}`);
  const started = performance.now();
  const proc = Bun.spawn([process.execPath, ...args], { cwd: root, stdout: "inherit", stderr: "inherit" });
  const code = await proc.exited;
  if (code !== 0) {
    await rm(partial, { force: true });
    throw new Error(`bun build for ${target} exited with code ${code}`);
  }
  await rename(partial, outfile);
  const size = (await stat(outfile)).size;
  console.error(
    `build: ${target} done, ${(size / 1e6).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

async function sha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** `dist/SHA256SUMS` for every proxx binary in dist/, sorted by name. */
export async function writeChecksums(): Promise<string> {
  const names = (await readdir(dist)).filter((n) => /^proxx-[a-z0-9-]+(\.exe)?$/.test(n)).sort();
  const lines = [];
  for (const name of names) lines.push(`${await sha256(path.join(dist, name))}  ${name}`);
  const file = path.join(dist, "SHA256SUMS");
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, lines.length ? `${lines.join("\n")}\n` : "");
  await rename(tmp, file);
  return file;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: "string", multiple: true },
      list: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(`Usage: bun scripts/build.ts [--target NAME]... [--list]\nTargets: ${Object.keys(TARGETS).join(", ")}`);
    return 0;
  }
  if (values.list) {
    console.log(Object.keys(TARGETS).join("\n"));
    return 0;
  }
  const wanted = (values.target ?? Object.keys(TARGETS)) as string[];
  const unknown = wanted.filter((t) => !(t in TARGETS));
  if (unknown.length) {
    console.error(`build: unknown target ${unknown.join(", ")}; known: ${Object.keys(TARGETS).join(", ")}`);
    return 2;
  }
  await mkdir(dist, { recursive: true });
  const commit = await gitCommit();
  for (const target of wanted as TargetName[]) await buildOne(target, commit);
  // The binaries embed DejaVu Sans Mono (burn-ins); its licence asks for its notice beside every copy.
  await copyFile(path.join(root, "node_modules/dejavu-fonts-ttf/LICENSE"), path.join(dist, "LICENSE-DejaVu-fonts.txt"));
  const sums = await writeChecksums();
  console.error(`build: wrote ${path.relative(root, sums)}`);
  return 0;
}

if (import.meta.main) {
  try {
    process.exit(await main(process.argv.slice(2)));
  } catch (error) {
    console.error(`build: ${(error as Error).message}`);
    process.exit(1);
  }
}
