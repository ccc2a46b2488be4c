/**
 * docs/events.md must document every event type and every field of the ProxxEvent zod schema
 * (the one `proxx schema --events` prints), and nothing that is not there: adding a field
 * without documenting it fails here. The schema is read as JSON Schema, not as source text.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { FakePlatform } from "../helpers/fake-platform.ts";
import { main } from "../../src/cli/main.ts";

const REPO = resolve(import.meta.dir, "../..");

interface EventField {
  name: string;
  required: boolean;
  nullable: boolean;
  /** The string values the field may take, when it is an enum or a constant. */
  values: string[] | null;
}

/** `{ type → fields }` from the JSON Schema `proxx schema --events` prints. */
async function declaredEvents(): Promise<Map<string, EventField[]>> {
  const p = new FakePlatform();
  if ((await main(p, ["schema", "--events"])) !== 0) throw new Error(`proxx schema --events failed: ${p.stderr}`);
  // deno-lint-ignore no-explicit-any
  const schema = JSON.parse(p.stdout) as { oneOf: { properties: Record<string, any>; required: string[] }[] };
  const events = new Map<string, EventField[]>();
  for (const member of schema.oneOf) {
    const type = member.properties.type.const as string;
    const fields = Object.entries(member.properties).map(([name, s]) => {
      const types = [s.type ?? s.anyOf?.map((a: { type: string }) => a.type)].flat();
      const values = s.enum ?? (s.const !== undefined ? [s.const] : null);
      return { name, required: member.required.includes(name), nullable: types.includes("null"), values };
    });
    events.set(type, fields);
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

/** `{ field → type column }` of a section's table. */
function documentedRows(section: string): Map<string, string> {
  return new Map([...section.matchAll(/^\| `([a-z_$]+)` \| ([^|]*) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]));
}

const events = await declaredEvents();

describe("docs/events.md", () => {
  const sections = documentedSections(readFileSync(join(REPO, "docs/events.md"), "utf8"));

  test("the schema has the events (guards against a vacuous pass)", () => {
    expect(events.size).toBeGreaterThanOrEqual(13);
    expect(events.get("progress")!.map((f) => f.name)).toEqual(
      expect.arrayContaining(["frame", "out_time_seconds", "percent", "fps", "speed"]),
    );
    expect(events.get("job_result")!.map((f) => f.name)).toContain("failure_reason");
  });

  test("no field is ever left out (a documented rule for every event)", () => {
    for (const [type, fields] of events) {
      expect({ type, optional: fields.filter((f) => !f.required).map((f) => f.name) }).toEqual({ type, optional: [] });
    }
  });

  test("every event type has a section, and every section is a real event type", () => {
    expect([...sections.keys()].sort()).toEqual([...events.keys()].sort());
  });

  test("every field of every event is in that event's table, and no other", () => {
    for (const [type, fields] of events) {
      const rows = documentedRows(sections.get(type) ?? "");
      expect({ type, rows: [...rows.keys()].sort() }).toEqual({ type, rows: fields.map((f) => f.name).sort() });
    }
  });

  test("the type column says 'or null' exactly for nullable fields, and names only allowed values", () => {
    for (const [type, fields] of events) {
      const rows = documentedRows(sections.get(type) ?? "");
      for (const field of fields) {
        const column = rows.get(field.name) ?? "";
        expect({ type, field: field.name, orNull: column.includes("or null") }).toEqual({
          type,
          field: field.name,
          orNull: field.nullable,
        });
        const quoted = [...column.matchAll(/"([A-Za-z_]+)"/g)].map((m) => m[1]!);
        if (field.values) {
          // A doc may name fewer values than the type allows (job_finished never says PARTIAL).
          expect({ type, field: field.name, quoted: quoted.filter((v) => !field.values!.includes(v)) }).toEqual({
            type,
            field: field.name,
            quoted: [],
          });
          expect(quoted.length).toBeGreaterThan(0);
        }
      }
    }
  });
});
