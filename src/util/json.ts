/** The JSON document in a CLI's stdout: the whole text, else from its first `{` (a banner line before it); undefined when none parses. */
export function parseJson(text: string): unknown {
  const t = text.trim()
  if (!t) return undefined
  try {
    return JSON.parse(t)
  } catch {
    const start = t.indexOf('{')
    if (start > 0) {
      try {
        return JSON.parse(t.slice(start))
      } catch {
        return undefined
      }
    }
    return undefined
  }
}
