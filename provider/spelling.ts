/**
 * "Did you mean": the known name nearest a misspelt one, for unknown resource properties, member
 * settings and configuration keys. Case is ignored (`voiceURL` is `voiceUrl`); otherwise a name
 * counts as near when it is a few edits away (a letter added, dropped, changed or two swapped).
 */

/** Edits between two names, case ignored: insertions, deletions, substitutions and swaps. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  // Rows i-2, i-1 and i of the table (optimal string alignment).
  let before: number[] = [];
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        best = Math.min(best, before[j - 2]! + 1);
      row.push(best);
    }
    before = previous;
    previous = row;
  }
  return previous[t.length]!;
}

/**
 * The candidate nearest `name`, when it is near enough to be what was meant: at most `maxEdits`
 * edits (default: a third of the name's length, at least 2). Ties go to the first candidate.
 */
export function nearest(
  name: string,
  candidates: readonly string[],
  maxEdits = Math.max(2, Math.floor(name.length / 3)),
): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance <= maxEdits && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** `; did you mean "voiceUrl"?`, or nothing when no known name is near. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const near = nearest(name, candidates);
  return near === undefined ? "" : `; did you mean "${near}"?`;
}
