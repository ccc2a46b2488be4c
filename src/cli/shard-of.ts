/** `proxx shard-of NAME… --shards N`: which shard of N takes a JobSpec name (src/shard/assign.ts). */
import type { Command } from "./command.ts";
import { EXIT } from "./exit-codes.ts";
import { parse } from "./common.ts";
import { UsageError } from "./usage-error.ts";
import { shardOf } from "../shard/assign.ts";
import { parseTotal, ShardSpecError } from "../shard/spec.ts";

export const shardOfCommand: Command = {
  name: "shard-of",
  summary: "Print which shard (1-based) of N takes a JobSpec name, as 'watch --shard' assigns it",
  help: `Usage: proxx shard-of <name>... --shards N [--json]

Prints the 1-based shard of N that takes each JobSpec, one line per name: the shard
alone for one name, "<shard> <name>" for several. The name is the JobSpec's path
relative to the watch folder ('job.json', or 'Day01/CamA/job.json' with --recursive);
a leading './' is dropped. The shard depends only on that name and N, so files added
later never move old ones: a name ending in a number (card1-007.json, A001C003.json) is
dealt round-robin within its series, from a start its prefix picks (exactly even);
any other name by rendezvous hashing with SHA-256 (src/shard/assign.ts).

Options:
  --shards N     how many shards share the folder (required)
  --json         print [{"name","shard","shards"}] on stdout
  -h, --help     show this help

Examples:
  proxx shard-of A001C003.json --shards 4
  proxx shard-of card-a-001.json card-a-002.json --shards 3
  proxx watch /mnt/jobs --once --shard "$(proxx shard-of A001C003.json --shards 4)/4"

Exit codes: 0 printed, 2 usage error.
`,
  run(platform, argv) {
    const { values, positionals } = parse("shard-of", argv, {
      shards: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) return (platform.writeStdout(this.help), EXIT.OK);
    if (positionals.length === 0) throw new UsageError("expects at least one JobSpec name", "shard-of");
    if (values.shards === undefined) {
      throw new UsageError("--shards N is required (how many shards share the folder)", "shard-of");
    }
    let total: number;
    try {
      total = parseTotal(values.shards);
    } catch (error) {
      if (error instanceof ShardSpecError) throw new UsageError(error.message, "shard-of");
      throw error;
    }
    const rows = positionals.map((raw) => {
      const name = raw.replaceAll("\\", "/").replace(/^(\.\/)+/, "");
      return { name, shard: shardOf(name, total), shards: total };
    });
    if (values.json) platform.writeStdout(JSON.stringify(rows) + "\n");
    else if (rows.length === 1) platform.writeStdout(`${rows[0]!.shard}\n`);
    else platform.writeStdout(rows.map((r) => `${r.shard} ${r.name}\n`).join(""));
    return EXIT.OK;
  },
};
