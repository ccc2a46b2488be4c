/**
 * Output through a pipe is complete when proxx exits. Bun's process.stdout.write() kept
 * what a pipe did not take at once and process.exit() dropped it: `proxx validate --json`
 * of a JobSpec with many problems, read by a slow consumer, lost megabytes (the end of a
 * `watch --json` NDJSON stream was at risk the same way). Found by scripts/fuzz.ts.
 */
import { expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAIN, tempDir } from "../helpers/cli.ts";

test("a large --json answer reaches a slow reader whole", async () => {
  const dir = tempDir();
  try {
    await bigAnswer(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function bigAnswer(dir: string) {
  const file = join(dir, "many.json");
  // One issue per missing source: ~0.9 MB of JSON on one line (a pipe takes 64 KB at once).
  const sources = Array.from({ length: 10_000 }, (_, i) => `missing-${i}.mov`);
  writeFileSync(
    file,
    JSON.stringify({
      sources,
      output_directory: ".",
      naming_template: "{source_name}_proxy",
      codec: "prores_proxy",
      container: "mov",
      resolution: "same",
    }),
  );
  const child = spawn(process.execPath, [MAIN, "validate", "--json", file], { stdio: ["ignore", "pipe", "inherit"] });
  child.stdout.pause(); // read only after proxx had time to exit
  await new Promise((r) => setTimeout(r, 1500));
  const chunks: Buffer[] = [];
  child.stdout.on("data", (d: Buffer) => chunks.push(d));
  child.stdout.resume();
  const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  const text = Buffer.concat(chunks).toString("utf8");
  expect(code).toBe(3);
  expect(text.length).toBeGreaterThan(500_000);
  const line = JSON.parse(text);
  expect(line.valid).toBe(false);
  expect(line.errors).toHaveLength(10_000);
}
