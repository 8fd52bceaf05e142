// fleet upgrade across the storage change on REAL OpenClaw (issue 27: "2026.4.29 -> 2026.9.6 (JSONL sessions to
// SQLite): the sessions the users had are there after the upgrade"). One compose lab instance (ID 861) on 2026.4.29 with
// a user session written the way 4.29 writes it (test/fixtures/openclaw-2026.4.29-session: the files of a real 4.29
// turn; a real 4.29 first turn costs ~4 min here). `fleet upgrade` to 2026.9.6: the plan names the storage change, the
// drain reads the session locks (4.29 turns are exec'd processes), the JSONL state is copied before the switch, the new
// gateway migrates it (at its start, or after doctor --fix when it refuses), the gate pings; then the user's session
// answers a real turn on 2026.9.6. Times go to the test output.
import {copyFileSync, existsSync, mkdirSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as lab from '../../lab/compose.mjs'
import {buildRealImage} from '../../lab/real/build.mjs'
import {fleetIn, realLabUp, realTurn, type Lab} from './helpers.js'

const FROM = '2026.4.29'
const TO = '2026.9.6'
const ID = 861
const MIN = 60_000
const SESSION = 'upg-1'
const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'openclaw-2026.4.29-session')
const container = lab.containerName(ID) as string
const times: Record<string, number> = {}
let root = ''
let l: Lab
let target = ''

beforeAll(async () => {
  const t0 = Date.now()
  target = (await buildRealImage(TO)).latest as string
  l = await realLabUp('fleet-real-jsonl-upgrade', ID, FROM, {onRoot: (r) => (root = r)})
  times.up = Date.now() - t0
  const stateDir = lab.instanceOf(lab.loadLab(root), ID).stateDir as string
  const sessions = path.join(stateDir, 'agents', 'main', 'sessions')
  mkdirSync(sessions, {recursive: true})
  for (const f of readdirSync(FIXTURE).filter((x) => x !== 'README.md')) copyFileSync(path.join(FIXTURE, f), path.join(sessions, f))
  await lab.ownForContainer([path.join(stateDir, 'agents')])
}, 30 * MIN)

afterAll(async () => {
  console.log(`[real-openclaw-jsonl-upgrade] times (ms): ${JSON.stringify(times)}`)
  if (root && existsSync(path.join(root, 'lab.json'))) await lab.down({root})
}, 5 * MIN)

describe(`real OpenClaw ${FROM} -> ${TO} with fleet upgrade: JSONL sessions to SQLite`, () => {
  it(
    'plans the storage change, copies the JSONL state, the new gateway migrates it and answers; the user session answers on 2026.9.6',
    async () => {
      const u0 = Date.now()
      const r = await fleetIn(l, ['upgrade', '--image', target, '--yes', '--json'], {timeoutMs: 30 * MIN})
      times.upgrade = Date.now() - u0
      const doc = JSON.parse(r.stdout)
      const i = doc.instances[0]
      console.log(`[real-openclaw-jsonl-upgrade] steps: ${JSON.stringify(i.steps.map((s: any) => [s.step, s.outcome, s.durationMs, s.detail.slice(0, 200)]))}`)
      expect(r.exitCode, r.stdout.slice(-3000)).toBe(0)
      expect(i.outcome).toBe('upgraded')
      expect(i.from.version).toBe(FROM)
      expect(i.to.version).toBe(TO)
      expect(i.notes.join(' ')).toContain('storage changes')
      expect(['at-start', 'doctor-fix']).toContain(i.migration)
      expect(i.steps[0].detail).toContain('session lock')
      // The JSONL transcript as it was is in the backup.
      expect(existsSync(path.join(i.backup, 'agents', 'main', 'sessions', `${SESSION}.jsonl`))).toBe(true)
      const st = JSON.parse((await fleetIn(l, ['status', '--json', '-i', String(ID)])).stdout).instances[0]
      expect(st.openclaw.version).toBe(TO)
      expect(st.openclaw.storage).toBe('sqlite')
      expect(st.ok).toBe(true)

      const t0 = Date.now()
      const turn = await realTurn(container, TO, {sessionId: SESSION, message: 'Reply exactly JSONL_KEPT'}, {timeoutMs: 10 * MIN})
      times.userTurn = Date.now() - t0
      expect(turn.exitCode, `${turn.stdout}\n${turn.stderr}`).toBe(0)
      expect(turn.stdout).toContain('JSONL_KEPT')
    },
    40 * MIN,
  )
})
