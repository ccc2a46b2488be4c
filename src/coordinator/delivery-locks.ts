/**
 * Webhook deliveries shared by coordinated runners (the notifier's `DeliveryLocks`): one
 * outbox in the watch folder, and an entry is sent only by the runner holding its lock, a
 * session-level advisory lock (sql.ts `tryDeliveryLock`) on a connection this runner keeps
 * for them. The server drops the locks of a runner that dies or loses its connection, and
 * the next scan of any runner resumes what that runner left due; the receiver may then get
 * a result twice, with the same Idempotency-Key, as after any crash.
 */
import type postgres from "postgres";
import type { DeliveryLocks } from "../notify/notifier.ts";
import { deadline } from "../util/timers.ts";
import type { Coordinator } from "./coordinator.ts";
import { releaseDeliveryLock, tryDeliveryLock } from "./sql.ts";

export function deliveryLocks(coordinator: Coordinator): DeliveryLocks & { close(): Promise<void> } {
  let session: Promise<postgres.ReservedSql> | null = null;
  const { platform, options } = coordinator;
  const ms = Math.max(1000, (options.leaseSeconds * 1000) / 3);
  /** The reserved connection, opened on first use and again after it failed (its locks are gone then). */
  const onSession = async <T>(run: (sql: postgres.ReservedSql) => Promise<T>): Promise<T> => {
    session ??= coordinator.sql.reserve();
    const current = session;
    try {
      return await deadline(platform, current.then(run), ms);
    } catch (error) {
      if (session === current) session = null;
      void current.then((s) => s.release(), () => {});
      throw error;
    }
  };
  return {
    acquire: (name) => onSession((sql) => tryDeliveryLock(sql, options.folderId, name)),
    release: (name) => onSession((sql) => releaseDeliveryLock(sql, options.folderId, name)),
    async close() {
      const current = session;
      session = null;
      await current?.then((s) => s.release(), () => {});
    },
  };
}
