import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { jobSpecJsonSchema, jobSpecJsonSchemaText } from "../../src/jobspec/json-schema.ts";
import { CODECS, Container, KNOWN_FIELDS, PROXY_PROFILES } from "../../src/jobspec/schema.ts";
import { JobResult } from "../../src/engine/result.ts";
import { ProxxEvent } from "../../src/engine/events.ts";
import { main } from "../../src/cli/main.ts";
import { FakePlatform } from "../helpers/fake-platform.ts";

const REPO = resolve(import.meta.dir, "../..");
const COMMITTED = join(REPO, "docs/jobspec.schema.json");

describe("docs/jobspec.schema.json", () => {
  test("is current (regenerate: bun src/main.ts schema > docs/jobspec.schema.json)", () => {
    const committed = readFileSync(COMMITTED, "utf8");
    expect(committed).toBe(jobSpecJsonSchemaText());
  });

  test("`proxx schema` prints exactly that", () => {
    const r = spawnSync(process.execPath, [join(REPO, "src/main.ts"), "schema"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(readFileSync(COMMITTED, "utf8"));
  });
});

describe("generated schema", () => {
  // deno-lint-ignore no-explicit-any -- a JSON Schema document: the tests below walk into it and assert what they find
  const schema = jobSpecJsonSchema() as any;

  test("is a draft 2020-12 object schema with every JobSpec field and no others", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.type).toBe("object");
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties).sort()).toEqual([...KNOWN_FIELDS]);
    expect([...schema.required].sort()).toEqual(["naming_template", "output_directory", "sources"]);
  });

  test("describes every field (the descriptions cannot fall behind the zod schema)", () => {
    for (const field of KNOWN_FIELDS) {
      expect({ field, length: schema.properties[field].description?.length > 10 }).toEqual({ field, length: true });
    }
  });

  test("the compatibility-only fields are deprecated, the others not", () => {
    const deprecated = KNOWN_FIELDS.filter((f) => schema.properties[f].deprecated === true);
    expect(deprecated).toEqual([
      "execution_requested",
      "requires_resolve_edition",
      "resolve_preset",
      "resolved_tokens",
    ]);
  });

  test("resolution is what a person writes (a string), though the loader parses it", () => {
    expect(schema.properties.resolution.type).toBe("string");
    expect(new RegExp(schema.properties.resolution.pattern).test("1280x720")).toBe(true);
  });

  test("input shape: fields with defaults are optional, enums come from zod", () => {
    expect(schema.required).not.toContain("fps_mode");
    expect(schema.properties.fps_mode.default).toBe("same-as-source");
    expect(schema.properties.codec.enum).toEqual([...CODECS]);
    expect(schema.properties.proxy_profile.examples).toEqual(Object.keys(PROXY_PROFILES));
    expect(schema.properties.$schema.type).toBe("string");
  });

  test("container accepts exactly what the loader accepts (case, leading dot, spaces)", () => {
    const [strict, loose] = schema.properties.container.anyOf;
    const matches = (v: string) => strict.enum.includes(v) || new RegExp(loose.pattern, "u").test(v);
    for (const value of ["mov", ".MOV", " Mp4 ", "mkv", ".webm", "MXF", "avi", "..mov", "mo v", "", ".", "mov.mp4"]) {
      expect({ value, schema: matches(value) }).toEqual({ value, schema: Container.safeParse(value).success });
    }
  });
});

describe("proxx schema --result", () => {
  test("prints the result-file schema generated from the JobResult zod schema", async () => {
    const p = new FakePlatform();
    expect(await main(p, ["schema", "--result"])).toBe(0);
    const schema = JSON.parse(p.stdout);
    expect(schema.title).toBe("proxx job result");
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(JobResult.shape).sort());
    expect(schema.properties.final_status.enum).toContain("INTERRUPTED");
  });

  test("--events prints the event schema generated from the ProxxEvent zod schema", async () => {
    const p = new FakePlatform();
    expect(await main(p, ["schema", "--events"])).toBe(0);
    const schema = JSON.parse(p.stdout);
    expect(schema.title).toBe("proxx events");
    const types = schema.oneOf.map((e: { properties: { type: { const: string } } }) => e.properties.type.const);
    expect(types).toEqual(ProxxEvent.options.map((o) => o.shape.type.value));
    expect(types).toContain("job_result");
  });

  test("--result and --events together are a usage error", async () => {
    expect(await main(new FakePlatform(), ["schema", "--result", "--events"])).toBe(2);
  });

  test("takes no arguments", async () => {
    const p = new FakePlatform();
    expect(await main(p, ["schema", "job.json"])).toBe(2);
  });
});
