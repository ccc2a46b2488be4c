/**
 * The `@example` blocks in src/ are tests: CI runs them with `deno test --doc src/` (.ci/run).
 * That only proves they run; an example that asserts nothing passes however wrong it is, and
 * a block in another language (`sh`, `json`) is not run at all. So each one must be a `ts`
 * block that asserts with node:assert (both runtimes ship it; JSR's @std/assert is not
 * reachable from CI).
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../helpers/cli.ts";

interface Example {
  where: string;
  lang: string;
  code: string;
}

/** Each `@example` tag in a JSDoc comment, with the fenced block that follows it (or none). */
function examples(): { tags: number; blocks: Example[] } {
  let tags = 0;
  const blocks: Example[] = [];
  const files = (readdirSync(join(REPO, "src"), { recursive: true }) as string[]).filter((f) => f.endsWith(".ts"));
  for (const file of files) {
    const text = readFileSync(join(REPO, "src", file), "utf8");
    tags += text.split("@example").length - 1;
    for (const m of text.matchAll(/@example\n \* ```(\w*)\n([\s\S]*?)\n \* ```/g)) {
      const line = text.slice(0, m.index).split("\n").length;
      blocks.push({ where: `src/${file}:${line}`, lang: m[1]!, code: m[2]!.replace(/^ \*( |$)/gm, "") });
    }
  }
  return { tags, blocks };
}

describe("@example blocks in src/", () => {
  const { tags, blocks } = examples();

  test("each tag is followed directly by a fenced block (so this test sees every one)", () => {
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks.length).toBe(tags);
  });

  test("each is TypeScript and asserts with node:assert", () => {
    for (const b of blocks) {
      expect({ where: b.where, lang: b.lang }).toEqual({ where: b.where, lang: "ts" });
      expect({ where: b.where, imports: b.code.includes('import assert from "node:assert/strict";') })
        .toEqual({ where: b.where, imports: true });
      expect({ where: b.where, asserts: /\bassert\.\w+\(/.test(b.code) }).toEqual({ where: b.where, asserts: true });
    }
  });
});
