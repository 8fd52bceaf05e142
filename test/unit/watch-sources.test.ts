import fc from 'fast-check'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import type {Instance} from '../../src/config/model.js'
import {eventTargets, execMatters, followLockDirs, splitEvents} from '../../src/watch/sources.js'

const INSTANCES = [
  {id: 7, container: 'openclaw-openclaw-gateway-7-1', service: 'openclaw-gateway-7'},
  {id: 8, container: 'openclaw-openclaw-gateway-8-1', service: 'openclaw-gateway-8'},
]
// Shapes of Docker 20.10's /events (container events carry the name and the compose labels in Actor.Attributes).
const ev = (action: string, attrs: Record<string, string>, type = 'container') => ({Type: type, Action: action, Actor: {ID: 'abc', Attributes: attrs}})

describe('engine events', () => {
  // [case, event, instances named]
  const TABLE: [string, object, number[]][] = [
    ['exec_die by container name', ev('exec_die', {name: 'openclaw-openclaw-gateway-7-1', execID: 'x', exitCode: '137'}), [7]],
    ['die by compose service (renamed container)', ev('die', {name: 'other-name', 'com.docker.compose.service': 'openclaw-gateway-8'}), [8]],
    ['health_status: healthy', ev('health_status: healthy', {name: 'openclaw-openclaw-gateway-8-1'}), [8]],
    ['pause', ev('pause', {name: 'openclaw-openclaw-gateway-7-1'}), [7]],
    ['exec_start changes nothing', ev('exec_start: openclaw agent', {name: 'openclaw-openclaw-gateway-7-1'}), []],
    ['attach changes nothing', ev('attach', {name: 'openclaw-openclaw-gateway-7-1'}), []],
    ['another container', ev('die', {name: 'postgres-1'}), []],
    ['a network event', ev('connect', {name: 'openclaw-openclaw-gateway-7-1'}, 'network'), []],
    ['old API shape (status, no Type)', {status: 'die', id: 'abc', Actor: {Attributes: {name: 'openclaw-openclaw-gateway-7-1'}}}, [7]],
  ]
  it.each(TABLE)('%s', (_n, e, ids) => expect(eventTargets(e, INSTANCES)).toEqual(ids))

  it('splits a stream into whole events, keeping the partial tail', () => {
    const a = JSON.stringify(ev('die', {name: 'x'}))
    const {events, rest} = splitEvents(`${a}\n${a}\n{"Type":"cont`)
    expect(events).toHaveLength(2)
    expect(rest).toBe('{"Type":"cont')
    expect(splitEvents(`garbage\n${a}\n`).events).toHaveLength(1)
  })

  it('property: however the stream is cut into chunks, the same events come out', () => {
    const lines = [ev('die', {name: 'a'}), ev('start', {name: 'b'}), ev('exec_die', {name: 'c'})].map((e) => JSON.stringify(e)).join('\n') + '\n'
    fc.assert(
      fc.property(fc.array(fc.nat(lines.length), {maxLength: 6}), (cuts) => {
        const points = [...new Set(cuts)].sort((x, y) => x - y)
        let buffer = ''
        const out: unknown[] = []
        let last = 0
        for (const p of [...points, lines.length]) {
          const r = splitEvents(buffer + lines.slice(last, p))
          buffer = r.rest
          out.push(...r.events)
          last = p
        }
        return out.length === 3 && buffer === ''
      }),
    )
  })
})

describe('which exec ends matter', () => {
  const started = new Map([
    ['turn', 'openclaw agent --local --agent main --message hi --json'],
    ['sim', 'node /app/openclaw.mjs agent --message x'],
    ['health', '/bin/sh -c timeout 2 wget -q -O /dev/null http://127.0.0.1:18789/healthz'],
    ['probe', "node -e const fs = require('fs')"],
    ['fleet-ping', 'openclaw agent --agent main --message Reply exactly SPEED_OK'],
  ])
  const own = (id: string) => id === 'fleet-ping' || id === 'probe'
  // [case, exec id, matters]
  const TABLE: [string, string | undefined, boolean][] = [
    ['an exec turn ended (its lock may be stale now)', 'turn', true],
    ['an exec of the package entry point', 'sim', true],
    ["the image's healthcheck probe", 'health', false],
    ["fleet's own probe (reacting would loop)", 'probe', false],
    ["fleet's own ping", 'fleet-ping', false],
    ['an exec started before the watch (command unknown)', 'unknown', false],
    ['no exec id', undefined, false],
  ]
  it.each(TABLE)('%s', (_n, id, yes) => expect(execMatters(id, started, own)).toBe(yes))

  it('an exec_die only names its instance when it matters', () => {
    const e = ev('exec_die', {name: 'openclaw-openclaw-gateway-7-1', execID: 'health'})
    expect(eventTargets(e, INSTANCES, (id) => execMatters(id, started, own))).toEqual([])
    expect(
      eventTargets({...e, Actor: {Attributes: {name: 'openclaw-openclaw-gateway-7-1', execID: 'turn'}}}, INSTANCES, (id) => execMatters(id, started, own)),
    ).toEqual([7])
  })
})

describe('lock dir watching', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'fleet-watch-dirs-'))
  const sessions = path.join(root, 'agents', 'main', 'sessions')
  mkdirSync(sessions, {recursive: true})
  afterAll(() => rmSync(root, {recursive: true, force: true}))
  const inst = {
    id: 7,
    name: 'oc7',
    lockAccess: 'host',
    dataDir: root,
    stateDir: '/home/node/.openclaw',
    sessions: [{agent: 'main', hostDir: sessions, containerDir: '/home/node/.openclaw/agents/main/sessions'}],
  } as unknown as Instance
  const follow = async (act: () => Promise<void> | void, settleMs = 100) => {
    const seen: string[] = []
    const src = followLockDirs(
      [inst],
      (ids, source, detail) => seen.push(`${ids.join(',')} ${source} ${detail}`),
      (m) => seen.push(`error ${m}`),
      settleMs,
    )
    try {
      await act()
      await new Promise((r) => setTimeout(r, settleMs * 4))
    } finally {
      src.stop()
    }
    return seen
  }

  it('names the instance once for a lock that appears and stays (a burst of writes is one trigger)', async () => {
    const seen = await follow(() => {
      writeFileSync(path.join(sessions, 'a.jsonl.lock'), '{')
      writeFileSync(path.join(sessions, 'a.jsonl.lock'), '{"pid": 7}')
    })
    expect(seen).toEqual([`7 file a.jsonl.lock in ${sessions}`])
    rmSync(path.join(sessions, 'a.jsonl.lock'))
  })

  it('says nothing for a lock that comes and goes within the settle time (a turn that finished), nor for transcripts', async () => {
    const seen = await follow(async () => {
      writeFileSync(path.join(sessions, 'b.jsonl.lock'), '{"pid": 7}')
      await new Promise((r) => setTimeout(r, 20))
      rmSync(path.join(sessions, 'b.jsonl.lock'))
      writeFileSync(path.join(sessions, 'b.jsonl'), '{"type":"session"}\n')
    })
    expect(seen).toEqual([])
  })
})
