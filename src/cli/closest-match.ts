/**
 * "Did you mean": the known word nearest a mistyped one, for the CLI's hints (service
 * names, config-file keys), as commander gives for subcommands.
 * @module
 */

/**
 * Edit distance counting a swap of two neighbours as one edit (optimal string
 * alignment), so `ecoh` is one edit from `echo`. Words are short: the quadratic table
 * costs nothing.
 */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate nearest `word` (case-insensitive) within `maxDistance` edits (default:
 * a third of the candidate's length, at least 1), or undefined.
 */
export function closestMatch(
  word: string,
  candidates: readonly string[],
  maxDistance?: number,
): string | undefined {
  const wanted = word.toLowerCase();
  let best: { candidate: string; d: number } | undefined;
  for (const candidate of candidates) {
    const d = editDistance(wanted, candidate.toLowerCase());
    const limit = maxDistance ?? Math.max(1, Math.floor(candidate.length / 3));
    if (d <= limit && (best === undefined || d < best.d)) best = { candidate, d };
  }
  return best?.candidate;
}
