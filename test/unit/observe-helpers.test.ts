import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {demuxLogBuffer, lockTimeoutSignature} from '../../src/docker/logs.js'
import {classify} from '../../src/docker/probe.js'
import {chooseRenderer} from '../../src/progress.js'

describe('lock-timeout signature in logs', () => {
  it('counts the fixture lines (10000/60000 ms, pid=N and owner=unknown) with paths', () => {
    const text = readFileSync(new URL('../fixtures/gateway-log-lines.txt', import.meta.url), 'utf8')
    const sig = lockTimeoutSignature(text)
    expect(sig.count).toBe(6)
    expect(sig.timeoutsMs.sort()).toEqual([10000, 60000])
    expect(sig.pids.sort((a, b) => a - b)).toEqual([28, 4687, 6716, 47321])
    expect(sig.ownerUnknown).toBe(1)
    expect(sig.paths).toContain('/home/node/.openclaw/agents/main/sessions/9e051a52.jsonl.lock')
  })

  it('takes first and last from Docker timestamps', () => {
    const line = (ts: string) =>
      `${ts} SessionWriteLockTimeoutError: session file locked (timeout 10000ms): pid=7 /home/node/.openclaw/agents/main/sessions/a.jsonl.lock`
    const sig = lockTimeoutSignature([line('2026-11-23T10:00:00.000000000Z'), 'noise', line('2026-11-23T10:05:00.000000000Z')].join('\n'))
    expect(sig).toMatchObject({count: 2, first: '2026-11-23T10:00:00.000000000Z', last: '2026-11-23T10:05:00.000000000Z', pids: [7]})
  })

  it('demultiplexes Docker log frames', () => {
    const frame = (stream: number, text: string) => {
      const body = Buffer.from(text)
      const head = Buffer.alloc(8)
      head[0] = stream
      head.writeUInt32BE(body.length, 4)
      return Buffer.concat([head, body])
    }
    expect(demuxLogBuffer(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]))).toBe('out\nerr\n')
    expect(demuxLogBuffer(Buffer.from('plain tty text\n'))).toBe('plain tty text\n')
  })
})

describe('process classification', () => {
  const init = {pid: 1, exists: true, ppid: 0, cmdline: ['/sbin/docker-init', '--', 'node', 'dist/index.js', 'gateway']}
  it('with init: true the child of PID 1 is the gateway, exec-ed processes (PPID 0) are not', () => {
    expect(classify({pid: 7, exists: true, ppid: 1, cmdline: ['openclaw-gateway']}, init)).toMatchObject({isMain: true, isAgent: false})
    expect(classify({pid: 26, exists: true, ppid: 0, cmdline: ['openclaw-agent']}, init)).toMatchObject({isMain: false, isAgent: true})
    expect(classify({pid: 30, exists: true, ppid: 0, cmdline: ['node', '/app/openclaw.mjs', 'agent', '--local']}, init)).toMatchObject({isAgent: true})
    expect(classify({pid: 31, exists: true, ppid: 0, cmdline: ['sleep', 'agent']}, init)).toMatchObject({isAgent: false})
  })
  it('without init PID 1 is the gateway', () => {
    const gw = {pid: 1, exists: true, ppid: 0, cmdline: ['node', 'dist/index.js', 'gateway']}
    expect(classify(gw, gw)).toMatchObject({isMain: true})
  })
})

describe('renderer choice', () => {
  it('silent for --json, simple in CI or without a TTY, the tree on a TTY', () => {
    expect(chooseRenderer({json: true, env: {}, isTTY: true})).toBe('silent')
    expect(chooseRenderer({env: {CI: 'true'}, isTTY: true})).toBe('simple')
    expect(chooseRenderer({env: {TERM: 'dumb'}, isTTY: true})).toBe('simple')
    expect(chooseRenderer({env: {TERM: 'xterm-256color'}, isTTY: true})).toBe('default')
    expect(chooseRenderer({env: {}, isTTY: false})).toBe('simple')
    expect(chooseRenderer({env: {}, isTTY: true})).toBe('default')
  })
})

describe('a shared sessions dir has two sides', () => {
  it('the instance whose container mounts another instance dir is not ok either, and names it', async () => {
    const {withBothSidesShared} = await import('../../src/observe/observe.js')
    const base = {locks: [], errors: [], ok: true, sharedWith: [] as string[]}
    const a = {...base, id: 1, name: 'oc1', container: 'c1'} as any
    const b = {...base, id: 2, name: 'oc2', container: 'c2', sharedWith: ['c1'], ok: false} as any
    const c = {...base, id: 3, name: 'oc3', container: 'c3'} as any
    const [a2, b2, c2] = withBothSidesShared([a, b, c])
    expect(a2).toMatchObject({ok: false, sharedWith: ['c2']})
    expect(a2.errors[0]).toContain('oc2')
    expect(b2).toBe(b)
    expect(c2).toBe(c)
  })
})
