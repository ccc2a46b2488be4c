/** `proxx validate job.json…`: every check `run` makes before FFmpeg starts, without running. */
import * as path from "node:path";
import type { Command } from "./command.ts";
import { loadJobSpec } from "../jobspec/load.ts";
import type { ResolvedJob } from "../jobspec/resolve.ts";
import { EXIT } from "./exit-codes.ts";
import { parse } from "./common.ts";
import { UsageError } from "./usage-error.ts";

/** The folders a placement token resolved to: which exist, which `run` creates (and below what). */
function foldersText(job: ResolvedJob): string {
  const folders = job.output_folders ?? [];
  const root = job.source_root ? `, {source_rel_dir} relative to ${job.source_root}` : "";
  const lines = folders.map((f) =>
    `    ${f.path}  (${
      f.exists === null ? "not checked: --no-paths" : f.exists ? "exists" : `created by run, below ${f.base}`
    })\n`
  );
  return `  ${folders.length} output folder(s)${root}:\n${lines.join("")}`;
}

export const validateCommand: Command = {
  name: "validate",
  summary: "Check JobSpecs (fields, codec/container, names, paths) without running anything",
  help: `Usage: proxx validate <job.json>... [options]

Runs every check that 'proxx run' makes before FFmpeg starts: fields and types, the
codec/container matrix, proxy profiles, naming tokens, output-name collisions, and that
the sources and the output directory exist. Every problem is listed with its field path.
With {source_dir} or {source_rel_dir} in output_directory it also lists every folder the
proxies go to, and whether it exists or 'run' will create it (nothing is created here).

Options:
  --no-paths     skip the on-disk checks (sources exist, output directory exists)
  --json         print one JSON object per file: {"file", "valid", "job_id", "errors", "outputs"},
                 plus "folders" [{"path", "base", "exists"}] when output_directory has a token
  -h, --help     show this help

Examples:
  proxx validate job.json
  proxx validate jobs/*.json --json
  proxx validate template.json --no-paths

Exit codes: 0 all valid, 3 any invalid, 4 a file could not be read, 2 usage error.
`,
  async run(platform, argv) {
    const { values, positionals } = parse("validate", argv, {
      "no-paths": { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) return (platform.writeStdout(this.help), EXIT.OK);
    if (positionals.length === 0) throw new UsageError("expects at least one JobSpec file", "validate");
    let code: number = EXIT.OK;
    for (const file of positionals) {
      const outcome = await loadJobSpec(platform, file, {
        startedAtMs: platform.now(),
        checkPaths: !values["no-paths"],
      });
      if (!outcome.ok) code = Math.max(code, outcome.kind === "unreadable" ? EXIT.ENVIRONMENT : EXIT.INVALID);
      if (values.json) {
        platform.writeStdout(`${
          JSON.stringify({
            file: path.resolve(platform.cwd(), file),
            valid: outcome.ok,
            job_id: outcome.ok ? outcome.job.job_id : outcome.job_id,
            errors: outcome.ok ? [] : outcome.issues,
            outputs: outcome.ok ? outcome.job.clips.map((c) => c.output_path) : [],
            // Only with a placement token, so the line stays as it was for every other JobSpec.
            ...(outcome.ok && outcome.job.output_folders ? { folders: outcome.job.output_folders } : {}),
          })
        }\n`);
      } else if (outcome.ok) {
        platform.writeStdout(`${file}: valid (job ${outcome.job.job_id}, ${outcome.job.clips.length} clip(s))\n`);
        for (const clip of outcome.job.clips) {
          platform.writeStdout(`  ${clip.source_path}\n    → ${clip.output_path}\n`);
        }
        if (outcome.job.output_folders) platform.writeStdout(foldersText(outcome.job));
      } else {
        platform.writeStderr(`${file}: invalid, ${outcome.issues.length} error(s):\n`);
        for (const issue of outcome.issues) platform.writeStderr(`  ${issue.path}: ${issue.message}\n`);
      }
    }
    return code;
  },
};
