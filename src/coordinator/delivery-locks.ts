/**
 * Webhook deliveries shared by coordinated runners (the notifier's `DeliveryLocks`): one
 * outbox in the watch folder, and an entry is sent only by the runner holding its lock, a
 * session-level advisory lock (sql.ts `tryDeliveryLock`). The locks live on a client of their
 * own, one connection that is never recycled for being idle or old (that would drop them
 * mid-delivery) and never shared with the job queries. The server drops the locks of a runner
 * that dies or loses that connection; the next scan of any runner resumes what that runner
 * left due, so the receiver may then get a result twice, with the same Idempotency-Key, as
 * after any crash.
 *
 * A failed or timed-out query ends that client (a lock it may have taken goes with it) and the
 * next acquire opens a new one; a release of a lock taken on an ended client is a no-op.
 */
import type { Platform } from "../platform/types.ts";
import type { DeliveryLocks } from "../notify/notifier.ts";
import { deadline } from "../util/timers.ts";
import { connect, type Connection } from "./connection.ts";
import { releaseDeliveryLock, tryDeliveryLock } from "./sql.ts";
import type { CoordinatorUrl } from "./url.ts";

export function deliveryLocks(
  platform: Platform,
  url: CoordinatorUrl,
  options: { folderId: string; leaseSeconds: number },
): DeliveryLocks & { close(): Promise<void> } {
  const ms = Math.max(1000, (options.leaseSeconds * 1000) / 3);
  let client: Connection | null = null;
  /** Which client each held lock was taken on. */
  const heldOn = new Map<string, Connection>();
  const drop = (failed: Connection) => {
    if (client === failed) client = null;
    for (const [name, on] of heldOn) if (on === failed) heldOn.delete(name);
    void failed.close();
  };
  const query = async <T>(on: Connection, run: (c: Connection) => Promise<T>): Promise<T> => {
    try {
      return await deadline(platform, run(on), ms);
    } catch (error) {
      drop(on);
      throw error;
    }
  };
  return {
    async acquire(name) {
      client ??= connect(platform, url, { max: 1, recycle: false });
      const on = client;
      const held = await query(on, (c) => tryDeliveryLock(c.sql, options.folderId, name));
      if (held) heldOn.set(name, on);
      return held;
    },
    async release(name) {
      const on = heldOn.get(name);
      heldOn.delete(name);
      if (on && on === client) await query(on, (c) => releaseDeliveryLock(c.sql, options.folderId, name));
    },
    settleMs: options.leaseSeconds * 1000,
    async close() {
      const last = client;
      client = null;
      heldOn.clear();
      await last?.close();
    },
  };
}
