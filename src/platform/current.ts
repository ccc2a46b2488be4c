/** Picks the adapter for the runtime we are on. The only place that looks at runtime globals. */
import type { Platform } from "./types.ts";

export async function currentPlatform(): Promise<Platform> {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (typeof g.Deno !== "undefined" && typeof g.Bun === "undefined") {
    const { denoPlatform } = await import("./deno.ts");
    return denoPlatform();
  }
  const { bunPlatform } = await import("./bun.ts");
  return bunPlatform();
}
