#!/usr/bin/env bun
/** Entry point: pick the runtime's platform adapter and hand over to the CLI. */
import process from "node:process";
import { currentPlatform } from "./platform/current.ts";
import { main } from "./cli/main.ts";

const platform = await currentPlatform();
platform.exit(await main(platform, process.argv.slice(2)));
