/** Every subcommand, in the order `proxx --help` lists them. */
import type { Command } from "./command.ts";
import { runCommand } from "./run.ts";
import { validateCommand } from "./validate.ts";

export const COMMANDS: readonly Command[] = [runCommand, validateCommand];
