// The known upstream signatures (fallback-reuses-locked-session, session-takeover-race) on the real lines of
// ../shared/fixtures/gateway-log-lines.txt (copied to test/fixtures), in logs, in ping output and in doctor.
import {readFileSync} from 'node:fs'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import type {Instance} from '../../src/config/model.js'
import {lockTimeoutSignature} from '../../src/docker/logs.js'
import {FALLBACK_WINDOW_LINES, findKnownSignatures} from '../../src/locks/known-signatures.js'
import {diagnosisNotes} from '../../src/report/status.js'
import {knownSignatureLogCheck} from '../../src/doctor/doctor.js'
import {classifyAttempt} from '../../src/decide/ping-class.js'
import {knownSignaturesPossible} from '../../src/openclaw/version.js'
import {decideRestart} from '../../src/decide/restart.js'

const fixture = readFileSync(new URL('../fixtures/gateway-log-lines.txt', import.meta.url), 'utf8')
const lines = fixture.split('\n')
const FALLBACK = lines.find((l) => l.startsWith('Gateway agent failed; falling back to embedded: Error: gateway timeout after 90000ms'))!
const LOCKED = lines.find((l) => l.startsWith('session file locked (timeout 10000ms): pid=47321'))!
const TAKEOVER = lines.find((l) => l.startsWith('EmbeddedAttemptSessionTakeoverError'))!
const inst = {name: 'oc861'} as Instance

describe('known signatures in the fixture', () => {
  it('the lines exist', () => expect([FALLBACK, LOCKED, TAKEOVER].every(Boolean)).toBe(true))

  it("fallback then the gateway's own lock: fallback-reuses-locked-session; the takeover race; nothing else", () => {
    const hits = findKnownSignatures(fixture, [47321])
    expect(hits.map((h) => h.kind)).toEqual(['fallback-reuses-locked-session', 'session-takeover-race'])
    expect(hits[0]).toMatchObject({lockPid: 47321, gatewayPid: 'same', lockPath: '/home/node/.openclaw/agents/main/sessions/9e051a52.jsonl.lock'})
  })

  it.each([
    ['gateway pid unknown: reported, pid not checked', null, 1, 'unknown'],
    ["the lock is another pid's: not this signature (a lock judged elsewhere)", [7], 0, null],
  ] as const)('%s', (_n, pids, n, gw) => {
    const hits = findKnownSignatures(`${FALLBACK}\n${LOCKED}`, pids).filter((h) => h.kind === 'fallback-reuses-locked-session')
    expect(hits).toHaveLength(n)
    if (gw) expect(hits[0].gatewayPid).toBe(gw)
  })

  it('the other fallback form (an error the gateway answered) and a lock line alone are not it', () => {
    expect(findKnownSignatures(lines[0], null)).toEqual([])
    expect(findKnownSignatures(LOCKED, null)).toEqual([])
    expect(findKnownSignatures(`${LOCKED}\n${FALLBACK}`, null)).toEqual([])
  })

  it(`the lock line must follow within ${FALLBACK_WINDOW_LINES} lines; ANSI colours and timestamps do not matter`, () => {
    const far = [FALLBACK, ...Array(FALLBACK_WINDOW_LINES + 1).fill('noise'), LOCKED].join('\n')
    expect(findKnownSignatures(far, null)).toEqual([])
    const ts = `2026-12-02T10:00:01.000Z \x1b[31m${FALLBACK}\x1b[39m\n2026-12-02T10:00:11.000Z ${LOCKED}`
    expect(findKnownSignatures(ts, [47321])).toHaveLength(1)
  })

  it("property: one hit per fallback followed by the gateway's lock, however much noise between (within the window)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({min: 0, max: FALLBACK_WINDOW_LINES - 1}), {maxLength: 6}), (gaps) => {
        const text = gaps.map((g) => [FALLBACK, ...Array(g).fill('[gateway] ready'), LOCKED].join('\n')).join('\n')
        expect(findKnownSignatures(text, [47321]).filter((h) => h.kind === 'fallback-reuses-locked-session')).toHaveLength(gaps.length)
      }),
    )
  })
})

