/**
 * What `deno check` needs to know about Bun, and no more.
 *
 * `src/platform/bun.ts` is the Bun adapter: Deno never loads it at run time (the platform
 * picker in src/platform/current.ts imports it only under Bun), but `deno check src/`
 * follows that import. deno.json maps the module name "bun" to this file so that Deno does
 * not type-check the adapter against Bun's full type package; Bun's own types check it
 * under Bun.
 */
export type FileSink = {
  write(chunk: string | Uint8Array): number;
  flush(): number | Promise<number>;
};

declare global {
  // deno-lint-ignore no-explicit-any
  const Bun: any;
}
