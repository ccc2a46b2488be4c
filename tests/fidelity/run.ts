/**
 * Run one JobSpec through the engine exactly as `proxx run` does (loader, rules, executor),
 * in-process so the matrix stays fast, and return its result with the proxy's path.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { bunPlatform } from "../../src/platform/bun.ts";
import { locateTools } from "../../src/ffmpeg/locate.ts";
import { runJobFile } from "../../src/engine/run-job-file.ts";
import type { ProxxEvent } from "../../src/engine/events.ts";
import { JobResult } from "../../src/engine/result.ts";

const platform = bunPlatform();
const tools = await locateTools(platform);
let counter = 0;

export interface Run {
  result: JobResult;
  events: ProxxEvent[];
  /** Where the proxy is (it exists only when the clip COMPLETED). */
  output: string;
}

export async function runJob(dir: string, source: string, settings: Record<string, unknown>): Promise<Run> {
  const name = `job${++counter}`;
  const container = String(settings.container ?? "mov");
  const spec = { sources: [source], output_directory: dir, naming_template: `${name}_proxy`, ...settings };
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(spec));
  const events: ProxxEvent[] = [];
  const { result } = await runJobFile(platform, path, { tools, timeoutSeconds: 120, onEvent: (e) => events.push(e) });
  return { result: JobResult.parse(result), events, output: join(dir, `${name}_proxy.${container}`) };
}
