/**
 * `--shard auto`: the engines that start N copies of a command, and the environment
 * variables each gives its copies (issue 14's table). Every engine found is read; `auto`
 * with none, or with two that disagree, is an error naming what was seen.
 *
 * Slurm: `SLURM_ARRAY_TASK_ID` is the task's id in the array (`--array=4-10:2` gives 4, 6,
 * 8, 10), so the 0-based position is `(ID - MIN) / STEP` (MIN default 0, STEP default 1),
 * and the total `SLURM_ARRAY_TASK_COUNT`. An id that is not on the array's grid is an error.
 */
import { SHARD_FORMS, type ShardSpec, ShardSpecError } from "./spec.ts";

export type EnvReader = (name: string) => string | undefined;

export interface Engine {
  name: string;
  /** The variable that says the index (present: this engine started us). */
  index: string;
  /** 0 or 1: what the engine numbers its first copy. */
  base: 0 | 1;
  /** The variable with the number of copies, or null when the engine has none (use `auto/N`). */
  total: string | null;
  /** A 0-based position computed from several variables (Slurm); default `value - base`. */
  position?: (env: EnvReader, value: number) => number;
}

const slurmPosition = (env: EnvReader, id: number): number => {
  const min = wholeOf(env, "SLURM_ARRAY_TASK_MIN") ?? 0;
  const step = wholeOf(env, "SLURM_ARRAY_TASK_STEP") ?? 1;
  if (step < 1) throw new ShardSpecError(`SLURM_ARRAY_TASK_STEP=${step} must be at least 1`);
  if (id < min || (id - min) % step !== 0) {
    throw new ShardSpecError(
      `SLURM_ARRAY_TASK_ID=${id} is not on the array's grid (SLURM_ARRAY_TASK_MIN=${min}, SLURM_ARRAY_TASK_STEP=${step})`,
    );
  }
  return (id - min) / step;
};

export const ENGINES: readonly Engine[] = [
  { name: "Kubernetes Indexed Job", index: "JOB_COMPLETION_INDEX", base: 0, total: null },
  {
    name: "Slurm job array",
    index: "SLURM_ARRAY_TASK_ID",
    base: 0,
    total: "SLURM_ARRAY_TASK_COUNT",
    position: slurmPosition,
  },
  { name: "AWS Batch array job", index: "AWS_BATCH_JOB_ARRAY_INDEX", base: 0, total: "AWS_BATCH_JOB_ARRAY_SIZE" },
  { name: "Cloud Run job", index: "CLOUD_RUN_TASK_INDEX", base: 0, total: "CLOUD_RUN_TASK_COUNT" },
  { name: "Google Batch", index: "BATCH_TASK_INDEX", base: 0, total: "BATCH_TASK_COUNT" },
  { name: "GitLab CI parallel", index: "CI_NODE_INDEX", base: 1, total: "CI_NODE_TOTAL" },
  { name: "CircleCI", index: "CIRCLE_NODE_INDEX", base: 0, total: "CIRCLE_NODE_TOTAL" },
  { name: "Buildkite", index: "BUILDKITE_PARALLEL_JOB", base: 0, total: "BUILDKITE_PARALLEL_JOB_COUNT" },
  { name: "Azure Pipelines", index: "SYSTEM_JOBPOSITIONINPHASE", base: 1, total: "SYSTEM_TOTALJOBSINPHASE" },
  { name: "Nomad", index: "NOMAD_ALLOC_INDEX", base: 0, total: null },
];

function wholeOf(env: EnvReader, name: string): number | null {
  const raw = env(name);
  if (raw === undefined || raw.trim() === "") return null;
  if (!/^[0-9]+$/.test(raw.trim())) throw new ShardSpecError(`${name}='${raw}' is not a whole number`);
  return Number(raw.trim());
}

interface Seen {
  engine: Engine;
  /** 0-based. */
  position: number;
  total: number | null;
  vars: string;
}

function read(env: EnvReader, engine: Engine): Seen | null {
  const value = wholeOf(env, engine.index);
  if (value === null) return null;
  const position = engine.position ? engine.position(env, value) : value - engine.base;
  if (position < 0) {
    throw new ShardSpecError(`${engine.index}=${value}: ${engine.name} numbers its tasks from ${engine.base}`);
  }
  const total = engine.total ? wholeOf(env, engine.total) : null;
  const vars = [
    engine.index,
    ...(engine.name.startsWith("Slurm") ? ["SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_STEP"] : []),
    ...(engine.total ? [engine.total] : []),
  ]
    .filter((n) => env(n) !== undefined)
    .map((n) => `${n}=${env(n)}`)
    .join(" ");
  return { engine, position, total, vars };
}

/** `auto` (totalFromFlag null) or `auto/N`. */
export function shardFromEnvironment(env: EnvReader, totalFromFlag: number | null): ShardSpec {
  const form = totalFromFlag === null ? "auto" : `auto/${totalFromFlag}`;
  const seen = ENGINES.map((e) => read(env, e)).filter((s): s is Seen => s !== null);
  if (seen.length === 0) {
    throw new ShardSpecError(
      `--shard ${form}: no job engine found in the environment (looked for ${
        ENGINES.map((e) => e.index).join(", ")
      }); ${SHARD_FORMS}`,
    );
  }
  const resolved = seen.map((s) => {
    const total = totalFromFlag ?? s.total;
    if (total === null) {
      throw new ShardSpecError(
        `--shard auto: ${s.engine.name} (${s.vars}) gives no total; use --shard auto/N with the number of tasks (its completions or count)`,
      );
    }
    if (totalFromFlag !== null && s.total !== null && s.total !== totalFromFlag) {
      throw new ShardSpecError(
        `--shard ${form}: ${s.engine.name} says there are ${s.total} tasks (${s.vars}), not ${totalFromFlag}`,
      );
    }
    if (total < 1) {
      throw new ShardSpecError(`--shard ${form}: ${s.engine.name} total ${total} (${s.vars}) is not at least 1`);
    }
    if (s.position >= total) {
      throw new ShardSpecError(
        `--shard ${form}: ${s.engine.name} task ${
          s.position + 1
        } of ${total} (${s.vars}) is beyond the total; ${SHARD_FORMS}`,
      );
    }
    return { s, index: s.position + 1, total };
  });
  const first = resolved[0]!;
  const disagree = resolved.find((r) => r.index !== first.index || r.total !== first.total);
  if (disagree) {
    throw new ShardSpecError(
      `--shard ${form}: the environment names two engines that disagree: ${
        resolved.map((r) => `${r.s.engine.name} says ${r.index}/${r.total} (${r.s.vars})`).join("; ")
      }; pass --shard I/N explicitly`,
    );
  }
  const names = resolved.map((r) => `${r.s.engine.name} (${r.s.vars})`).join(" and ");
  return { index: first.index, total: first.total, source: `--shard ${form}: ${names}` };
}
