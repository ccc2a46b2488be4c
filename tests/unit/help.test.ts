import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakePlatform } from "../helpers/fake-platform.ts";
import { main, mainHelp } from "../../src/cli/main.ts";
import { COMMANDS } from "../../src/cli/commands.ts";
import { commandSpecs, completionScript, optionsFromHelp, SHELLS } from "../../src/cli/completions.ts";

async function proxx(p: FakePlatform, ...args: string[]) {
  p.stdout = "";
  p.stderr = "";
  const code = await main(p, args);
  return { code, stdout: p.stdout, stderr: p.stderr };
}

function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

describe("help", () => {
  test("every command's help has a Usage line, options and an Examples: section using the command", () => {
    for (const command of COMMANDS) {
      expect({ command: command.name, usage: command.help.startsWith(`Usage: proxx ${command.name}`) })
        .toEqual({ command: command.name, usage: true });
      const examples = command.help.split("\nExamples:\n")[1];
      expect({ command: command.name, examples: examples !== undefined }).toEqual({
        command: command.name,
        examples: true,
      });
      expect(examples!.split("\n").filter((l) => l.includes(`proxx ${command.name}`)).length).toBeGreaterThan(0);
      expect(optionsFromHelp(command.help).map((o) => o.long)).toContain("help");
    }
  });

  test("`proxx help <command>`, `proxx <command> --help` and `-h` print the same text", async () => {
    for (const command of COMMANDS) {
      const p = new FakePlatform();
      const viaHelp = await proxx(p, "help", command.name);
      expect(viaHelp.code).toBe(0);
      expect(viaHelp.stdout).toBe(command.help);
      expect((await proxx(p, command.name, "--help")).stdout).toBe(command.help);
      expect((await proxx(p, command.name, "-h")).stdout).toBe(command.help);
    }
  });

  test("`proxx help run` shows run's help; an unknown command is a usage error", async () => {
    const p = new FakePlatform();
    const run = await proxx(p, "help", "run");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: proxx run");
    expect(run.stdout).toContain("Examples:");
    const unknown = await proxx(p, "help", "runn");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'runn'");
  });

  test("`proxx --help` lists every command", () => {
    const text = mainHelp(COMMANDS);
    for (const command of COMMANDS) expect(text).toContain(`  ${command.name} `);
  });

  test("every `proxx new` example in its help works", async () => {
    const newHelp = COMMANDS.find((c) => c.name === "new")!.help;
    const examples = newHelp.split("\nExamples:\n")[1]!.split("\n\n")[0]!.split("\n").map((l) => l.trim());
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const example of examples) {
      const p = new FakePlatform({
        env: { RUNNER_TEMP: "/tmp/runner" },
        files: {
          "/work/clips/day1/A.mov": "v",
          "/work/A001_C001.mxf": "v",
          "/work/B001_C001.mxf": "v",
          "/work/card1/DCIM/clip.MP4": "v",
          "/work/dailies/a.mov": "v",
          "/work/dailies/b.mov": "v",
          "/work/clip [1].mov": "v",
          "/work/fixtures/a.mov": "v",
        },
      });
      for (const dir of ["/work/out", "/work/proxies", "/mnt/proxies", "/work/jobs", "/tmp/runner/out"]) {
        p.mkdirSync(dir);
      }
      const command = example.replace(/\s*(>|&&).*$/, "");
      const args = shellWords(command.replace(/\$RUNNER_TEMP/g, "/tmp/runner")).slice(1);
      const r = await proxx(p, ...args);
      expect({ example, code: r.code, stderr: r.stderr }).toEqual({ example, code: 0, stderr: "" });
    }
  });
});

/** Enough of POSIX word splitting for the examples: single and double quotes, spaces. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (const c of line) {
    if (quote) {
      if (c === quote) quote = null;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= "";
    } else if (c === " ") {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? "") + c;
  }
  if (word !== null) words.push(word);
  return words;
}

describe("completions", () => {
  const names = [...COMMANDS.map((c) => c.name), "help"];

  test("derived from the command list: every command and every option of every command", () => {
    const specs = commandSpecs(COMMANDS);
    expect(specs.map((s) => s.name)).toEqual(names);
    for (const shell of SHELLS) {
      const script = completionScript(shell, COMMANDS);
      for (const spec of specs) {
        expect({ shell, command: spec.name, listed: script.includes(spec.name) }).toEqual({
          shell,
          command: spec.name,
          listed: true,
        });
        for (const option of spec.options) {
          const needle = shell === "fish" ? `-l ${option.long} ` : `--${option.long}`;
          expect({ shell, option: option.long, listed: script.includes(needle) }).toEqual({
            shell,
            option: option.long,
            listed: true,
          });
        }
      }
    }
  });

  test("`proxx completions <shell>` prints the script; other shells are usage errors", async () => {
    const p = new FakePlatform();
    const bash = await proxx(p, "completions", "bash");
    expect(bash.code).toBe(0);
    expect(bash.stdout).toBe(completionScript("bash", COMMANDS));
    expect((await proxx(p, "completions")).code).toBe(2);
    const tcsh = await proxx(p, "completions", "tcsh");
    expect(tcsh.code).toBe(2);
    expect(tcsh.stderr).toContain("bash, zsh, fish");
  });

  const dir = mkdtempSync(join(tmpdir(), "proxx-completions-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (shell: string) => {
    const path = join(dir, `proxx.${shell}`);
    writeFileSync(path, completionScript(shell as "bash", COMMANDS));
    return path;
  };

  test("the scripts parse in their shells (where installed)", () => {
    for (const shell of SHELLS) {
      if (!has(shell)) continue;
      const r = spawnSync(shell, ["-n", file(shell)], { encoding: "utf8" });
      expect({ shell, status: r.status, stderr: r.stderr }).toEqual({ shell, status: 0, stderr: "" });
    }
  });

  test("bash completes commands, options and JobSpec values", () => {
    const script = file("bash");
    const complete = (...words: string[]) => {
      const cword = words.length - 1;
      const line = `source '${script}'; COMP_WORDS=(proxx ${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${
        cword + 1
      }; _proxx; echo "\${COMPREPLY[*]}"`;
      return spawnSync("bash", ["-c", line], { encoding: "utf8", cwd: dir }).stdout.trim();
    };
    expect(complete("ne")).toBe("new");
    expect(complete("new", "--co")).toBe("--codec --container");
    expect(complete("new", "--codec", "h26")).toBe("h264 h265");
    expect(complete("new", "--proxy-profile", "proxy_pr")).toBe("proxy_prores_proxy proxy_prores_lt");
    expect(complete("help", "s")).toBe("status shard-of schema");
    expect(complete("completions", "")).toBe("bash zsh fish");
    expect(complete("watch", "--o")).toBe("--once --on-job-done");
  });
});
