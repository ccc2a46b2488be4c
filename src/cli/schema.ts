/** `proxx schema`: print the JobSpec (or result, or event) JSON Schema, generated from the zod schemas. */
import { z } from "zod";
import type { Command } from "./command.ts";
import { jobSpecJsonSchemaText } from "../jobspec/json-schema.ts";
import { JobResult } from "../engine/result.ts";
import { eventsJsonSchemaText } from "../engine/events.ts";
import { EXIT } from "./exit-codes.ts";
import { parse } from "./common.ts";
import { UsageError } from "./usage-error.ts";

export const schemaCommand: Command = {
  name: "schema",
  summary: "Print the JobSpec JSON Schema (for editors and other tools)",
  help: `Usage: proxx schema [options]

Prints the JSON Schema (draft 2020-12) of the JobSpec on stdout. It is generated from the
same definition 'proxx validate' uses, so it always matches this version of proxx. It
covers field names, types and allowed values; rules that span fields (codec/container,
naming tokens, paths) are checked by 'proxx validate'.

Point an editor at it with a "$schema" key in the JobSpec (proxx ignores the key):
  { "$schema": "./jobspec.schema.json", "sources": [...], ... }
or, in VS Code, with "json.schemas" in .vscode/settings.json:
  "json.schemas": [{ "fileMatch": ["jobs/*.json"], "url": "./jobspec.schema.json" }]

Options:
  --result       print the schema of result files (<name>.result.json, run --json) instead
  --events       print the schema of one event of 'watch --json' (docs/events.md) instead
  -h, --help     show this help

Examples:
  proxx schema > jobspec.schema.json
  proxx schema --result > result.schema.json
  proxx schema --events | jq '.oneOf[].properties.type.const'
  proxx schema | jq '.properties.codec.enum'
  proxx new --sources 'clips/*.mov' --output-directory out --schema-ref ./jobspec.schema.json > job.json

Exit codes: 0 printed, 2 usage error.
`,
  run(platform, argv) {
    const { values, positionals } = parse("schema", argv, {
      result: { type: "boolean" },
      events: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) return (platform.writeStdout(this.help), EXIT.OK);
    if (positionals.length > 0) throw new UsageError(`takes no arguments, got '${positionals[0]}'`, "schema");
    if (values.result && values.events) throw new UsageError("--result and --events exclude each other", "schema");
    platform.writeStdout(
      values.result ? resultJsonSchemaText() : values.events ? eventsJsonSchemaText() : jobSpecJsonSchemaText(),
    );
    return EXIT.OK;
  },
};

/** The JobResult schema: what proxx writes, so the output shape (`io: "output"`). */
export function resultJsonSchemaText(): string {
  const { $schema, ...rest } = z.toJSONSchema(JobResult, { io: "output", target: "draft-2020-12" }) as Record<
    string,
    unknown
  >;
  return `${JSON.stringify({ $schema, title: "proxx job result", ...rest }, null, 2)}\n`;
}
