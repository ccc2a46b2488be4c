/** "did you mean" hints for mistyped enum values: prefix match first, then edit distance. */

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** Returns `; did you mean 'x'?` or "" when nothing is close. */
export function didYouMean(given: string, options: readonly string[]): string {
  const g = given.toLowerCase();
  // Nothing sensible is "close" to a long string, and edit distance on a 1 MB value from a
  // hostile JobSpec costs seconds (scripts/fuzz.ts).
  if (!g || g.length > 64) return "";
  const prefixed = options.find((o) => o.startsWith(g) || g.startsWith(o));
  if (prefixed) return `; did you mean '${prefixed}'?`;
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const option of options) {
    const d = distance(g, option);
    if (d < bestDistance) [best, bestDistance] = [option, d];
  }
  return best && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? `; did you mean '${best}'?` : "";
}
