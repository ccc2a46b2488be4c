/** `proxx schema`: print the JobSpec JSON Schema, generated from the zod schema. */
import type { Command } from "./command.ts";
import { jobSpecJsonSchemaText } from "../jobspec/json-schema.ts";
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
  -h, --help     show this help

Examples:
  proxx schema > jobspec.schema.json
  proxx schema | jq '.properties.codec.enum'
  proxx new --sources 'clips/*.mov' --output-directory out --schema-ref ./jobspec.schema.json > job.json

Exit codes: 0 printed, 2 usage error.
`,
  async run(platform, argv) {
    const { values, positionals } = parse("schema", argv, { help: { type: "boolean", short: "h" } });
    if (values.help) return (platform.writeStdout(this.help), EXIT.OK);
    if (positionals.length > 0) throw new UsageError(`takes no arguments, got '${positionals[0]}'`, "schema");
    platform.writeStdout(jobSpecJsonSchemaText());
    return EXIT.OK;
  },
};
