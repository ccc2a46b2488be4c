/**
 * The webhook outbox of a watch folder: `.proxx-outbox/`, one file per delivery that is due
 * (job × webhook), written atomically (src/fs/durable.ts through the platform) right after
 * the job's result file and before the job's in-flight record is cleared, and removed when
 * the delivery ends (delivered, or failed in the end). A runner killed with deliveries due
 * leaves their files; the next start (under the folder's lock) sends them. So a receiver
 * gets each job's result at least once, with the same `Idempotency-Key` every time.
 *
 * What an entry holds: the body (the exact result bytes, so a re-send signs and sends the
 * same bytes), the key, the job's id and paths for the log, and the receiver as a hash of
 * its URL plus the redacted form. Never the URL itself (it can carry credentials or a
 * token) and never the secret: the next start sends an entry to the `--webhook` of that
 * run whose URL hashes the same, and leaves entries for receivers it was not given.
 */
import { createHash } from "node:crypto";
import type { Platform } from "../platform/types.ts";
import { parseAtomicTempName } from "../fs/durable.ts";

export const OUTBOX_DIR = ".proxx-outbox";
/** A shared outbox's temp file this old is no write in progress (an atomic write takes milliseconds). */
const SHARED_TEMP_STALE_MS = 3_600_000;

export interface OutboxEntry {
  version: 1;
  /** SHA-256 of the webhook URL as given (WebhookTarget.id). */
  webhook_id: string;
  /** redactUrl of it, for the log. */
  webhook: string;
  idempotency_key: string;
  job_id: string;
  jobspec_path: string;
  result_path: string;
  /** When the job's result was written (ISO-8601 UTC): resumed entries go oldest first. */
  created_at: string;
  body: string;
}

export class Outbox {
  readonly dir: string;
  constructor(private readonly platform: Platform, folder: string) {
    this.dir = `${folder.replace(/[/\\]$/, "")}/${OUTBOX_DIR}`;
  }

  /** The file name of an entry: a hash of receiver and key, so writing it twice is idempotent. */
  static nameOf(entry: Pick<OutboxEntry, "webhook_id" | "idempotency_key">): string {
    return `${
      createHash("sha256").update(`${entry.webhook_id}\n${entry.idempotency_key}`).digest("hex").slice(0, 32)
    }.json`;
  }

  pathOf(entry: Pick<OutboxEntry, "webhook_id" | "idempotency_key">): string {
    return `${this.dir}/${Outbox.nameOf(entry)}`;
  }

  async put(entry: OutboxEntry): Promise<void> {
    await this.refuseLink();
    await this.platform.mkdir(this.dir);
    await this.platform.writeFileAtomic(this.pathOf(entry), `${JSON.stringify(entry, null, 2)}\n`);
  }

  /** The outbox is the watch folder's own: a link planted at its name is never written through. */
  private async refuseLink(): Promise<void> {
    const stat = await this.platform.lstat(this.dir);
    if (stat && !stat.isDirectory) {
      throw new Error(`${this.dir} is ${stat.isSymlink ? "a symbolic link" : "not a folder"}: not written through`);
    }
  }

  /** Whether entry `name` (Outbox.nameOf) is still due. */
  async has(name: string): Promise<boolean> {
    return (await this.platform.lstat(`${this.dir}/${name}`))?.isFile === true;
  }

  async remove(entry: OutboxEntry): Promise<void> {
    await this.platform.remove(this.pathOf(entry));
  }

  /**
   * Every entry, oldest result first (then by file name). Orphan temp files of a killed
   * atomic write are removed: at once when the caller holds the folder's lock, after an
   * hour when the outbox is `shared` by coordinated runners (a younger one may be another
   * runner's write in progress); an unreadable entry cannot come from an atomic write, and
   * is removed and reported through `onBad`.
   */
  async list(
    onBad: (name: string, reason: string) => void,
    /** `skip`: entries not to read, by file name (the caller has them already). */
    options: { shared?: boolean; skip?: (name: string) => boolean } = {},
  ): Promise<OutboxEntry[]> {
    const stat = await this.platform.lstat(this.dir);
    if (stat?.isSymlink) onBad(OUTBOX_DIR, "is a symbolic link: not read through, so nothing in it is resumed");
    if (!stat?.isDirectory) return [];
    const entries: OutboxEntry[] = [];
    const names = (await this.platform.list(this.dir)).filter((e) => e.isFile).map((e) => e.name).sort();
    for (const name of names) {
      const path = `${this.dir}/${name}`;
      if (parseAtomicTempName(name)) {
        const stat = options.shared ? await this.platform.lstat(path) : null;
        if (!stat || this.platform.now() - stat.mtimeMs > SHARED_TEMP_STALE_MS) await this.platform.remove(path);
        continue;
      }
      if (!name.endsWith(".json") || options.skip?.(name)) continue;
      try {
        const entry = JSON.parse(await this.platform.readText(path)) as OutboxEntry;
        if (typeof entry.version === "number" && entry.version > 1) {
          onBad(name, `written by a newer proxx (entry version ${entry.version}): left as it is`);
          continue;
        }
        if (entry.version !== 1 || typeof entry.body !== "string" || typeof entry.webhook_id !== "string") {
          throw new Error("not an outbox entry");
        }
        entries.push(entry);
      } catch (error) {
        await this.platform.remove(path);
        onBad(name, (error as Error).message);
      }
    }
    return entries.sort((a, b) =>
      a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : Outbox.nameOf(a) < Outbox.nameOf(b) ? -1 : 1
    );
  }
}
