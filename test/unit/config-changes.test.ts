// What doctor --fix changed in a user's openclaw.json: the paths, the meta stamp apart, sibling changes said once.
import {describe, expect, it} from 'vitest'
import {configChanges, describeConfigChanges} from '../../src/openclaw/config-changes.js'

const j = (o: unknown) => JSON.stringify(o, null, 2)
const SKILLS = ['1password', 'blogwatcher', 'blucli', 'camsnap', 'coding-agent', 'eightctl', 'gemini', 'gh-issues']

describe('configChanges', () => {
  it.each([
    ['unchanged', {a: 1}, {a: 1}, [], 'openclaw.json unchanged'],
    [
      'only the meta stamp',
      {meta: {lastTouchedAt: 'x'}, a: 1},
      {meta: {lastTouchedAt: 'y'}, a: 1},
      [{path: 'meta.lastTouchedAt', change: 'changed'}],
      'only its meta stamp',
    ],
    [
      'a setting added',
      {a: 1},
      {a: 1, wizard: {lastRunCommand: 'doctor'}},
      [{path: 'wizard.lastRunCommand', change: 'added', after: '"doctor"'}],
      'wizard.lastRunCommand added ("doctor")',
    ],
    ['a setting removed', {a: 1, b: {c: true}}, {a: 1}, [{path: 'b.c', change: 'removed', before: 'true'}], 'b.c removed (was true)'],
    ['a value changed', {a: {b: 'x'}}, {a: {b: 'y'}}, [{path: 'a.b', change: 'changed', before: '"x"', after: '"y"'}], 'a.b "x" -> "y"'],
    [
      'a secret is not printed',
      {gateway: {auth: {token: 'old'}}},
      {gateway: {auth: {token: 'new'}}},
      [{path: 'gateway.auth.token', before: '(set)', after: '(set)'}],
      '(set) -> (set)',
    ],
    ['an array is one value', {allow: ['vllm']}, {allow: ['vllm', 'github']}, [{path: 'allow', change: 'changed'}], 'allow ["vllm"] -> ["vllm","github"]'],
  ])('%s', (_n, before, after, changes, line) => {
    const c = configChanges(j(before), j(after))
    expect(c.compared).toBe(true)
    expect(c.changes).toHaveLength(changes.length)
    changes.forEach((x, i) => expect(c.changes[i]).toMatchObject(x))
    expect(describeConfigChanges(c)).toContain(line)
  })

  it('skills doctor disabled (as real 2026.9.6 doctor --fix did): one line naming them, the count, the rest elided', () => {
    const after = {plugins: {allow: ['vllm']}, skills: {entries: Object.fromEntries(SKILLS.map((s) => [s, {enabled: false}]))}}
    const c = configChanges(j({plugins: {allow: ['vllm']}}), j(after))
    expect(c.changes).toHaveLength(SKILLS.length)
    expect(c.onlyMeta).toBe(false)
    expect(describeConfigChanges(c)).toBe(
      'openclaw.json CHANGED by doctor --fix: skills.entries.*.enabled added (false) for 8: 1password, blogwatcher, blucli, camsnap, coding-agent, eightctl, … (+2)',
    )
  })

  it('unreadable or not JSON: not compared, and says why', () => {
    expect(configChanges(null, '{}')).toMatchObject({compared: false, note: expect.stringContaining('before')})
    expect(configChanges('{}', null)).toMatchObject({compared: false, note: expect.stringContaining('after')})
    expect(configChanges('{', '{}')).toMatchObject({compared: false, note: expect.stringContaining('not plain JSON')})
    expect(describeConfigChanges(configChanges(null, '{}'))).toContain('config changes unknown')
  })
})
