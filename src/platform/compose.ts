/** The `Platform` the core uses: an adapter's primitives plus the rules written once in the core. */
import { durableFs } from "../fs/durable.ts";
import { sleepOn } from "../util/timers.ts";
import type { Platform, System } from "./types.ts";

export function composePlatform(system: System): Platform {
  return {
    ...system,
    ...durableFs(system, system.pid),
    sleep: (ms, signal) => sleepOn(system, ms, signal),
  };
}
