/**
 * Which folder a coordinated runner works on, as the database knows it, and its manifest.
 *
 * The folder id (default: the folder's absolute path; `--folder-id NAME` when hosts mount it
 * at different paths) keys the folder's rows. So that two *different* folders never share a
 * queue by mistake (the same `--folder-id` typed twice), the first runner writes a marker
 * file `.proxx-coordinator.json` into the folder and the same marker into the database; a
 * later runner whose folder lacks that marker, or carries another folder id, refuses to
 * start and touches nothing.
 *
 * The manifest: each entry is written by re-reading the file and rewriting it atomically
 * while holding the folder's advisory lock in the database, so runners on different hosts
 * never lose each other's entries. The fencing check runs inside that lock, right before
 * the write.
 */
import type { Platform } from "../platform/types.ts";
import type { EventSink } from "../engine/events.ts";
import { isoUtc } from "../engine/result.ts";
import { loadManifestForRun, type Manifest, type ManifestEntry, withEntry, writeManifest } from "../watch/manifest.ts";
import { joinPath } from "../watch/names.ts";
import { type Coordinator, LeaseLostError } from "./coordinator.ts";
import { registerFolder, withManifestLock } from "./sql.ts";

export const MARKER_NAME = ".proxx-coordinator.json";

export class FolderClashError extends Error {
  override readonly name = "FolderClashError";
}

interface MarkerFile {
  folder_id: string;
  marker: string;
}

export async function readMarker(platform: Platform, folder: string): Promise<MarkerFile | null> {
  try {
    const json = JSON.parse(await platform.readText(joinPath(folder, MARKER_NAME)));
    if (json && typeof json.folder_id === "string" && typeof json.marker === "string") return json;
  } catch { /* missing or unreadable: none */ }
  return null;
}

/**
 * Check (and on first use record) that `folder` is the folder the database knows as
 * `folderId`. Throws FolderClashError before writing anything when it is not.
 */
export async function claimFolderId(
  coordinator: Coordinator,
  folder: string,
  folderId: string,
): Promise<void> {
  const { platform } = coordinator;
  const host = coordinator.options.host;
  // The database first, then the file: a first runner creates the file before its row, so a
  // row seen here means its file is visible below (no false clash at a simultaneous first start).
  const [known] = await coordinator.sql<{ marker: string; path: string; host: string; created_at: Date }[]>`
    SELECT marker, path, host, created_at FROM proxx_folders WHERE folder_id = ${folderId}`;
  const onDisk = await readMarker(platform, folder);
  if (onDisk && onDisk.folder_id !== folderId) {
    throw new FolderClashError(
      `${folder} is registered with the coordinator as folder id '${onDisk.folder_id}' (${MARKER_NAME}), ` +
        `not '${folderId}': start with --folder-id '${onDisk.folder_id}' (every runner of one folder uses the same id)`,
    );
  }
  if (known) {
    if (onDisk?.marker === known.marker) return;
    throw new FolderClashError(
      `folder id '${folderId}' is already used by another folder (${known.path} on ${known.host}, since ` +
        `${isoUtc(new Date(known.created_at).getTime())}), and ${folder} is not that folder ` +
        `(${onDisk ? `its ${MARKER_NAME} has another marker` : `it has no ${MARKER_NAME}`}); ` +
        `give this folder its own --folder-id; nothing was changed in ${folder}`,
    );
  }
  const marker = onDisk?.marker ?? `${host}:${platform.pid}:${isoUtc(platform.now())}:${folder}`;
  if (!onDisk) {
    const text = JSON.stringify({ folder_id: folderId, marker }, null, 2) + "\n";
    if (!(await platform.createExclusive(joinPath(folder, MARKER_NAME), text))) {
      // Another runner's first start won the race: use its marker.
      return await claimFolderId(coordinator, folder, folderId);
    }
  }
  const registered = await registerFolder(coordinator.sql, { folderId, marker, path: folder, host });
  if (registered.marker !== marker) {
    throw new FolderClashError(
      `folder id '${folderId}' was registered by another folder (${registered.path} on ${registered.host}) at the same moment; ` +
        `give this folder its own --folder-id`,
    );
  }
}

/** RunnerContext.recordManifest for a coordinated runner. */
export function coordinatedManifest(
  coordinator: Coordinator,
  folder: string,
  onEvent: EventSink,
): (jobspecPath: string, entry: ManifestEntry, guard: () => Promise<void>) => Promise<Manifest> {
  return async (jobspecPath, entry, guard) => {
    for (let attempt = 1;; attempt++) {
      // A file error is the runner's to report (disk full...); a database error is retried briefly.
      let fileError: { error: unknown } | null = null;
      const fileStep = async <T>(fn: () => Promise<T>): Promise<T> => {
        try {
          return await fn();
        } catch (error) {
          fileError = { error };
          throw error;
        }
      };
      try {
        return await withManifestLock(coordinator.sql, coordinator.options.folderId, async (stillHeld) => {
          const current = await fileStep(() => loadManifestForRun(coordinator.platform, folder, onEvent));
          const existing = current.entries[jobspecPath];
          if (existing && existing.sha256 === entry.sha256 && existing.result_status === entry.result_status) {
            return current;
          }
          await guard();
          const next = withEntry(current, jobspecPath, entry);
          await stillHeld();
          await fileStep(() => writeManifest(coordinator.platform, folder, next));
          // Lost meanwhile (server restart): another runner may have written from the old file; do it again.
          await stillHeld();
          return next;
        });
      } catch (error) {
        if (fileError !== null || error instanceof LeaseLostError) throw error;
        // The server went away while holding (or taking) the lock: once the lease is in doubt, the guard says so.
        if (attempt >= 4) {
          await guard();
          throw error;
        }
        await coordinator.platform.sleep(250 * attempt);
      }
    }
  };
}
