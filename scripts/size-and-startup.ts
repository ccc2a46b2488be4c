/**
 * Size of each built binary, and how long `proxx --version` takes to start and exit:
 * median of 20 runs (after one warm-up run) for the compiled binary of this machine,
 * `bun src/main.ts` and `deno run -A src/main.ts`. Prints Markdown tables (the README's
 * figures come from here).
 *
 *   bun scripts/build.ts && bun scripts/size-and-startup.ts
 *   bun scripts/size-and-startup.ts --runs 50
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";

const root = path.resolve(import.meta.dir, "..");
const dist = path.join(root, "dist");
const { values } = parseArgs({ args: process.argv.slice(2), options: { runs: { type: "string" } } });
const runs = Math.max(1, Number(values.runs ?? 20));

function which(name: string): string | null {
  const local = path.join(root, ".tools", "node_modules", ".bin", name);
  if (existsSync(local)) return local;
  return Bun.which(name);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function timeOnce(cmd: string[]): number {
  const t0 = performance.now();
  const r = Bun.spawnSync(cmd, { cwd: root, stdout: "pipe", stderr: "pipe" });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited with ${r.exitCode}: ${r.stderr.toString()}`);
  return ms;
}

function startup(cmd: string[]): { median: number; min: number; max: number } {
  timeOnce(cmd); // warm-up: page cache, Deno's module cache
  const xs = Array.from({ length: runs }, () => timeOnce(cmd));
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

const lines: string[] = [];
lines.push(
  `Measured on ${os.cpus()[0]?.model ?? "unknown CPU"} (${os.cpus().length} cores), ${os.platform()}-${os.arch()}, ${
    new Date().toISOString().slice(0, 10)
  }`,
);
lines.push("");
lines.push("| Binary | Size |");
lines.push("|---|---:|");
const binaries = existsSync(dist) ? readdirSync(dist).filter((n) => /^proxx-[a-z0-9-]+(\.exe)?$/.test(n)).sort() : [];
for (const name of binaries) {
  lines.push(`| \`${name}\` | ${(statSync(path.join(dist, name)).size / 1e6).toFixed(1)} MB |`);
}
if (binaries.length === 0) lines.push("| (none built: run `bun scripts/build.ts`) | |");

const host = `${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
const hostBinary = path.join(dist, `proxx-${host}${process.platform === "win32" ? ".exe" : ""}`);
const bun = which("bun") ?? process.execPath;
const deno = which("deno");
const candidates: [string, string[] | null][] = [
  [`dist/proxx-${host} --version`, existsSync(hostBinary) ? [hostBinary, "--version"] : null],
  ["bun src/main.ts --version", [bun, "src/main.ts", "--version"]],
  ["deno run -A src/main.ts --version", deno ? [deno, "run", "-A", "src/main.ts", "--version"] : null],
];
lines.push("");
lines.push(`| \`proxx --version\` started as | median of ${runs} | min | max |`);
lines.push("|---|---:|---:|---:|");
for (const [label, cmd] of candidates) {
  if (!cmd) {
    lines.push(`| \`${label}\` | not available | | |`);
    continue;
  }
  const s = startup(cmd);
  lines.push(`| \`${label}\` | ${s.median.toFixed(0)} ms | ${s.min.toFixed(0)} ms | ${s.max.toFixed(0)} ms |`);
}
console.log(lines.join("\n"));
