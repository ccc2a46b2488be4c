import { describe, expect, test } from "bun:test";
import {
  collisionKey,
  MAX_TEMPLATE_CHARS,
  resolveName,
  splitName,
  templateProblems,
  TOKENS,
} from "../../src/jobspec/naming.ts";

const ctx = {
  sourcePath: "/in/clip_a.mov",
  index: 0,
  jobId: "test001",
  codec: "prores_proxy",
  resolution: "half",
  startedAtMs: Date.UTC(2025, 11, 28, 23, 59, 7),
};

describe("naming tokens", () => {
  test("the seed's multi-clip template gives clip_a_proxy_000, clip_b_proxy_001, clip_c_proxy_002", () => {
    const names = ["clip_a", "clip_b", "clip_c"].map((n, index) =>
      resolveName("{source_name}_proxy_{index}", { ...ctx, sourcePath: `/in/${n}.mov`, index })
    );
    expect(names).toEqual(["clip_a_proxy_000", "clip_b_proxy_001", "clip_c_proxy_002"]);
  });

  test("every token resolves; date and time are the job start in UTC", () => {
    expect(resolveName("{source_name}.{source_ext}-{job_id}-{date}-{time}-{index}-{codec}-{resolution}", ctx))
      .toBe("clip_a.mov-test001-20251228-235907-000-prores_proxy-half");
  });

  test("index pads to three digits and grows past 999", () => {
    expect(resolveName("{index}", { ...ctx, index: 7 })).toBe("007");
    expect(resolveName("{index}", { ...ctx, index: 1000 })).toBe("1000");
  });

  test("source_name keeps everything but the last extension; no extension is fine", () => {
    expect(splitName("/a/b/my.clip.v2.mov")).toEqual({ name: "my.clip.v2", ext: "mov" });
    expect(splitName("/a/README")).toEqual({ name: "README", ext: "" });
    expect(splitName("/a/.hidden")).toEqual({ name: ".hidden", ext: "" });
  });

  test("a token value never adds a path separator or control character", () => {
    expect(resolveName("{source_name}", { ...ctx, sourcePath: "/in/a\\b\nc.mov" })).toBe("a_b_c");
  });

  test("spaces, quotes, unicode and a leading dash survive unchanged", () => {
    for (const name of ["my clip", 'it\'s "here"', "café", "cafe\u0301", "-rf"]) {
      expect(resolveName("{source_name}_proxy", { ...ctx, sourcePath: `/in/${name}.mov` })).toBe(`${name}_proxy`);
    }
  });

  test("__ is not collapsed (the original did)", () => {
    expect(resolveName("{source_name}__x", ctx)).toBe("clip_a__x");
  });
});

describe("template problems", () => {
  test("a good template has none", () => {
    expect(templateProblems("{source_name}_proxy_{index}", 3)).toEqual([]);
  });
  test("unknown tokens are named", () => {
    expect(templateProblems("{name}_{index}", 1)[0]).toContain("unknown token {name}");
  });
  test("unbalanced braces", () => {
    expect(templateProblems("{source_name", 1)).toEqual(["has an unbalanced '{' or '}'"]);
  });
  test("path separators are refused", () => {
    expect(templateProblems("sub/{source_name}", 1)[0]).toContain("must not contain '/'");
    expect(templateProblems("..\\{source_name}", 1)[0]).toContain("must not contain '/'");
  });
  // Found by scripts/fuzz.ts: a 7 MB template took ~1 s to check, and a repeated unknown
  // token gave one issue per occurrence (300,000 issues, a 47 MB `validate --json` line).
  test("a huge template is one problem, found without scanning it", () => {
    const t0 = performance.now();
    expect(templateProblems("{index}".repeat(1_000_000), 1)).toEqual([
      `is 7000000 characters long; at most ${MAX_TEMPLATE_CHARS} (a proxy file name has to fit in 240 bytes)`,
    ]);
    expect(performance.now() - t0).toBeLessThan(50);
    expect(templateProblems("x".repeat(MAX_TEMPLATE_CHARS), 1)).toEqual([]);
  });
  test("an unknown token is reported once, and at most ten are named", () => {
    expect(templateProblems("{x}{x}_{index}{x}", 1)).toEqual([
      `unknown token {x}; known tokens: ${TOKENS.map((t) => `{${t}}`).join(", ")}`,
    ]);
    const many = Array.from({ length: 25 }, (_, i) => `{t${i}}`).join("");
    const problems = templateProblems(many, 1);
    expect(problems).toHaveLength(11);
    expect(problems[0]).toStartWith("unknown token {t0};");
    expect(problems[9]).toStartWith("unknown token {t9};");
    expect(problems[10]).toBe("and 15 more unknown token(s)");
  });
  test("more than one source needs {index} or {source_name}", () => {
    expect(templateProblems("{job_id}_proxy", 1)).toEqual([]);
    expect(templateProblems("{job_id}_proxy", 2)[0]).toContain("must contain {index} or {source_name}");
  });
});

test("collision keys fold case and Unicode normal form", () => {
  expect(collisionKey("Clip.MOV")).toBe(collisionKey("clip.mov"));
  expect(collisionKey("cafe\u0301.mov")).toBe(collisionKey("café.mov"));
});
