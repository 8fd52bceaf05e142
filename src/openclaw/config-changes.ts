/**
 * What a repair changed in a gateway's user config (`<state>/openclaw.json`): `openclaw doctor --fix` rewrites it
 * (real 2026.9.6 stamps `meta`, and may move or disable settings it judges legacy), and an operator must know when a
 * fleet action changed what they configured. Pure: the file's text before and after in, the changed paths out.
 */

/** One changed setting, as a dotted path (`plugins.entries.browser.enabled`), and how it changed. */
export interface ConfigChange {
  path: string
  change: 'added' | 'removed' | 'changed'
  /** The values, shortened (secrets are not printed: a key whose name says so shows `(set)`). */
  before?: string
  after?: string
}

export interface ConfigChanges {
  /** Whether the text was compared: false when either side could not be read or parsed (then `note` says why). */
  compared: boolean
  changes: ConfigChange[]
  /** Changes only under `meta` (the stamp every OpenClaw write leaves): nothing an operator configured. */
  onlyMeta: boolean
  note: string | null
}

const SECRET = /(token|secret|password|apikey|api_key|key)$/i
const MAX_VALUE = 80

function show(key: string, v: unknown): string {
  if (SECRET.test(key) && v !== undefined && v !== null && v !== '') return '(set)'
  const s = JSON.stringify(v) ?? String(v)
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function walk(before: unknown, after: unknown, at: string, out: ConfigChange[]): void {
  // A section added or removed whole is said setting by setting (what an operator looks up is a leaf).
  if (before === undefined && isObject(after)) before = {}
  if (after === undefined && isObject(before)) after = {}
  if (isObject(before) && isObject(after)) {
    for (const k of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) walk(before[k], after[k], at ? `${at}.${k}` : k, out)
    return
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return
  const key = at.split('.').at(-1) ?? at
  if (before === undefined) out.push({path: at, change: 'added', after: show(key, after)})
  else if (after === undefined) out.push({path: at, change: 'removed', before: show(key, before)})
  else out.push({path: at, change: 'changed', before: show(key, before), after: show(key, after)})
}

/** Pure: the settings that differ between two texts of openclaw.json (JSON; null: the file could not be read). */
export function configChanges(before: string | null, after: string | null): ConfigChanges {
  if (before === null || after === null)
    return {compared: false, changes: [], onlyMeta: false, note: `openclaw.json could not be read ${before === null ? 'before' : 'after'} the repair`}
  let b: unknown
  let a: unknown
  try {
    b = JSON.parse(before)
    a = JSON.parse(after)
  } catch (error) {
    return {compared: false, changes: [], onlyMeta: false, note: `openclaw.json is not plain JSON: ${(error as Error).message}`}
  }
  const changes: ConfigChange[] = []
  walk(b, a, '', changes)
  return {compared: true, changes, onlyMeta: changes.length > 0 && changes.every((c) => c.path === 'meta' || c.path.startsWith('meta.')), note: null}
}

/** How many names of a group a line shows before it says how many more. */
const SHOWN = 6

/**
 * Pure: one line for a person: what changed outside `meta`, or that nothing did. Changes of the same kind to sibling
 * entries are said once (real 2026.9.6 doctor --fix added `skills.entries.<name>.enabled: false` for 33 skills):
 * `skills.entries.*.enabled added (false) for 33: 1password, blogwatcher, … (+27)`.
 */
export function describeConfigChanges(c: ConfigChanges): string {
  if (!c.compared) return `config changes unknown: ${c.note}`
  const user = c.changes.filter((x) => x.path !== 'meta' && !x.path.startsWith('meta.'))
  if (user.length === 0) return c.changes.length > 0 ? 'openclaw.json: only its meta stamp changed' : 'openclaw.json unchanged'
  const groups = new Map<string, {pattern: string; first: ConfigChange; names: string[]}>()
  for (const x of user) {
    const parts = x.path.split('.')
    const name = parts.length >= 3 ? parts[parts.length - 2] : null
    const pattern = name === null ? x.path : [...parts.slice(0, -2), '*', parts[parts.length - 1]].join('.')
    const key = `${pattern}|${x.change}|${x.before ?? ''}|${x.after ?? ''}`
    const g = groups.get(key) ?? {pattern, first: x, names: []}
    if (name !== null) g.names.push(name)
    groups.set(key, g)
  }
  const what = (x: ConfigChange, p: string) =>
    x.change === 'added' ? `${p} added (${x.after})` : x.change === 'removed' ? `${p} removed (was ${x.before})` : `${p} ${x.before} -> ${x.after}`
  const lines = [...groups.values()].map((g) =>
    g.names.length > 1
      ? `${what(g.first, g.pattern)} for ${g.names.length}: ${g.names.slice(0, SHOWN).join(', ')}${g.names.length > SHOWN ? `, … (+${g.names.length - SHOWN})` : ''}`
      : what(g.first, g.first.path),
  )
  return `openclaw.json CHANGED by doctor --fix: ${lines.join('; ')}`
}
