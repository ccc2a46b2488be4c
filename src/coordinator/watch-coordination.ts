/**
 * The coordinator as the watch runner sees it (runner.ts `WatchCoordination`): open the
 * database (create or migrate the tables), check the folder id, register this runner, and
 * translate between the folder's absolute JobSpec paths and the database's names (the path
 * relative to the folder, the same on every host however it mounts the folder).
 */
import type { Platform } from "../platform/types.ts";
import type { EventSink } from "../engine/events.ts";
import type { WatchCoordination } from "../watch/runner.ts";
import { joinRel, relativeTo } from "../watch/names.ts";
import { type Connection, describeError, openCoordinator } from "./connection.ts";
import { Coordinator } from "./coordinator.ts";
import { deliveryLocks } from "./delivery-locks.ts";
import type { DeliveryLocks } from "../notify/notifier.ts";
import { claimFolderId, coordinatedManifest, FolderClashError } from "./folder.ts";
import type { CoordinatorUrl } from "./url.ts";

export interface CoordinatedOptions {
  url: CoordinatorUrl;
  /** The folder's absolute path on this host. */
  folder: string;
  /** Default: the absolute path. */
  folderId?: string;
  host: string;
  leaseSeconds: number;
  maxAttempts: number;
  version: string;
  onEvent: EventSink;
  /** Connections in the pool (workers + heartbeat + manifest lock). */
  maxConnections?: number;
}

export interface Coordinated {
  coordination: WatchCoordination;
  coordinator: Coordinator;
  /** Who sends each webhook outbox entry of the shared folder (the notifier's). */
  deliveryLocks: DeliveryLocks;
  close(): Promise<void>;
}

/** Throws CoordinatorError (server, tables) or FolderClashError (folder id) before anything in the folder changes, except the first start's marker file. */
export async function startCoordination(platform: Platform, options: CoordinatedOptions): Promise<Coordinated> {
  const connection: Connection = await openCoordinator(platform, options.url, { max: options.maxConnections });
  const folderId = options.folderId ?? options.folder;
  const coordinator = new Coordinator(platform, connection, {
    folder: options.folder,
    folderId,
    host: options.host,
    leaseSeconds: options.leaseSeconds,
    maxAttempts: options.maxAttempts,
    version: options.version,
    onEvent: options.onEvent,
  });
  try {
    await claimFolderId(coordinator, options.folder, folderId);
    await coordinator.register(options.folder);
  } catch (error) {
    await connection.close();
    if (error instanceof FolderClashError) throw error;
    throw describeError(options.url, error);
  }
  const folder = options.folder;
  const nameOf = (path: string) => relativeTo(folder, path) ?? path;
  const coordination: WatchCoordination = {
    enqueue: (jobs) => coordinator.enqueue(jobs.map((j) => ({ name: nameOf(j.path), sha256: j.sha256 }))),
    claim: async () => {
      const claim = await coordinator.claim();
      if (!claim) return null;
      return {
        path: joinRel(folder, claim.name),
        sha256: claim.sha256,
        claim,
        takeover: claim.takeover
          ? { host: claim.previousHost, tempPath: claim.previousTemp, ffmpegPid: claim.previousPid }
          : null,
      };
    },
    recordManifest: coordinatedManifest(coordinator, folder, options.onEvent),
    maxAttempts: options.maxAttempts,
  };
  const locks = deliveryLocks(platform, options.url, { folderId, leaseSeconds: options.leaseSeconds });
  return {
    coordination,
    coordinator,
    deliveryLocks: locks,
    close: async () => {
      await locks.close();
      await coordinator.close();
    },
  };
}
