/** Every subcommand, in the order `proxx --help` lists them. */
import type { Command } from "./command.ts";
import { runCommand } from "./run.ts";
import { validateCommand } from "./validate.ts";
import { watchCommand } from "./watch.ts";
import { resetCommand, statusCommand } from "./status.ts";
import { schemaCommand } from "./schema.ts";
import { newCommand } from "./new.ts";
import { completionsCommand } from "./completions.ts";
import { doctorCommand } from "./doctor.ts";
import { shardOfCommand } from "./shard-of.ts";
import { coordinatorCommand } from "./coordinator.ts";

export const COMMANDS: readonly Command[] = [
  runCommand,
  validateCommand,
  newCommand,
  watchCommand,
  statusCommand,
  resetCommand,
  shardOfCommand,
  coordinatorCommand,
  schemaCommand,
  doctorCommand,
  completionsCommand,
];
