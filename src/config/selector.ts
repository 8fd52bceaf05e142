/**
 * Instance selectors: `7-11`, `7,9,12-14`, `oc7-9` (a group name), `all`, and mixes of these separated by commas.
 * Pure functions; errors name the offending token.
 */
export class SelectorError extends Error {
  constructor(
    message: string,
    readonly token: string,
  ) {
    super(message)
    this.name = 'SelectorError'
  }
}

const ID = /^\d+$/
const RANGE = /^(\d+)-(\d+)$/
const MAX_RANGE = 100_000

/** Parses a list of ids and ranges only (used for `instances:` in the config). */
export function parseIdList(input: string | number | number[]): number[] {
  return normalise(expandIdList(input))
}

/** The ids of a list of ids and ranges in the order written, repeats kept (`7-9,8` -> 7, 8, 9, 8). */
export function expandIdList(input: string | number | number[]): number[] {
  if (typeof input === 'number') return [checkId(String(input), input)]
  if (Array.isArray(input)) return input.map((n) => checkId(String(n), n))
  const ids: number[] = []
  for (const token of tokens(input)) ids.push(...parseIdToken(token))
  return ids
}

/** Ids a list names more than once (`[7, 7]`, `"7-9,8"`), sorted; empty when every id is named once. */
export function duplicateIds(input: string | number | number[]): number[] {
  const seen = new Set<number>()
  const twice = new Set<number>()
  for (const id of expandIdList(input)) (seen.has(id) ? twice : seen).add(id)
  return normalise([...twice])
}

/** Resolves a selector against the configured ids and group names. */
export function select(selector: string, fleet: {ids: readonly number[]; groups: Readonly<Record<string, readonly number[]>>}): number[] {
  const known = new Set(fleet.ids)
  const chosen: number[] = []
  for (const token of tokens(selector)) {
    if (token === 'all') {
      chosen.push(...fleet.ids)
      continue
    }
    if (Object.hasOwn(fleet.groups, token)) {
      chosen.push(...fleet.groups[token])
      continue
    }
    // Instance names as every table prints them: `oc802`, `oc7-oc9` or `oc7-9` (when no group has that name).
    const ids = parseIdToken(unName(token), Object.keys(fleet.groups))
    const outside = ids.filter((id) => !known.has(id))
    if (outside.length > 0) {
      const shown = outside.length > 5 ? `${outside.slice(0, 5).join(', ')}, ...` : outside.join(', ')
      throw new SelectorError(
        `instance selector "${token}" names ${outside.length === 1 ? 'an instance' : 'instances'} not in the config: ${shown} (configured: ${describeIds(fleet.ids)})`,
        token,
      )
    }
    chosen.push(...ids)
  }
  const result = normalise(chosen)
  if (result.length === 0) throw new SelectorError(`instance selector "${selector}" selects no instance`, selector)
  return result
}

/** Compact text for a sorted id list: `7-11`, `7,9,12-14`. */
export function describeIds(ids: readonly number[]): string {
  const sorted = normalise([...ids])
  const parts: string[] = []
  for (let i = 0; i < sorted.length;) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`)
    i = j + 1
  }
  return parts.join(',')
}

/** `oc802` -> `802`, `oc7-oc9` / `oc7-9` -> `7-9`; other tokens unchanged. */
export function unName(token: string): string {
  const m = /^oc(\d+)(?:-(?:oc)?(\d+))?$/i.exec(token)
  return m ? (m[2] === undefined ? m[1] : `${m[1]}-${m[2]}`) : token
}

function tokens(input: string): string[] {
  const text = String(input).trim()
  if (text === '') throw new SelectorError('instance selector is empty', '')
  return text.split(',').map((t, i) => {
    const token = t.trim()
    if (token === '') throw new SelectorError(`instance selector "${text}" has an empty item at position ${i + 1}`, token)
    return token
  })
}

function parseIdToken(token: string, groups: string[] = []): number[] {
  if (ID.test(token)) return [checkId(token, Number(token))]
  const range = RANGE.exec(token)
  if (range) {
    const from = checkId(token, Number(range[1]))
    const to = checkId(token, Number(range[2]))
    if (from > to) throw new SelectorError(`instance range "${token}" is reversed (did you mean ${to}-${from}?)`, token)
    if (to - from > MAX_RANGE) throw new SelectorError(`instance range "${token}" is too large`, token)
    return Array.from({length: to - from + 1}, (_, i) => from + i)
  }
  const known = groups.length > 0 ? `; groups: ${groups.join(', ')}` : ''
  throw new SelectorError(`"${token}" is not an instance id, a range like 7-11, a group name or "all"${known}`, token)
}

function checkId(token: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new SelectorError(`"${token}" is not a valid instance id (a non-negative integer)`, token)
  return n
}

function normalise(ids: number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b)
}
