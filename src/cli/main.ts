/**
 * `proxx <command>`: parse the command name, hand the rest to the command, turn usage
 * errors into exit code 2 and anything unexpected into a one-line error (never a bare
 * stack trace for an operator to decode).
 */
import type { Platform } from "../platform/types.ts";
import type { Command } from "./command.ts";
import { COMMANDS } from "./commands.ts";
import { EXIT, EXIT_CODE_HELP } from "./exit-codes.ts";
import { UsageError } from "./usage-error.ts";
import { GIT_COMMIT, VERSION } from "../version.ts";

export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `proxx ${VERSION}: turns JobSpec JSON files into verified, NLE-ready proxy media with FFmpeg.

Usage: proxx <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}
  ${"help".padEnd(width)}  Show help for a command: proxx help <command>

Options:
  -h, --help     show this help
  -V, --version  print version, git commit and runtime

Examples:
  proxx run job.json                      encode one JobSpec now
  proxx validate job.json                 check a JobSpec without running it
  proxx watch ./jobs --once               process every pending JobSpec in ./jobs, then exit
  proxx watch ./jobs --poll-seconds 10    keep watching ./jobs
  proxx status ./jobs                     what is pending, processed and failed
  proxx new --sources 'clips/*.mov' --output-directory out --codec prores_proxy --into ./jobs
  proxx doctor                            check FFmpeg, encoders and folders
  proxx schema > jobspec.schema.json      JSON Schema for editors

${EXIT_CODE_HELP}

Run 'proxx <command> --help' for a command's options and examples.
`;
}

export async function main(platform: Platform, argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h") {
    platform.writeStdout(mainHelp(COMMANDS));
    return first === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (first === "--version" || first === "-V" || first === "version") {
    platform.writeStdout(
      `proxx ${VERSION} (commit ${GIT_COMMIT}; ${platform.runtime}; ${platform.os}-${platform.arch})\n`,
    );
    return EXIT.OK;
  }
  if (first === "help") {
    const target = rest[0] ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    if (rest[0] && !target) return usageError(platform, new UsageError(`unknown command '${rest[0]}'`));
    platform.writeStdout(target ? target.help : mainHelp(COMMANDS));
    return EXIT.OK;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) return usageError(platform, new UsageError(`unknown command '${first}'`));
  try {
    return await command.run(platform, rest);
  } catch (error) {
    if (error instanceof UsageError) return usageError(platform, error);
    platform.writeStderr(`proxx ${command.name}: error: ${(error as Error).message ?? String(error)}\n`);
    return EXIT.ENVIRONMENT;
  }
}

function usageError(platform: Platform, error: UsageError): number {
  const where = error.command ? `proxx ${error.command}` : "proxx";
  platform.writeStderr(`${where}: ${error.message}\nRun '${where} --help' for usage.\n`);
  return EXIT.USAGE;
}
