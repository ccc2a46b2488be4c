/**
 * `--on-job-done` splitting: every accepted command line splits into the words a real
 * POSIX shell gives (checked against `sh` itself), and everything a shell would do beyond
 * splitting is refused with its column.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { ArgvSplitError, splitCommandLine } from "../../src/notify/argv-split.ts";

/** The words `sh` makes of `line` (printf prints each argument followed by a NUL). */
function shellWords(line: string): string[] {
  const r = spawnSync("sh", ["-c", `printf '%s\\0' ${line}`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`sh failed on ${line}: ${r.stderr}`);
  return r.stdout.split("\0").slice(0, -1);
}

describe("split like sh", () => {
  const cases: [string, string[]][] = [
    ["./notify.sh", ["./notify.sh"]],
    ["  notify   --to  edit  ", ["notify", "--to", "edit"]],
    [`say 'proxy jobs' done`, ["say", "proxy jobs", "done"]],
    [`say "a \\"quoted\\" word"`, ["say", 'a "quoted" word']],
    [`say 'it'\\''s'`, ["say", "it's"]],
    [`say a\\ b c`, ["say", "a b", "c"]],
    [`say '' ""`, ["say", "", ""]],
    [`say "back\\\\slash" "keep\\n" '\\t'`, ["say", "back\\slash", "keep\\n", "\\t"]],
    [`say "\\$HOME" '$HOME' \\$x`, ["say", "$HOME", "$HOME", "$x"]],
    [`say a#b c~d --x=1`, ["say", "a#b", "c~d", "--x=1"]],
    [`say 'a'"b"c`, ["say", "abc"]],
    [`say 'tab\tinside' "new\nline"`, ["say", "tab\tinside", "new\nline"]],
    [`say "wrapped \\\nline" one\\\ntwo`, ["say", "wrapped line", "onetwo"]],
    [`say 'prêt à monter' 日本`, ["say", "prêt à monter", "日本"]],
    [`sh -c 'cp "$PROXX_RESULT_PATH" /backup/'`, ["sh", "-c", `cp "$PROXX_RESULT_PATH" /backup/`]],
  ];
  for (const [line, words] of cases) {
    test(JSON.stringify(line), () => {
      expect(splitCommandLine(line)).toEqual(words);
      // The expectation is the shell's own answer, not ours (the first word is printf's too).
      expect(shellWords(line)).toEqual(words);
    });
  }
});

describe("refused, with the column", () => {
  const cases: [string, number, RegExp][] = [
    ["cp $PROXX_RESULT_PATH /backup", 4, /variables are not expanded/],
    [`cp "$PROXX_RESULT_PATH" /backup`, 5, /inside "…": variables are not expanded/],
    ["echo `date`", 6, /variables are not expanded/],
    ["notify | tee log", 8, /pipe, redirection/],
    ["notify > log", 8, /never through a shell/],
    ["notify; rm -rf /", 7, /never through a shell/],
    ["notify &", 8, /never through a shell/],
    ["ls *.mov", 4, /not expanded \(proxx does no wildcard matching\)/],
    ["ls clip?.mov", 8, /wildcard/],
    ["~/bin/notify", 1, /leading '~'/],
    ["notify #comment", 8, /comment/],
    ["say 'open", 5, /' is never closed/],
    [`say "open`, 5, /" is never closed/],
    ["say end\\", 8, /lone backslash/],
    ["   ", 1, /empty/],
    ["", 1, /empty/],
  ];
  for (const [line, column, message] of cases) {
    test(JSON.stringify(line), () => {
      let error: unknown;
      try {
        splitCommandLine(line);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ArgvSplitError);
      expect((error as ArgvSplitError).column).toBe(column);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain(`(at column ${column})`);
    });
  }
});
