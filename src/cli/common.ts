/** Option parsing and plumbing shared by the subcommands. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Platform } from "../platform/types.ts";
import { locateTools } from "../ffmpeg/locate.ts";
import { UsageError } from "./usage-error.ts";
import { EXIT } from "./exit-codes.ts";
import type { Verbosity } from "./render.ts";
import type { NotifyConfig } from "../notify/notifier.ts";
import { splitCommandLine } from "../notify/argv-split.ts";
import { programExists } from "../notify/hook.ts";
import { parseWebhookUrl, retryPolicyFrom } from "../notify/webhook.ts";
import { VERSION } from "../version.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options every command that runs FFmpeg understands. */
export const FFMPEG_OPTIONS = {
  ffmpeg: { type: "string" },
  ffprobe: { type: "string" },
  "timeout-seconds": { type: "string" },
} as const satisfies Options;

export const OUTPUT_OPTIONS = {
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

/** node:util parseArgs, with its errors turned into usage errors that name the command. */
export function parse<T extends Options>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message, command);
  }
}

export function verbosityOf(values: { quiet?: boolean; verbose?: boolean }): Verbosity {
  if (values.quiet && values.verbose) throw new UsageError("--quiet and --verbose cannot be used together");
  return values.quiet ? "quiet" : values.verbose ? "verbose" : "normal";
}

export function numberOption(name: string, raw: string | undefined, fallback: number, min = 0): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number ≥ ${min}, got '${raw}'`);
  return n;
}

export async function toolsFrom(platform: Platform, values: { ffmpeg?: string; ffprobe?: string }) {
  return await locateTools(platform, { ffmpeg: values.ffmpeg, ffprobe: values.ffprobe });
}

/**
 * First SIGINT/SIGTERM aborts cleanly (FFmpeg is stopped, temp output removed); a second
 * one exits at once. The exit code says which signal it was: 130 or 143.
 */
export function interruptions(platform: Platform, onFirst?: (signal: string) => void) {
  const controller = new AbortController();
  let received: "SIGINT" | "SIGTERM" | null = null;
  const handler = (signal: "SIGINT" | "SIGTERM") => () => {
    if (received) platform.exit(signal === "SIGINT" ? EXIT.SIGINT : EXIT.SIGTERM);
    received = signal;
    onFirst?.(signal);
    controller.abort();
  };
  const removers = [platform.onSignal("SIGINT", handler("SIGINT")), platform.onSignal("SIGTERM", handler("SIGTERM"))];
  return {
    signal: controller.signal,
    exitCode: () => (received === "SIGINT" ? EXIT.SIGINT : received === "SIGTERM" ? EXIT.SIGTERM : null),
    dispose: () => removers.forEach((remove) => remove()),
  };
}

/** `--on-job-done`, `--webhook` and friends (`proxx run`, `proxx watch`): docs/hooks-and-webhooks.md. */
export const NOTIFY_OPTIONS = {
  "on-job-done": { type: "string" },
  "hook-timeout-seconds": { type: "string" },
  webhook: { type: "string", multiple: true },
  "webhook-secret": { type: "string" },
} as const satisfies Options;

export const NOTIFY_HELP = `  --on-job-done CMD      run CMD after each job's result is written, split into words like a
                         shell would but never run through one; it finds PROXX_RESULT_PATH,
                         PROXX_JOBSPEC_PATH, PROXX_FINAL_STATUS and PROXX_JOB_ID in its
                         environment. Its exit status and output are logged; it never changes
                         the job's outcome. Hooks come from the command line only, never from
                         a JobSpec
  --hook-timeout-seconds N  kill the hook after N seconds (default 60)
  --webhook URL          POST each job's result JSON to URL (repeatable; default: $PROXX_WEBHOOK,
                         space-separated); retried on network errors and 5xx, 5 tries over
                         about a minute; logs show the URL without path or credentials
  --webhook-secret S     sign each body: X-Proxx-Signature: sha256=<HMAC-SHA256 hex>
                         (default: $PROXX_WEBHOOK_SECRET, which keeps it out of ps)`;

export interface NotifyValues {
  "on-job-done"?: string;
  "hook-timeout-seconds"?: string;
  webhook?: string[];
  "webhook-secret"?: string;
}

/**
 * The notification settings of a command line, checked before anything runs: a hook that
 * cannot be split or found and a webhook that is not an http(s) URL are usage errors.
 */
export async function notifyConfigFrom(
  platform: Platform,
  values: NotifyValues,
  command: string,
  signal: AbortSignal,
): Promise<NotifyConfig> {
  let hook: NotifyConfig["hook"] = null;
  if (values["on-job-done"] !== undefined) {
    let argv: string[];
    try {
      argv = splitCommandLine(values["on-job-done"]);
    } catch (error) {
      throw new UsageError(`--on-job-done: ${(error as Error).message}`, command);
    }
    if (!(await programExists(platform, argv[0]!))) {
      throw new UsageError(
        `--on-job-done: program '${argv[0]}' not found (not a file, and not on PATH); give its path`,
        command,
      );
    }
    hook = { argv, timeoutMs: numberOption("hook-timeout-seconds", values["hook-timeout-seconds"], 60, 0.1) * 1000 };
  } else if (values["hook-timeout-seconds"] !== undefined) {
    throw new UsageError("--hook-timeout-seconds needs --on-job-done", command);
  }
  const fromEnv = (platform.env("PROXX_WEBHOOK") ?? "").split(/\s+/).filter(Boolean);
  const urls = values.webhook && values.webhook.length > 0 ? values.webhook : fromEnv;
  const webhooks = urls.map((url, i) => {
    try {
      return parseWebhookUrl(url);
    } catch (error) {
      const where = values.webhook?.length ? `--webhook #${i + 1}` : "PROXX_WEBHOOK";
      throw new UsageError(`${where} ${(error as Error).message}`, command);
    }
  });
  // Two flags for one receiver would send everything twice.
  const unique = webhooks.filter((w, i) => webhooks.findIndex((o) => o.id === w.id) === i);
  if (values["webhook-secret"] !== undefined && unique.length === 0) {
    throw new UsageError("--webhook-secret needs --webhook (or PROXX_WEBHOOK)", command);
  }
  const secret = values["webhook-secret"] ?? platform.env("PROXX_WEBHOOK_SECRET") ?? null;
  if (secret === "" && values["webhook-secret"] !== undefined) {
    throw new UsageError("--webhook-secret must not be empty", command);
  }
  return {
    hook,
    webhooks: unique,
    secret: secret === "" ? null : secret,
    policy: retryPolicyFrom(platform.env("PROXX_TEST_WEBHOOK_TIMING")),
    userAgent: `proxx/${VERSION}`,
    signal,
  };
}
