/**
 * Every example in deploy/ runs: the exact command each file contains is taken out of it and
 * run as that engine would run it, N copies at once on one watch folder, each with the
 * variables its engine gives its copies (Kubernetes JOB_COMPLETION_INDEX, AWS Batch
 * AWS_BATCH_JOB_ARRAY_INDEX/_SIZE, GitLab CI_NODE_INDEX/_TOTAL, the Slurm array's variables,
 * the OpenJD task parameter, the GitHub matrix). The folder must end with every JobSpec
 * processed exactly once, and each copy must have taken only its own shard.
 *
 * The files are read with a few regular expressions, not a YAML parser (no new dependency):
 * keep their commands and the values the test reads on one line each (`command: [...]`,
 * `args: [...]`, `- name: X` + `value: "…"`). The share's mount point `/mnt/proxx` is
 * replaced with the test's folder; `proxx` on PATH is `bun src/main.ts`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { shardOf } from "../../src/shard/assign.ts";
import { MAIN, REPO, tempDir } from "../helpers/cli.ts";
import { checkFolder, encodes, makeShardFolder, type ShardFolder } from "../helpers/shard-folder.ts";

const DEPLOY = join(REPO, "deploy");
const MOUNT = "/mnt/proxx";
const JOBS = 8;
const read = (file: string) => readFileSync(join(DEPLOY, file), "utf8");

/** One copy of the command as the engine starts it: argv, or a shell line, and its variables. */
interface Copy {
  argv: string[];
  env: Record<string, string>;
}
interface Launch {
  file: string;
  copies: Copy[];
  /** OpenJD: stdout must be progress/status lines. */
  openjd?: boolean;
}

function one(text: string, re: RegExp, what: string): string {
  const m = re.exec(text);
  if (!m) throw new Error(`${what} not found (${re})`);
  return m[1]!;
}
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** `$(NAME)` (Kubernetes) / `{{Name}}` / `${{ name }}` substitution. */
const expand = (s: string, re: RegExp, vars: Record<string, string>) =>
  s.replace(re, (whole, name: string) => {
    if (!(name in vars)) throw new Error(`${whole}: no value for ${name}`);
    return vars[name]!;
  });

