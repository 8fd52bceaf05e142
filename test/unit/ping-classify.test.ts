import fc from 'fast-check'
import {XMLParser} from 'fast-xml-parser'
import {CURABLE_BY_RESTART} from '../../src/decide/restart.js'
import {describe, expect, it} from 'vitest'
import {classifyAttempt, percentile, replyTexts} from '../../src/decide/ping-class.js'
import {pingJunit} from '../../src/report/junit.js'
import type {PingResult} from '../../src/ping/ping.js'

const ok = (stdout: string, stderr = '') => ({exitCode: 0, stdout, stderr, timedOut: false})
const fail = (stderr: string, exitCode = 1) => ({exitCode, stdout: '', stderr, timedOut: false})

describe('ping classification', () => {
  it('passes on payloads[].text (--local) and result.payloads[].text (gateway)', () => {
    expect(classifyAttempt(ok('{"payloads":[{"text":"SPEED_OK","mediaUrl":null}],"meta":{}}'), 'SPEED_OK')).toMatchObject({
      ok: true,
      reply: 'SPEED_OK',
      fallback: false,
    })
    expect(classifyAttempt(ok('{"result":{"payloads":[{"text":" SPEED_OK\\n"}]}}'), 'SPEED_OK')).toMatchObject({ok: true, reply: 'SPEED_OK'})
  })

  it('a turn that fell back to embedded did not go through the gateway: not ok (gateway-bypassed), and it says why', () => {
    const r = classifyAttempt(ok('{"payloads":[{"text":"SPEED_OK"}],"meta":{"transport":"embedded","fallbackFrom":"gateway"}}'), 'SPEED_OK')
    expect(r).toMatchObject({ok: false, fallback: true, failure: 'gateway-bypassed', path: 'embedded', reply: 'SPEED_OK'})
    const s = classifyAttempt(
      ok('{"payloads":[{"text":"SPEED_OK"}]}', 'Gateway agent failed; falling back to embedded: Error: gateway timeout after 90000ms'),
      'SPEED_OK',
    )
    expect(s).toMatchObject({ok: false, fallback: true, failure: 'gateway-bypassed', path: 'embedded'})
    expect(s.detail).toContain('gateway timeout after 90000ms')
    // as real 2026.5.5 said it, the gateway closed under load
    const t = classifyAttempt(
      ok(
        '{"payloads":[{"text":"SPEED_OK"}]}',
        'EMBEDDED FALLBACK: Gateway agent failed; running embedded agent: GatewayTransportError: gateway closed (1006 abnormal closure (no close frame)): no close reason\nGateway target: ws://127.0.0.1:18789',
      ),
      'SPEED_OK',
    )
    expect(t).toMatchObject({ok: false, failure: 'gateway-bypassed', path: 'embedded'})
    expect(t.detail).toContain('GatewayTransportError: gateway closed (1006')
  })

  it('says which path a turn took: the gateway, or --local by setting (which passes: the operator asked for it)', () => {
    expect(classifyAttempt(ok('{"result":{"payloads":[{"text":"SPEED_OK"}]}}'), 'SPEED_OK')).toMatchObject({ok: true, path: 'gateway'})
    expect(classifyAttempt(ok('{"payloads":[{"text":"SPEED_OK"}],"meta":{}}'), 'SPEED_OK', null, 'local')).toMatchObject({ok: true, path: 'local'})
  })

  it('a timed-out turn keeps a line that says something: trace lines are noise', () => {
    const v = classifyAttempt(
      {exitCode: null, stdout: '', stderr: '[agent/embedded] [trace:embedded-run] startup stages: model=12ms tools=3ms', timedOut: true},
      'SPEED_OK',
    )
    expect(v.failure).toBe('timeout')
    expect(v.detail).not.toContain('trace:')
  })

  it.each([
    ['Error: database or disk is full', 'storage-full'],
    // Seen live on 2026.9.6 with a full state filesystem (the CLI's stderr after the gateway failed the turn).
    [
      '[openclaw] The CLI command failed.\n[openclaw] Reason: Error: database or disk is full: code=ERR_SQLITE_ERROR\n[openclaw] Try: openclaw doctor',
      'storage-full',
    ],
    ['SqliteError: attempt to write a readonly database', 'storage-readonly'],
    ['Error: disk I/O error', 'storage-io'],
  ])('storage error %s is its own class (%s), never curable by a restart', (stderr, cls) => {
    const v = classifyAttempt(fail(stderr), 'SPEED_OK')
    expect(v.failure).toBe(cls)
    expect(CURABLE_BY_RESTART.has(v.failure!)).toBe(false)
  })

  it('the real 2026.9.6 full-disk turn through the gateway (exit 1, the error JSON on stdout) is storage-full with the error as its detail', () => {
    const stdout = JSON.stringify({ok: false, error: {type: 'cli_error', message: 'Error: database or disk is full: code=ERR_SQLITE_ERROR'}}, null, 2)
    const stderr =
      '[openclaw] The CLI command failed.\n[openclaw] Reason: Error: database or disk is full: code=ERR_SQLITE_ERROR\n[openclaw] Debug: set OPENCLAW_DEBUG=1 to include the stack trace.\n[openclaw] Try: openclaw doctor\n[openclaw] Help: openclaw --help'
    expect(classifyAttempt({exitCode: 1, stdout, stderr, timedOut: false}, 'SPEED_OK')).toMatchObject({
      failure: 'storage-full',
      detail: 'Error: database or disk is full: code=ERR_SQLITE_ERROR',
    })
  })

  it('lock-timeout parses pid and path, also inside an all-models-failed summary', () => {
    const line =
      'FallbackSummaryError: All models failed (3): qiniu/deepseek-v3: session file locked (timeout 10000ms): pid=47321 /home/node/.openclaw/agents/main/sessions/9e051a52.jsonl.lock (timeout) | qiniu/kimi-k2: Request was aborted (timeout)'
    expect(classifyAttempt(fail(line), 'SPEED_OK')).toMatchObject({
      failure: 'lock-timeout',
      lockPid: 47321,
      lockTimeoutMs: 10000,
      lockPath: '/home/node/.openclaw/agents/main/sessions/9e051a52.jsonl.lock',
    })
    const unknown =
      'SessionWriteLockTimeoutError: session file locked (timeout 60000ms): owner=unknown /home/node/.openclaw/agents/main/sessions/5f2c.jsonl.lock'
    expect(classifyAttempt(fail(unknown), 'SPEED_OK')).toMatchObject({failure: 'lock-timeout', lockPid: null, lockTimeoutMs: 60000})
  })

  it('every fixture log line with a lock error classifies as lock-timeout', async () => {
    const {readFileSync} = await import('node:fs')
    const lines = readFileSync(new URL('../fixtures/gateway-log-lines.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => l.includes('session file locked'))
    expect(lines.length).toBeGreaterThanOrEqual(5)
    for (const l of lines) expect(classifyAttempt(fail(l), 'SPEED_OK').failure).toBe('lock-timeout')
  })

  it.each([
    [fail('FailoverError: No API key found for provider "openai"'), 'auth'],
    [fail('FallbackSummaryError: All models failed (2): vllm/lab: Request was aborted (timeout)'), 'model-error'],
    [fail('Error: database is locked: code=ERR_SQLITE_ERROR'), 'storage-locked'],
    [fail('StateDatabaseCoordinatorContentionError: another OpenClaw process owns state-lifecycle'), 'state-contention'],
    [fail('A Gateway is running for this state directory (pid 7, port 18789). Run without --local to use it, or stop the Gateway first'), 'exec-failed'],
    [
      fail(
        'PluginLoadFailureError: failed to load plugin "openai": Unable to resolve a safe npm executable\n    at loadPlugins (file:///app/dist/plugins-abc.js:12:3)\n    at async main (file:///app/dist/index.js:4:1)',
      ),
      'exec-failed',
    ],
    [fail('Error: gateway closed (1006): connect ECONNREFUSED 127.0.0.1:18789'), 'gateway-unavailable'],
    [fail('something odd happened'), 'exec-failed'],
    [fail('OCI runtime exec failed: exec failed: unable to start container process: exec: "openclaw": executable file not found in $PATH', 126), 'exec-failed'],
    [ok(''), 'no-reply'],
    [ok('{"payloads":[]}'), 'no-reply'],
    [ok('not json at all'), 'no-reply'],
    [ok('{"payloads":[{"text":"speed ok"}]}'), 'wrong-reply'],
    [{exitCode: null, stdout: '', stderr: '', timedOut: true}, 'timeout'],
  ])('%j is %s', (out, failure) => {
    expect(classifyAttempt(out, 'SPEED_OK')).toMatchObject({ok: false, failure})
  })

  it('the detail is the line that says what went wrong, never a stack frame', () => {
    const stderr =
      'PluginLoadFailureError: failed to load plugin "openai": Unable to resolve a safe npm executable\n    at loadPlugins (file:///app/dist/plugins-abc.js:12:3)\n    at async main (file:///app/dist/index.js:4:1)\n\nNode.js v24.11.0\n'
    expect(classifyAttempt(fail(stderr), 'SPEED_OK').detail).toBe(
      'PluginLoadFailureError: failed to load plugin "openai": Unable to resolve a safe npm executable',
    )
    const help = 'Error: A Gateway is running for this state directory (pid 7, port 18789).\n[openclaw] Help: openclaw --help\n'
    expect(classifyAttempt(fail(help), 'SPEED_OK').detail).toBe('Error: A Gateway is running for this state directory (pid 7, port 18789).')
  })

  it('a gateway failure document on stdout (2026.8+) gives its message as the detail', () => {
    const out = {
      exitCode: 1,
      stdout: '{"ok":false,"error":{"message":"Agent run failed: the Gateway state database was busy (SQLite: database is locked)"}}',
      stderr: 'Reason: database is locked\n',
      timedOut: false,
    }
    expect(classifyAttempt(out, 'SPEED_OK')).toMatchObject({
      failure: 'storage-locked',
      detail: 'Agent run failed: the Gateway state database was busy (SQLite: database is locked)',
    })
    expect(classifyAttempt({...out, exitCode: 0}, 'SPEED_OK')).toMatchObject({failure: 'storage-locked'})
  })

  it('long stderr keeps its head and its tail', async () => {
    const {clipOutput} = await import('../../src/decide/ping-class.js')
    const text = `CAUSE\n${'x'.repeat(20_000)}\nEND`
    const kept = clipOutput(text)
    expect(kept.startsWith('CAUSE')).toBe(true)
    expect(kept.endsWith('END')).toBe(true)
    expect(kept.length).toBeLessThan(9000)
  })

  it('property: exit 0 with the exact expected text (any whitespace around) always passes; any other text never does', () => {
    fc.assert(
      fc.property(
        fc.string({minLength: 1, maxLength: 30}).filter((s) => s.trim() === s && s.length > 0),
        fc.string({maxLength: 30}),
        (expected, other) => {
          expect(classifyAttempt(ok(JSON.stringify({payloads: [{text: `  ${expected}\n`}]})), expected).ok).toBe(true)
          if (other.trim() !== expected) expect(classifyAttempt(ok(JSON.stringify({payloads: [{text: other}]})), expected).ok).toBe(false)
        },
      ),
      {numRuns: 2000},
    )
  })

  it('property: a non-zero exit never passes', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: 255}), fc.string(), fc.string(), (code, stdout, stderr) => {
        expect(classifyAttempt({exitCode: code, stdout, stderr, timedOut: false}, 'SPEED_OK').ok).toBe(false)
      }),
    )
  })

  it('replyTexts ignores non-text payloads; percentile is nearest-rank', () => {
    expect(replyTexts({payloads: [{text: 'a'}, {mediaUrl: 'x'}, {text: 2}]})).toEqual(['a'])
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3)
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10)
    expect(percentile([], 50)).toBeNull()
  })
})

