/**
 * docs/events.md must document every event type and every field declared in
 * src/engine/events.ts, and nothing that is not there: the source text is parsed, so
 * adding a field without documenting it fails here.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dir, "../..");

/** `{ type → field names }` from the ProxxEvent union's source text. */
export function declaredEvents(source: string): Map<string, string[]> {
  const start = source.indexOf("export type ProxxEvent =");
  const end = source.indexOf("\nexport ", start + 1);
  if (start < 0 || end < 0) throw new Error("events.ts: ProxxEvent union not found");
  const union = source
    .slice(start, end)
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "");
  const events = new Map<string, string[]>();
  for (const block of union.split(/\|\s*\{/).slice(1)) {
    const body = block.slice(0, block.lastIndexOf("}"));
    const type = /\btype:\s*"([a-z_]+)"/.exec(body)?.[1];
    if (!type) throw new Error(`events.ts: a union member without a type: ${body.slice(0, 60)}`);
    events.set(type, [...body.matchAll(/([A-Za-z_$][\w$]*)\??\s*:/g)].map((m) => m[1]!));
  }
  return events;
}

/** `{ type → section text }` from the doc's `### \`type\`` headings. */
function documentedSections(doc: string): Map<string, string> {
  const sections = new Map<string, string>();
  for (const part of doc.split(/\n### /).slice(1)) {
    const name = /^`([a-z_]+)`/.exec(part)?.[1];
    if (name) sections.set(name, part.split(/\n## /)[0]!);
  }
  return sections;
}

describe("docs/events.md", () => {
  const events = declaredEvents(readFileSync(join(REPO, "src/engine/events.ts"), "utf8"));
  const sections = documentedSections(readFileSync(join(REPO, "docs/events.md"), "utf8"));

  test("the parser sees the union (guards against a vacuous pass)", () => {
    expect(events.size).toBeGreaterThanOrEqual(13);
    expect(events.get("progress")).toEqual(
      expect.arrayContaining(["frame", "out_time_seconds", "percent", "fps", "speed"]),
    );
    expect(events.get("job_result")).toContain("failure_reason");
  });

  test("every event type has a section, and every section is a real event type", () => {
    expect([...sections.keys()].sort()).toEqual([...events.keys()].sort());
  });

  test("every field of every event is in that event's table", () => {
    for (const [type, fields] of events) {
      const section = sections.get(type) ?? "";
      for (const field of fields) {
        expect({ type, field, documented: section.includes(`| \`${field}\` |`) }).toEqual({
          type,
          field,
          documented: true,
        });
      }
      // and no field the code does not have
      const rows = [...section.matchAll(/^\| `([a-z_$]+)` \|/gm)].map((m) => m[1]);
      expect({ type, rows: rows.sort() }).toEqual({ type, rows: [...fields].sort() });
    }
  });
});