const LAUNCHES: Record<string, () => Launch> = {
  "Slurm job array": () => {
    const file = "slurm/proxx-array.sbatch";
    const text = read(file);
    const [lo, hi] = one(text, /^#SBATCH --array=(\d+-\d+)$/m, "#SBATCH --array").split("-").map(Number) as [
      number,
      number,
    ];
    // The batch script is the command: bash runs it with the array task's variables.
    return {
      file,
      copies: range(hi - lo + 1).map((i) => ({
        argv: ["bash", "-c", text, file],
        env: {
          SLURM_JOB_ID: String(100 + i),
          SLURM_ARRAY_JOB_ID: "99",
          SLURM_ARRAY_TASK_ID: String(lo + i),
          SLURM_ARRAY_TASK_MIN: String(lo),
          SLURM_ARRAY_TASK_MAX: String(hi),
          SLURM_ARRAY_TASK_STEP: "1",
          SLURM_ARRAY_TASK_COUNT: String(hi - lo + 1),
        },
      })),
    };
  },
  "Kubernetes Indexed Job": () => {
    const file = "kubernetes/proxx-indexed-job.yaml";
    const text = read(file);
    expect(text).toContain("completionMode: Indexed");
    const completions = Number(one(text, /^\s+completions: (\d+)$/m, "completions"));
    expect(Number(one(text, /^\s+parallelism: (\d+)$/m, "parallelism"))).toBe(completions);
    const command: string[] = JSON.parse(one(text, /^\s+command: (\[.*\])$/m, "command"));
    const vars = Object.fromEntries(
      [...text.matchAll(/^\s+- name: (\w+)\n\s+value: "([^"]*)"$/gm)].map((m) => [m[1]!, m[2]!]),
    );
    // The repeated total must be the Job's own.
    expect(vars.PROXX_SHARDS).toBe(String(completions));
    expect(one(text, /mountPath: (\S+)/, "mountPath")).toBe(MOUNT);
    return {
      file,
      copies: range(completions).map((i) => ({
        argv: command.map((a) => expand(a, /\$\((\w+)\)/g, vars)),
        env: { ...vars, JOB_COMPLETION_INDEX: String(i) },
      })),
    };
  },
  "AWS Batch array job": () => {
    const file = "aws-batch/job-definition.json";
    const def = JSON.parse(read(file));
    const size: number = JSON.parse(read("aws-batch/submit-job.json")).arrayProperties.size;
    expect(JSON.parse(read("aws-batch/submit-job.json")).jobDefinition).toBe(def.jobDefinitionName);
    expect(def.containerProperties.mountPoints.map((m: { containerPath: string }) => m.containerPath)).toContain(MOUNT);
    return {
      file,
      copies: range(size).map((i) => ({
        argv: def.containerProperties.command,
        env: {
          AWS_BATCH_JOB_ARRAY_INDEX: String(i),
          AWS_BATCH_JOB_ARRAY_SIZE: String(size),
          AWS_BATCH_JOB_ATTEMPT: "1",
        },
      })),
    };
  },
  "AWS Deadline Cloud (Open Job Description)": () => {
    const file = "deadline-cloud/template.yaml";
    const text = read(file);
    expect(text).toContain('specificationVersion: "jobtemplate-2023-09"');
    // Job parameters: their defaults (what `deadline bundle submit` uses unless told otherwise).
    const params = Object.fromEntries(
      [...text.matchAll(/^\s+- name: (\w+)\n(?:\s+\w+: .*\n)*?\s+default: "?([^"\n]*)"?$/gm)].map((m) => [
        `Param.${m[1]!}`,
        m[2]!,
      ]),
    );
    const [lo, hi] = expand(one(text, /^\s+range: "([^"]+)"$/m, "range"), /\{\{([\w.]+)\}\}/g, params).split("-")
      .map(Number) as [number, number];
    const command = one(text, /^\s+command: "([^"]+)"$/m, "command");
    const args: string[] = JSON.parse(one(text, /^\s+args: (\[.*\])$/m, "args"));
    return {
      file,
      openjd: true,
      copies: range(hi - lo + 1).map((i) => {
        const vars = { ...params, "Task.Param.Shard": String(lo + i) };
        return { argv: [command, ...args.map((a) => expand(a, /\{\{([\w.]+)\}\}/g, vars))], env: {} };
      }),
    };
  },
  "GitHub Actions matrix": () => {
    const file = "github-actions/proxies.yml";
    const text = read(file);
    const list = (name: string) =>
      JSON.parse(one(text, new RegExp(`^\\s+${name}: (\\[.*\\])$`, "m"), name)) as number[];
    const [total] = list("shardTotal");
    const run = one(text, /^\s+run: (.+)$/m, "run");
    const env = Object.fromEntries([...text.matchAll(/^\s+(PROXX_\w+): (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    // GitHub runs `run:` with `bash -e {0}` after substituting the ${{ }} expressions.
    return {
      file,
      copies: list("shardIndex").map((index) => ({
        argv: [
          "bash",
          "-e",
          "-c",
          expand(run, /\$\{\{\s*matrix\.(\w+)\s*\}\}/g, { shardIndex: String(index), shardTotal: String(total) }),
        ],
        env: { ...env, GITHUB_ACTIONS: "true", CI: "true" },
      })),
    };
  },
  "GitLab CI parallel": () => {
    const file = "gitlab-ci/proxies.gitlab-ci.yml";
    const text = read(file);
    const n = Number(one(text, /^\s+parallel: (\d+)$/m, "parallel"));
    const script = text.slice(text.indexOf("script:")).split("\n").slice(1).filter((l) => /^\s+- /.test(l))
      .map((l) => l.replace(/^\s+- /, ""));
    const variables = Object.fromEntries([...text.matchAll(/^\s+(PROXX_\w+): (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    return {
      file,
      copies: range(n).map((i) => ({
        argv: ["bash", "-e", "-c", script.join("\n")],
        env: { ...variables, GITLAB_CI: "true", CI: "true", CI_NODE_INDEX: String(i + 1), CI_NODE_TOTAL: String(n) },
      })),
    };
  },
};

const scratch = tempDir("proxx-deploy-");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const shim = join(scratch, "bin");
mkdirSync(shim);
writeFileSync(join(shim, "proxx"), `#!/bin/sh\nexec '${process.execPath}' '${MAIN}' "$@"\n`);
chmodSync(join(shim, "proxx"), 0o755);

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}
function run(argv: string[], env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

interface Outcome {
  l: Launch;
  folder: ShardFolder;
  results: Ran[];
}

/** Reads the engine's file, then runs its N copies at once on a fresh folder. */
async function runEngine(launch: () => Launch): Promise<Outcome> {
  const l = launch();
  expect(l.copies.length).toBeGreaterThan(1);
  const folder = makeShardFolder(join(scratch, l.file.replace(/[/.]/g, "_")), JOBS);
  const mapped = (s: string) => s.split(MOUNT).join(folder.root);
  const base: Record<string, string> = {};
  // Only the variables of the engine under test: a CI machine's own (CI_NODE_INDEX, …) must not leak in.
  for (const [k, v] of Object.entries(process.env)) {
    if (
      v !== undefined &&
      !/^(SLURM_|JOB_COMPLETION_INDEX|AWS_BATCH_|CI_NODE_|GITLAB_CI|CIRCLE_|BUILDKITE|SYSTEM_|NOMAD_|CLOUD_RUN_|BATCH_TASK_)/
        .test(k)
    ) base[k] = v;
  }
  const results = await Promise.all(l.copies.map((c, i) =>
    run(c.argv.map(mapped), {
      ...base,
      ...Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, mapped(v)])),
      PATH: [shim, process.env.PATH ?? ""].join(delimiter),
      NO_COLOR: "1",
      PROXX_FFMPEG: folder.ffmpeg,
      PROXX_TEST_TASK: String(i),
    })
  ));
  return { l, folder, results };
}

describe("deploy/: each engine's exact command, N copies at once on one folder", () => {
  // Every engine's copies start together (their 2 s settle waits overlap); each test checks its own folder.
  const running = new Map<string, Promise<Outcome>>();
  beforeAll(() => {
    for (const [engine, launch] of Object.entries(LAUNCHES)) {
      const outcome = runEngine(launch);
      outcome.catch(() => {}); // reported by the engine's test
      running.set(engine, outcome);
    }
  });

  for (const engine of Object.keys(LAUNCHES)) {
    test(engine, async () => {
      const { l, folder, results } = await running.get(engine)!;
      const n = l.copies.length;
      for (const [i, r] of results.entries()) {
        if (r.code !== 0) console.error(`${l.file} copy ${i} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
      }
      expect(results.map((r) => r.code)).toEqual(l.copies.map(() => 0));
      expect(checkFolder(folder)).toEqual([]);
      // Copy i is shard i+1 of n (every engine here numbers its copies in that order).
      for (let i = 0; i < n; i++) {
        const mine = folder.names.filter((name) => shardOf(name, n) === i + 1);
        expect({ copy: i, took: encodes(folder).filter((e) => e.task === String(i)).map((e) => e.name).sort() })
          .toEqual({ copy: i, took: mine });
      }
      if (l.openjd) {
        for (const [i, r] of results.entries()) {
          // stdout is the protocol only; a task that had work ends at 100 %.
          const lines = r.stdout.split("\n").filter(Boolean);
          expect(lines.filter((x) => !/^openjd_(progress|status): /.test(x))).toEqual([]);
          const owned = folder.names.some((name) => shardOf(name, n) === i + 1);
          const last = lines.filter((x) => x.startsWith("openjd_progress: ")).at(-1);
          if (owned) expect(last).toBe("openjd_progress: 100");
        }
      }
    }, 90_000);
  }
});
