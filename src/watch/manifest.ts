/**
 * `processed_manifest.json`, the seed's idempotency record:
 * `{"version":1,"entries":{"<abs path>":{"sha256","processed_at","result_status"}}}`,
 * indent 2, sorted keys (so the same state is always the same bytes).
 *
 * Always written with `platform.writeFileAtomic`: a kill -9 leaves the old or the new
 * manifest, never half of one ("manifest always parses"). A manifest that does not parse
 * anyway (hand edit, disk fault) is copied aside and treated as empty; result files still
 * prevent re-execution, because the result file check comes first.
 */
import { z } from "zod";
import type { Platform } from "../platform/types.ts";
import type { EventSink } from "../engine/events.ts";
import { clashFreeName, joinPath, MANIFEST_NAME, utcStamp } from "./names.ts";

export const ManifestEntry = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  processed_at: z.string(),
  result_status: z.string(),
});
export type ManifestEntry = z.infer<typeof ManifestEntry>;

export const Manifest = z.object({
  version: z.literal(1),
  entries: z.record(z.string(), ManifestEntry),
});
export type Manifest = z.infer<typeof Manifest>;

export type ManifestRead =
  | { kind: "ok"; manifest: Manifest }
  | { kind: "missing"; manifest: Manifest }
  | { kind: "corrupt"; manifest: Manifest; reason: string };

export function emptyManifest(): Manifest {
  return { version: 1, entries: {} };
}

export function manifestPath(folder: string): string {
  return joinPath(folder, MANIFEST_NAME);
}

/** Read and validate; never throws for bad content (missing / corrupt are states, not errors). */
export async function readManifest(platform: Platform, folder: string): Promise<ManifestRead> {
  const path = manifestPath(folder);
  if (!(await platform.stat(path))) return { kind: "missing", manifest: emptyManifest() };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(await platform.readFile(path));
  } catch (error) {
    return { kind: "corrupt", manifest: emptyManifest(), reason: `unreadable: ${messageOf(error)}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { kind: "corrupt", manifest: emptyManifest(), reason: `invalid JSON: ${messageOf(error)}` };
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length ? issue.path.join(".") : "(root)";
    return { kind: "corrupt", manifest: emptyManifest(), reason: `schema: ${where}: ${issue?.message ?? "invalid"}` };
  }
  return { kind: "ok", manifest: parsed.data };
}

/**
 * For a runner start: a corrupt manifest is copied to
 * `processed_manifest.json.corrupt-<YYYYmmddTHHMMSS>` (copy first, so a crash cannot lose
 * it), then replaced atomically by an empty one; a `warning` is emitted and the run goes
 * on. If the copy fails the corrupt file is left untouched.
 */
export async function loadManifestForRun(
  platform: Platform,
  folder: string,
  onEvent: EventSink,
): Promise<Manifest> {
  const read = await readManifest(platform, folder);
  if (read.kind !== "corrupt") return read.manifest;
  const copyName = await clashFreeName(platform, folder, `${MANIFEST_NAME}.corrupt-${utcStamp(platform.now())}`, platform.now());
  let copied = "";
  try {
    await platform.writeFileAtomic(joinPath(folder, copyName), await platform.readFile(manifestPath(folder)));
    copied = `; copied to ${copyName}`;
    // Replace it only once the copy exists, so later starts see a healthy (empty) manifest.
    await writeManifest(platform, folder, read.manifest);
  } catch (error) {
    copied = `; could not copy it aside: ${messageOf(error)}`;
  }
  onEvent({
    type: "warning",
    message: `corrupt ${MANIFEST_NAME} (${read.reason})${copied}; continuing with an empty manifest (result files still prevent re-runs)`,
  });
  return read.manifest;
}

/** JSON with every object's keys sorted, indent 2, trailing newline: same state, same bytes. */
export function serializeManifest(manifest: Manifest): string {
  return JSON.stringify(sortKeys(manifest), null, 2) + "\n";
}

export async function writeManifest(platform: Platform, folder: string, manifest: Manifest): Promise<void> {
  await platform.writeFileAtomic(manifestPath(folder), serializeManifest(manifest));
}

export function withEntry(manifest: Manifest, path: string, entry: ManifestEntry): Manifest {
  return { version: 1, entries: { ...manifest.entries, [path]: entry } };
}

export function withoutEntries(manifest: Manifest, paths: Iterable<string>): Manifest {
  const entries = { ...manifest.entries };
  for (const p of paths) delete entries[p];
  return { version: 1, entries };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
