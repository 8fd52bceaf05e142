import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {describeIds, parseIdList, select, SelectorError} from '../../src/config/selector.js'

const fleet = {ids: [7, 8, 9, 10, 11], groups: {'oc7-9': [7, 8, 9], 'oc10-11': [10, 11]}}

describe('instance selectors', () => {
  it.each([
    ['7-11', [7, 8, 9, 10, 11]],
    ['7,9', [7, 9]],
    ['7, 9 ,11', [7, 9, 11]],
    ['oc7-9', [7, 8, 9]],
    ['oc10-11,7', [7, 10, 11]],
    ['all', [7, 8, 9, 10, 11]],
    ['9,9,8-9', [8, 9]],
    // instance names as the tables print them
    ['oc8', [8]],
    ['OC9,oc11', [9, 11]],
    ['oc7-oc8', [7, 8]],
    ['oc7-10', [7, 8, 9, 10]],
  ])('%s selects %j', (selector, ids) => {
    expect(select(selector, fleet)).toEqual(ids)
  })

  it.each([
    ['11-7', /reversed.*did you mean 7-11/],
    ['seven', /"seven" is not an instance id/],
    ['12', /"12" names an instance not in the config: 12/],
    ['7-12', /"7-12" names an instance not in the config: 12/],
    ['', /empty/],
    ['7,,8', /empty item at position 2/],
    ['-3', /"-3" is not an instance id/],
    ['7-', /"7-" is not/],
    ['oc12', /"oc12" names an instance not in the config: 12/],
    ['ocx', /"ocx" is not an instance id.*groups: oc7-9, oc10-11/],
  ])('%j is an error naming the token', (selector, message) => {
    expect(() => select(selector, fleet)).toThrow(SelectorError)
    expect(() => select(selector, fleet)).toThrow(message)
  })

  it('an empty fleet selection is an error', () => {
    expect(() => select('all', {ids: [], groups: {}})).toThrow(/selects no instance/)
  })

  it('property: any set of configured ids, written as a list, selects exactly that set', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({min: 0, max: 500}), {minLength: 1, maxLength: 40}), fc.integer({min: 0, max: 1000}), (ids, seed) => {
        const sub = ids.filter((_, i) => (i * 7919 + seed) % 3 !== 0)
        const chosen = sub.length > 0 ? sub : ids.slice(0, 1)
        const got = select(chosen.join(','), {ids, groups: {}})
        expect(got).toEqual([...new Set(chosen)].sort((a, b) => a - b))
      }),
      {numRuns: 1000},
    )
  })

  it('property: describeIds round-trips through parseIdList', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({min: 0, max: 10_000}), {minLength: 1, maxLength: 60}), (ids) => {
        const sorted = [...ids].sort((a, b) => a - b)
        expect(parseIdList(describeIds(ids))).toEqual(sorted)
      }),
      {numRuns: 1000},
    )
  })

  it('property: a range a-b selects b-a+1 consecutive ids, and b-a (a<b) is always an error naming it', () => {
    fc.assert(
      fc.property(fc.integer({min: 0, max: 2000}), fc.integer({min: 0, max: 200}), (a, len) => {
        const b = a + len
        const ids = Array.from({length: len + 1}, (_, i) => a + i)
        expect(select(`${a}-${b}`, {ids, groups: {}})).toEqual(ids)
        if (len > 0) expect(() => select(`${b}-${a}`, {ids, groups: {}})).toThrow(`"${b}-${a}" is reversed`)
      }),
      {numRuns: 1000},
    )
  })

  it('property: arbitrary text either selects configured ids only or throws a SelectorError', () => {
    fc.assert(
      fc.property(fc.string({maxLength: 20}), (text) => {
        try {
          const got = select(text, fleet)
          expect(got.length).toBeGreaterThan(0)
          for (const id of got) expect(fleet.ids).toContain(id)
        } catch (error) {
          expect(error).toBeInstanceOf(SelectorError)
        }
      }),
      {numRuns: 2000},
    )
  })
})
