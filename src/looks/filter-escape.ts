/**
 * Text inside an FFmpeg filter graph (`-vf`), so that a path or a word can never change the
 * graph: escaped first for the filter's option parser (`\`, `'`, `:`), then for the graph
 * parser (`\`, `'`, `[`, `]`, `,`, `;`), as FFmpeg's filter documentation describes ("Notes on
 * filtergraph escaping"). A Windows drive colon (`C:/…`) is escaped like any other.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(filterValue("/tmp/a.cube"), "/tmp/a.cube");
 * assert.equal(filterValue("C:/x,y.cube"), "C\\\\:/x\\,y.cube");
 * ```
 */
export function filterValue(text: string): string {
  const option = text.replace(/[\\':]/g, (c) => `\\${c}`);
  return option.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}
