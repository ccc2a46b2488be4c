/**
 * One option value (a file path) as it must be written inside an FFmpeg filter graph
 * (`-vf`, `-filter_complex`), so that no character of it can end the option, the filter or
 * the chain. FFmpeg unescapes such a value twice: the graph parser first (backslash escapes,
 * single quotes; `[ ] , ;` end a filter), then the filter's option parser (`:` ends a value).
 * So the value is single-quoted for the option parser (a `'` inside becomes `'\''`), and that
 * is backslash-escaped for the graph parser. A Windows drive colon (`C:/…`) is inside the
 * quotes, which is what `C\:` does unquoted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(filterValue("/tmp/a b.ttf"), "\\'/tmp/a b.ttf\\'");
 * assert.equal(filterValue("C:/x,y;z"), "\\'C:/x\\,y\\;z\\'");
 * ```
 */
export function filterValue(value: string): string {
  const quoted = `'${value.replaceAll("'", "'\\''")}'`;
  return quoted.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}
