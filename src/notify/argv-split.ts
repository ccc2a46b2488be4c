/**
 * `--on-job-done 'notify-send "proxy done"'` → `["notify-send", "proxy done"]`: the command
 * line split into words the way a POSIX shell would split it (whitespace, '…', "…", \),
 * and then run directly, never through a shell. Why a module of our own rather than an npm
 * package: docs/hooks-and-webhooks.md ("Why proxx splits the command itself").
 *
 * What a shell would do *beyond* splitting (variables, `$(…)`, globs, `~`, pipes,
 * redirections, `;`, `&`, comments) is refused with the column and a way out, rather than
 * passed on as literal text: `cp $PROXX_RESULT_PATH /backup` must fail when proxx starts,
 * not hand `cp` the string `$PROXX_RESULT_PATH` at the end of every job.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitCommandLine } from "./argv-split.ts";
 * assert.deepEqual(splitCommandLine(`./notify.sh --channel 'proxy jobs' "a \\"b\\""`), [
 *   "./notify.sh", "--channel", "proxy jobs", 'a "b"',
 * ]);
 * assert.throws(() => splitCommandLine("cat $PROXX_RESULT_PATH"), /variables are not expanded/);
 * ```
 */

/** The command line cannot be split, or needs a shell; `column` is 1-based. */
export class ArgvSplitError extends Error {
  override name = "ArgvSplitError";
  constructor(message: string, readonly column: number) {
    super(`${message} (at column ${column})`);
  }
}

const SPACE = new Set([" ", "\t", "\n", "\r"]);
const OPERATORS = new Set(["|", "&", ";", "<", ">", "(", ")"]);
const GLOBS = new Set(["*", "?", "["]);
/** Inside "…" a backslash escapes only these (POSIX); before anything else it stays a backslash. */
const DQ_ESCAPABLE = new Set(["\\", '"', "$", "`", "\n"]);

const SHELL_HINT = "proxx runs the command directly, never through a shell; for shell syntax, " +
  "start a shell yourself, with the script in single quotes: sh -c '…' (or put it in a script file)";
const VARIABLE_HINT = "variables are not expanded (the hook finds PROXX_RESULT_PATH, PROXX_JOBSPEC_PATH, " +
  "PROXX_FINAL_STATUS and PROXX_JOB_ID in its environment); put it in '…' to pass it literally, " +
  `or let a shell expand it: sh -c 'cp "$PROXX_RESULT_PATH" /backup/'`;

/** Split `text` into argv words; throws `ArgvSplitError` for syntax a shell would be needed for. */
export function splitCommandLine(text: string): string[] {
  const chars = [...text];
  const words: string[] = [];
  let word = "";
  let inWord = false; // '' and "" make a word even when empty
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const column = i + 1;
    if (SPACE.has(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      continue;
    }
    if (c === "'") {
      const end = chars.indexOf("'", i + 1);
      if (end < 0) throw new ArgvSplitError("a ' is never closed", column);
      word += chars.slice(i + 1, end).join("");
      inWord = true;
      i = end;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      for (; j < chars.length && chars[j] !== '"'; j++) {
        const d = chars[j]!;
        if (d === "\\" && j + 1 < chars.length && DQ_ESCAPABLE.has(chars[j + 1]!)) {
          if (chars[j + 1] !== "\n") word += chars[j + 1]; // backslash-newline: a line continuation
          j++;
        } else if (d === "$" || d === "`") {
          throw new ArgvSplitError(`'${d}' inside "…": ${VARIABLE_HINT}`, j + 1);
        } else {
          word += d;
        }
      }
      if (j >= chars.length) throw new ArgvSplitError('a " is never closed', column);
      inWord = true;
      i = j;
      continue;
    }
    if (c === "\\") {
      if (i + 1 >= chars.length) throw new ArgvSplitError("the command line ends with a lone backslash", column);
      if (chars[i + 1] !== "\n") {
        word += chars[i + 1];
        inWord = true;
      }
      i++;
      continue;
    }
    if (c === "$" || c === "`") throw new ArgvSplitError(`'${c}': ${VARIABLE_HINT}`, column);
    if (OPERATORS.has(c)) {
      throw new ArgvSplitError(
        `'${c}' means a pipe, redirection, list or subshell to a shell, and nothing to proxx: ${SHELL_HINT}`,
        column,
      );
    }
    if (GLOBS.has(c)) {
      throw new ArgvSplitError(`'${c}' is not expanded (proxx does no wildcard matching); put it in '…'`, column);
    }
    if (!inWord && c === "~") {
      throw new ArgvSplitError("a leading '~' is not expanded to the home folder; write the full path", column);
    }
    if (!inWord && c === "#") {
      throw new ArgvSplitError("'#' would start a comment in a shell; put it in '…' to pass it literally", column);
    }
    word += c;
    inWord = true;
  }
  if (inWord) words.push(word);
  if (words.length === 0) throw new ArgvSplitError("the command is empty", 1);
  return words;
}
