/** `proxx run job.json`: one JobSpec, clips in order, fail-fast; exit code tells the outcome. */
import { resolve } from "node:path";
import type { Command } from "./command.ts";
import { runJobFile } from "../engine/run-job-file.ts";
import { isoUtc } from "../engine/result.ts";
import { FFMPEG_NOT_FOUND } from "../engine/execute.ts";
import { createRenderer } from "./render.ts";
import { formatRunSummary } from "./summary.ts";
import { EXIT, EXIT_CODE_HELP } from "./exit-codes.ts";
import {
  FFMPEG_OPTIONS,
  interruptions,
  NOTIFY_HELP,
  NOTIFY_OPTIONS,
  notifyConfigFrom,
  numberOption,
  OUTPUT_OPTIONS,
  parse,
  toolsFrom,
  verbosityOf,
} from "./common.ts";
import { UsageError } from "./usage-error.ts";
import { Notifier, notifyRunResult } from "../notify/notifier.ts";
import { sha256Hex } from "../util/sha256.ts";

export const runCommand: Command = {
  name: "run",
  summary: "Run one JobSpec now: encode its clips in order, stop at the first failure",
  help: `Usage: proxx run <job.json> [options]

Encodes every source clip of the JobSpec, in order, into a verified proxy. Stops at the
first failed clip (fail-fast); proxies of clips that completed stay. A summary goes to
stdout, progress and logs to stderr. With --on-job-done or --webhook, proxx run then runs
the hook (without --result it gets a temporary copy of the result) and waits for the
deliveries (about a minute at most) before it exits, with the job's exit code.

Options:
  --json                 print the result JSON on stdout instead of the summary
  --result FILE          also write the result JSON to FILE (atomically)
  --timeout-seconds N    kill FFmpeg after N seconds per clip (default 3600;
                         ffprobe gets at most 120)
  --ffmpeg PATH          FFmpeg to use (default: $PROXX_FFMPEG, then PATH, then usual places)
  --ffprobe PATH         ffprobe to use (default: $PROXX_FFPROBE, then PATH, then usual places)
${NOTIFY_HELP}
  -q, --quiet            print errors only
  -v, --verbose          also print the FFmpeg command lines
  -h, --help             show this help

Examples:
  proxx run job.json
  proxx run job.json --json > result.json
  proxx run job.json --result job.result.json --timeout-seconds 600
  proxx run job.json || echo "proxy job failed with exit code $?"
  proxx run job.json --on-job-done 'notify-send "proxies done"'
  proxx run job.json --webhook http://127.0.0.1:8080/proxx --webhook-secret s3cret

${EXIT_CODE_HELP}
`,
  async run(platform, argv) {
    const { values, positionals } = parse("run", argv, {
      ...OUTPUT_OPTIONS,
      ...FFMPEG_OPTIONS,
      ...NOTIFY_OPTIONS,
      result: { type: "string" },
    });
    if (values.help) return (platform.writeStdout(this.help), EXIT.OK);
    if (positionals.length !== 1) throw new UsageError("expects exactly one JobSpec file", "run");
    const verbosity = verbosityOf(values);
    const timeoutSeconds = numberOption("timeout-seconds", values["timeout-seconds"], 3600, 1);
    const render = createRenderer(platform, { json: false, verbosity });
    const tools = await toolsFrom(platform, values);
    const stop = interruptions(platform, (signal) => render({ type: "stopping", signal }));
    try {
      const notify = await notifyConfigFrom(platform, values, "run", stop.signal);
      const outcome = await runJobFile(platform, positionals[0]!, {
        tools,
        timeoutSeconds,
        onEvent: render,
        signal: stop.signal,
      });
      const result = outcome.result;
      result._metadata.result_written_at = isoUtc(platform.now());
      const json = `${JSON.stringify(result, null, 2)}\n`;
      if (values.result) await platform.writeFileAtomic(values.result, json);
      if (values.json) platform.writeStdout(json);
      else if (verbosity !== "quiet" || result.final_status !== "COMPLETED") {
        const text = formatRunSummary(result);
        if (result.final_status === "PARTIAL") platform.writeStderr(text);
        else platform.writeStdout(text);
      }
      if (notify.hook || notify.webhooks.length > 0) {
        // After the result is written and shown; the exit code stays the job's, whatever these do.
        const jobspecPath = result._metadata.jobspec_path ?? resolve(platform.cwd(), positionals[0]!);
        const bytes = await platform.readFile(positionals[0]!).catch(() => new Uint8Array());
        await notifyRunResult(platform, new Notifier(platform, notify, render), {
          jobspecPath,
          sha256: await sha256Hex(bytes),
          resultPath: values.result === undefined ? null : resolve(platform.cwd(), values.result),
          resultText: json,
          hook: notify.hook !== null,
        }, render);
      }
      const interrupted = stop.exitCode();
      if (interrupted !== null) return interrupted;
      if (outcome.unreadable) return EXIT.ENVIRONMENT;
      if (result.final_status === "PARTIAL") return EXIT.INVALID;
      if (result.final_status === "COMPLETED") return EXIT.OK;
      if (result.clips.some((c) => c.failure_reason === FFMPEG_NOT_FOUND)) return EXIT.ENVIRONMENT;
      return EXIT.FAILED;
    } finally {
      stop.dispose();
    }
  },
};