describe('JUnit report', () => {
  const result = (name: string, ok: boolean): PingResult => ({
    id: 1,
    name,
    container: `c-${name}`,
    ok,
    failure: ok ? null : 'lock-timeout',
    warnings: [],
    reply: ok ? 'SPEED_OK' : null,
    detail: ok ? null : 'session file locked (timeout 10000ms): pid=7 /x.jsonl.lock & <more>',
    lockPid: ok ? null : 7,
    lockPath: ok ? null : '/x.jsonl.lock',
    latencyMs: 1234,
    p50Ms: null,
    p95Ms: null,
    attempts: [],
    path: 'gateway',
  })

  it('has one testcase per instance and a failure for each failing one, escaped', () => {
    const xml = pingJunit([result('oc7', true), result('oc8', false), result('oc9', true)])
    const doc = new XMLParser({ignoreAttributes: false}).parse(xml)
    const suite = doc.testsuites.testsuite
    expect(suite['@_tests']).toBe('3')
    expect(suite['@_failures']).toBe('1')
    expect(suite.testcase).toHaveLength(3)
    const failed = suite.testcase.find((t: {failure?: unknown}) => t.failure)
    expect(failed['@_name']).toBe('oc8 (c-oc8)')
    expect(failed.failure['@_type']).toBe('lock-timeout')
    expect(failed.failure['#text']).toContain('& <more>')
  })
})

describe('ping session', () => {
  it("runs on fleet's own session by default, the main session only when asked", async () => {
    const {pingArgv} = await import('../../src/ping/ping.js')
    const {DEFAULT_PING_SESSION} = await import('../../src/config/model.js')
    const base = {
      command: ['openclaw', 'agent', '--local'],
      message: 'Reply exactly SPEED_OK',
      expect: 'SPEED_OK',
      agent: 'main',
      thinking: 'low',
      timeoutMs: 120_000,
      concurrency: 4,
    }
    expect(pingArgv({...base, session: 'own'})).toEqual([
      'openclaw',
      'agent',
      '--local',
      '--agent',
      'main',
      '--message',
      'Reply exactly SPEED_OK',
      '--thinking',
      'low',
      '--json',
      '--timeout',
      '120',
      '--session-id',
      DEFAULT_PING_SESSION,
    ])
    expect(pingArgv({...base, session: 'main'})).not.toContain('--session-id')
    expect(pingArgv({...base, session: 'main', sessionId: 'x1'}).slice(-2)).toEqual(['--session-id', 'x1'])
    expect(pingArgv({...base, session: 'own', sessionId: 'x2'}).slice(-2)).toEqual(['--session-id', 'x2'])
  })
})