describe('in the log signature, status and doctor', () => {
  it('the fixture: diagnoses counted apart, the old fields unchanged', () => {
    const sig = lockTimeoutSignature(fixture, [47321])
    expect(sig.count).toBe(6)
    expect(sig.bySignature['session-file-locked']).toBe(6)
    expect(sig.diagnoses).toEqual({'fallback-reuses-locked-session': {count: 1, lockPids: [47321]}, 'session-takeover-race': {count: 1, lockPids: []}})
  })

  it('status names them with the upstream report and the fix, never as a lock to delete', () => {
    const notes = diagnosisNotes('oc861', lockTimeoutSignature(fixture))
    expect(notes).toHaveLength(2)
    expect(notes[0]).toMatch(/fallback-reuses-locked-session: .*self-inflicted.*upstream bug report on agent-via-gateway.*fix: do not delete the lock/)
    expect(notes[0]).toContain("not checked against the gateway's pid")
    expect(notes[1]).toMatch(/session-takeover-race: .*upstream \(no issue number known\).*no lock cleanup cures it/)
  })

  it('doctor: warn with both and their fixes; pass on a clean log', () => {
    const c = knownSignatureLogCheck(inst, 'c861', lockTimeoutSignature(fixture, [47321]), [47321])
    expect(c).toMatchObject({check: 'known-signatures', status: 'warn'})
    expect(c.message).toContain("lock pid 47321: the gateway's own")
    expect(c.hint).toMatch(/fallback-reuses-locked-session: .*session-takeover-race: /)
    expect(knownSignatureLogCheck(inst, 'c861', lockTimeoutSignature('[gateway] ready'), null).status).toBe('pass')
  })
})

describe('in ping output', () => {
  const fail = (stderr: string) => ({exitCode: 1, stdout: '', stderr, timedOut: false})
  it("the fallback on the gateway's own lock: its own class, not lock-timeout, and no restart", () => {
    const v = classifyAttempt(fail(`${FALLBACK}\n${LOCKED}`), 'SPEED_OK', [47321])
    expect(v).toMatchObject({failure: 'fallback-reuses-locked-session', lockPid: 47321, lockTimeoutMs: 10000, fallback: true})
    expect(v.detail).toContain('upstream')
    expect(
      decideRestart(
        {
          state: 'running',
          hung: false,
          pingFailure: v.failure,
          acted: true,
          versionKnown: true,
          liveTurns: [],
          life: {state: 'ready', why: 'ready', refusal: null},
          mountOk: true,
        },
        'always',
      ).restart,
    ).toBe(false)
  })
  it('gateway pid unknown: the same class, the detail says the pid was not checked', () => {
    expect(classifyAttempt(fail(`${FALLBACK}\n${LOCKED}`), 'SPEED_OK').detail).toContain('not checked')
  })
  it('another pid holds the lock: lock-timeout as before', () => {
    expect(classifyAttempt(fail(`${FALLBACK}\n${LOCKED}`), 'SPEED_OK', [7]).failure).toBe('lock-timeout')
  })
  it('the takeover race', () => {
    expect(classifyAttempt(fail(TAKEOVER), 'SPEED_OK').failure).toBe('session-takeover-race')
  })
})

describe('the known signatures only where the version can produce them (fixed upstream, gone in 2026.9)', () => {
  const fail = (stderr: string) => ({exitCode: 1, stdout: '', stderr, timedOut: false})
  it.each([
    ['2026.4.29', true],
    ['2026.5.5', true],
    ['2026.8.3', true],
    ['2026.9.0', false],
    ['2026.9.6', false],
    ['2027.1.0', false],
    [null, true],
    ['not a version', true],
  ])('%s: %s', (version, possible) => expect(knownSignaturesPossible(version)).toBe(possible))

  it('a 2026.9 ping with the same lines is classed by what they say, never as the signature', () => {
    const gated = classifyAttempt(fail(`${FALLBACK}\n${LOCKED}`), 'SPEED_OK', [47321], 'gateway', false)
    expect(gated.failure).toBe('lock-timeout')
    expect(classifyAttempt(fail(`${FALLBACK}\n${LOCKED}`), 'SPEED_OK', [47321], 'gateway', true).failure).toBe('fallback-reuses-locked-session')
  })

  it('property: on 2026.9+ no ping output is ever classed as a known signature', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom(FALLBACK, LOCKED, 'EmbeddedAttemptSessionTakeoverError: session file changed while embedded prompt lock was released', 'noise'),
          {maxLength: 8},
        ),
        (lines) => {
          const v = classifyAttempt(fail(lines.join('\n')), 'SPEED_OK', null, 'gateway', false)
          expect(['fallback-reuses-locked-session', 'session-takeover-race']).not.toContain(v.failure)
        },
      ),
    )
  })
})
