/** The shape of a subcommand: its help text (with examples) and what it does. */
import type { Platform } from "../platform/types.ts";

export interface Command {
  name: string;
  /** One line for `proxx --help`. */
  summary: string;
  /** Full `proxx <name> --help` text, with working examples. */
  help: string;
  /** The exit code; a command with nothing to wait for returns it directly. */
  run(platform: Platform, argv: string[]): number | Promise<number>;
}
