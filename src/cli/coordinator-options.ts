/** `--coordinator` and its companions, shared by `proxx watch` and `proxx coordinator status`. */
import type { Platform } from "../platform/types.ts";
import { type CoordinatorUrl, CoordinatorUrlError, parseCoordinatorUrl } from "../coordinator/url.ts";
import { UsageError } from "./usage-error.ts";
import { numberOption } from "./common.ts";

export const COORDINATOR_OPTIONS = {
  coordinator: { type: "string" },
  "folder-id": { type: "string" },
  "lease-seconds": { type: "string" },
  "max-attempts": { type: "string" },
} as const;

export const COORDINATOR_HELP = `  --coordinator URL      many runners, one queue: postgres://USER[:PASS]@HOST[:PORT]/DB
                         (or $PROXX_COORDINATOR, which keeps the password off the command
                         line; it is never printed). Run the same command on every machine
                         (docs/coordinator.md)
  --folder-id NAME       coordinated: the folder's name in the coordinator when hosts mount
                         it at different paths (default: its absolute path)
  --lease-seconds N      coordinated: a claim lasts N s, renewed while the job runs; a dead
                         runner's job is taken over after at most N s + one poll (default 30)
  --max-attempts N       coordinated: a job whose runner died N times is FAILED
                         "interrupted N times" instead of run again (default 2)`;

export interface CoordinatorChoice {
  url: CoordinatorUrl;
  folderId?: string;
  leaseSeconds: number;
  maxAttempts: number;
  host: string;
}

/** The coordinator chosen by flags or PROXX_COORDINATOR, or null (a single runner). Usage errors for bad values. */
export function coordinatorFrom(
  platform: Platform,
  values: { coordinator?: string; "folder-id"?: string; "lease-seconds"?: string; "max-attempts"?: string },
  command: string,
): CoordinatorChoice | null {
  const raw = values.coordinator ?? platform.env("PROXX_COORDINATOR");
  if (raw === undefined || raw === "") {
    for (const flag of ["folder-id", "lease-seconds", "max-attempts"] as const) {
      if (values[flag] !== undefined) {
        throw new UsageError(`--${flag} needs --coordinator URL (or PROXX_COORDINATOR)`, command);
      }
    }
    return null;
  }
  let url: CoordinatorUrl;
  try {
    url = parseCoordinatorUrl(raw);
  } catch (error) {
    if (error instanceof CoordinatorUrlError) {
      throw new UsageError(
        `${values.coordinator !== undefined ? "--coordinator" : "PROXX_COORDINATOR"}: ${error.message}`,
        command,
      );
    }
    throw error;
  }
  const leaseSeconds = numberOption("lease-seconds", values["lease-seconds"], 30, 1);
  const maxAttempts = numberOption("max-attempts", values["max-attempts"], 2, 1);
  if (!Number.isInteger(maxAttempts)) {
    throw new UsageError(`--max-attempts must be a whole number ≥ 1, got '${values["max-attempts"]}'`, command);
  }
  const folderId = values["folder-id"];
  if (folderId !== undefined && folderId.trim() === "") throw new UsageError("--folder-id must not be empty", command);
  // PROXX_HOSTNAME: what this runner calls its host (tests simulate several hosts on one machine).
  const host = platform.env("PROXX_HOSTNAME") || platform.hostname();
  return { url, folderId, leaseSeconds, maxAttempts, host };
}
