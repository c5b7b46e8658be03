/** Optimal-string-alignment distance (Levenshtein + adjacent transposition) of two lower-case
 *  strings, giving up early (returns limit + 1) once the distance must exceed `limit`.
 *  Rows are reused between calls: suggestions compare one word against hundreds of keys. */
let rows: [Int32Array, Int32Array, Int32Array] = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const m = a.length;
  const n = b.length;
  if (rows[0].length <= n) rows = [new Int32Array(n + 1), new Int32Array(n + 1), new Int32Array(n + 1)];
  let [prev2, prev, cur] = rows;
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= n; j++) {
      const bj = b.charCodeAt(j - 1);
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ai === bj ? 0 : 1));
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > limit) return limit + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n];
}

/** How far a typo may be from the intended word: 1 for short words, 2 from 6 chars, 3 from 14. */
export function typoLimit(word: string): number {
  return word.length >= 14 ? 3 : word.length >= 6 ? 2 : 1;
}

/** The closest candidates within the typo limit, best first (ties keep candidate order); case-insensitive. */
export function closestMatches(word: string, candidates: readonly string[], max = 3, lowered?: readonly string[]): string[] {
  const w = word.toLowerCase();
  const limit = typoLimit(word);
  const lower = lowered ?? candidates.map((c) => c.toLowerCase());
  const scored: { c: string; d: number; i: number }[] = [];
  for (let i = 0; i < candidates.length; i++) {
    const c = lower[i];
    if (Math.abs(c.length - w.length) > limit || c === w) continue;
    const d = editDistance(w, c, limit);
    if (d <= limit) scored.push({ c: candidates[i], d, i });
  }
  scored.sort((x, y) => x.d - y.d || x.i - y.i);
  return scored.slice(0, max).map((s) => s.c);
}
