/**
 * `proxx reset` on a folder that coordinated runners work on. They hold no folder lock, so
 * reset (which holds it) asks their coordinator whether any runner of the folder is live,
 * and refuses if so. The order closes the race: reset takes the lock, then asks; a runner
 * registers, then checks for a live lock (src/watch/runner.ts); whichever comes second sees
 * the other.
 */
import type { Platform } from "../platform/types.ts";
import { connect, describeError } from "./connection.ts";
import { liveRunners } from "./sql.ts";
import type { CoordinatorUrl } from "./url.ts";

export class LiveRunnersError extends Error {
  override readonly name = "LiveRunnersError";
}

/** Throws LiveRunnersError naming them, or CoordinatorError (no password) when the server cannot be asked. */
export async function refuseLiveRunners(platform: Platform, url: CoordinatorUrl, folderId: string): Promise<void> {
  const connection = connect(platform, url, { max: 1 });
  let live: { host: string; pid: number }[];
  try {
    live = await liveRunners(connection.sql, folderId);
  } catch (error) {
    // No proxx tables: no runner ever registered there.
    if ((error as { code?: string }).code === "42P01") return;
    throw describeError(url, error);
  } finally {
    await connection.close();
  }
  if (live.length > 0) {
    throw new LiveRunnersError(
      `${live.length} coordinated runner${live.length === 1 ? " is" : "s are"} working on folder id '${folderId}' ` +
        `(${live.map((r) => `${r.host} pid ${r.pid}`).join(", ")}; proxx coordinator status shows them)`,
    );
  }
}
