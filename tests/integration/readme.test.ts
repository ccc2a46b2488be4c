/**
 * Every command in README.md is run, in document order, so the README cannot drift from proxx.
 *
 * - ```sh / ```bash blocks run with `bash -eo pipefail`; every one must exit 0.
 *   By default they run in a temporary copy of the demo environment (.work/demo after
 *   `scripts/demo`: media/, jobs/, proxies/), with `proxx` on PATH as a shim for
 *   `bun <repo>/src/main.ts`. A block preceded by `<!-- test: repo -->` runs in the repository
 *   root instead (scripts/demo, builds). A block preceded by `<!-- no-test: reason -->` is not
 *   run (systemd, docker, macOS, the test suite itself); the reason is required.
 * - ```json blocks that are JobSpecs (they have "naming_template") must pass
 *   `proxx validate --no-paths`, or fail it with exit 3 when preceded by `<!-- expect-invalid -->`.
 * - The exit-code table matches src/cli/exit-codes.ts, and every repository path the README
 *   names in backticks exists.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { EXIT } from "../../src/cli/exit-codes.ts";
import { MAIN, REPO } from "../helpers/cli.ts";

interface Block {
  lang: string;
  code: string;
  line: number;
  marker: { kind: "no-test"; reason: string } | { kind: "repo" } | { kind: "expect-invalid" } | null;
}

/** Fenced blocks with the HTML comment (if any) on the last non-blank line before the fence. */
export function fencedBlocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    let j = start - 1;
    while (j >= 0 && lines[j]!.trim() === "") j--;
    const comment = j >= 0 ? lines[j]!.trim() : "";
    let marker: Block["marker"] = null;
    const noTest = /^<!--\s*no-test:(.*?)-->$/.exec(comment);
    if (noTest) marker = { kind: "no-test", reason: noTest[1]!.trim() };
    else if (/^<!--\s*test:\s*repo\s*-->$/.test(comment)) marker = { kind: "repo" };
    else if (/^<!--\s*expect-invalid\s*-->$/.test(comment)) marker = { kind: "expect-invalid" };
    blocks.push({ lang: open[1]!, code: body.join("\n"), line: start + 1, marker });
  }
  return blocks;
}

const README = readFileSync(join(REPO, "README.md"), "utf8");
const blocks = fencedBlocks(README);
const shellBlocks = blocks.filter((b) => b.lang === "sh" || b.lang === "bash");

const scratch = mkdtempSync(join(tmpdir(), "proxx-readme-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const shimDir = join(scratch, "bin");
mkdirSync(shimDir);
writeFileSync(join(shimDir, "proxx"), `#!/bin/sh\nexec '${process.execPath}' '${MAIN}' "$@"\n`);
chmodSync(join(shimDir, "proxx"), 0o755);
const env = {
  ...process.env,
  NO_COLOR: "1",
  PATH: [shimDir, join(REPO, ".tools", "node_modules", ".bin"), process.env.PATH ?? ""].join(delimiter),
};

/** The copy of .work/demo the examples run in; made once scripts/demo (the first block) has run. */
let demoCopy: string | null = null;
function demoEnvironment(): string {
  if (demoCopy) return demoCopy;
  const demo = join(REPO, ".work", "demo");
  if (!existsSync(join(demo, "media"))) {
    throw new Error("the README must run scripts/demo (in a `<!-- test: repo -->` block) before any other example");
  }
  demoCopy = join(scratch, "demo");
  cpSync(demo, demoCopy, { recursive: true });
  return demoCopy;
}

function firstLine(code: string): string {
  return code.split("\n").find((l) => l.trim() !== "")?.trim().slice(0, 60) ?? "(empty)";
}

describe("README shell blocks", () => {
  test("there are runnable blocks, and scripts/demo and scripts/test are the first two commands", () => {
    expect(shellBlocks.filter((b) => b.marker?.kind !== "no-test").length).toBeGreaterThan(5);
    expect(shellBlocks[0]!.code.trim()).toBe("scripts/demo");
    expect(shellBlocks[1]!.code.trim()).toBe("scripts/test");
  });

  test("every skipped block says why", () => {
    for (const b of blocks) {
      if (b.marker?.kind === "no-test") {
        expect({ line: b.line, reason: b.marker.reason }).toEqual({
          line: b.line,
          reason: expect.stringMatching(/\w{3,}/),
        });
      }
    }
  });

  for (const block of shellBlocks) {
    if (block.marker?.kind === "no-test") continue;
    const where = block.marker?.kind === "repo" ? "repo" : "demo copy";
    test(`line ${block.line} (${where}): ${firstLine(block.code)}`, () => {
      const cwd = block.marker?.kind === "repo" ? REPO : demoEnvironment();
      const r = spawnSync("bash", ["-eo", "pipefail", "-c", block.code], {
        cwd,
        env,
        encoding: "utf8",
        timeout: 180_000,
      });
      if (r.status !== 0) {
        console.error(`README block at line ${block.line} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
      }
      expect(r.status).toBe(0);
    }, 200_000);
  }
});

describe("README JobSpec examples", () => {
  const specs = blocks.filter((b) =>
    b.lang === "json" && b.code.includes('"naming_template"') && b.marker?.kind !== "no-test"
  );
  test("there are JobSpec examples", () => expect(specs.length).toBeGreaterThan(2));
  for (const block of specs) {
    const invalid = block.marker?.kind === "expect-invalid";
    test(`line ${block.line}: ${invalid ? "invalid, as it says" : "valid"}`, () => {
      const file = join(scratch, `spec-line-${block.line}.json`);
      writeFileSync(file, block.code);
      const r = spawnSync(process.execPath, [MAIN, "validate", "--no-paths", file], { env, encoding: "utf8" });
      if (r.status !== (invalid ? EXIT.INVALID : EXIT.OK)) console.error(r.stdout, r.stderr);
      expect(r.status).toBe(invalid ? EXIT.INVALID : EXIT.OK);
    });
  }
});

describe("README facts", () => {
  test("the exit-code table lists exactly the codes of src/cli/exit-codes.ts", () => {
    const section = README.slice(README.indexOf("### Exit codes"), README.indexOf("## Watch folders"));
    const codes = [...section.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    expect(codes).toEqual(Object.values(EXIT).sort((a, b) => a - b));
  });

  test("every repository path named in backticks exists", () => {
    const paths = [...README.matchAll(/`((?:src|scripts|docs|tests|fixtures|\.ci)\/[^`\s<>*]+)`/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThan(20);
    const missing = paths.filter((p) => !existsSync(join(REPO, p.replace(/\/$/, ""))));
    expect(missing).toEqual([]);
  });
});
