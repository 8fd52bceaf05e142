/** "Did you mean ...?" for a mistyped command: the closest known id by edit distance, if it is close enough. */

/** Levenshtein distance (insert, delete, substitute: 1 each). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]
}

/** The known id closest to `typed`, or null when none is within a third of its length (at least 2 edits). */
export function closestCommand(typed: string, known: string[]): string | null {
  const limit = Math.max(2, Math.floor(typed.length / 3))
  let best: {id: string; d: number} | null = null
  for (const id of known) {
    const d = editDistance(typed.toLowerCase(), id.toLowerCase())
    if (d <= limit && (best === null || d < best.d || (d === best.d && id < best.id))) best = {id, d}
  }
  return best?.id ?? null
}
