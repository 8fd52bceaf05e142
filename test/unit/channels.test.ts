import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {channelStartArgv, shouldStartChannels} from '../../src/openclaw/channels.js'
import {channelName} from '../../src/openclaw/readiness.js'

const tg = {channel: 'telegram', accountId: 'ops'}

describe("starting the channels OpenClaw's crash-loop breaker kept down", () => {
  it.each([
    ['channels down, ready, the ping answered', [tg], 'ready', true, true],
    ['channels down, ready, dry run (planned on the ping)', [tg], 'ready', 'pending', true],
    ['channels down, ready, the ping failed: the cause is not gone', [tg], 'ready', false, false],
    ['channels down, not ready', [tg], 'not-ready', true, false],
    ['channels down, readiness unknown', [tg], 'unknown', true, false],
    ['no channels down', [], 'ready', true, false],
  ] as const)('%s', (_what, down, readiness, ping, want) => {
    expect(shouldStartChannels({channelsDown: [...down], readiness: {state: readiness}}, ping)).toBe(want)
  })

  it('property: never without a ready gateway whose ping did not fail', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('ready', 'not-ready', 'unknown'),
        fc.constantFrom<boolean | 'pending'>(true, false, 'pending'),
        fc.boolean(),
        (state, ping, any) => {
          const yes = shouldStartChannels({channelsDown: any ? [tg] : [], readiness: {state}}, ping)
          if (yes) expect(state === 'ready' && ping !== false && any).toBe(true)
        },
      ),
    )
  })

  it("the call is the gateway's own hint, one channel account each, no shell", () => {
    expect(channelStartArgv(tg)).toEqual(['openclaw', 'gateway', 'call', 'channels.start', '--params', '{"channel":"telegram","accountId":"ops"}', '--json'])
    expect(channelStartArgv({channel: 'discord', accountId: null})).toEqual([
      'openclaw',
      'gateway',
      'call',
      'channels.start',
      '--params',
      '{"channel":"discord"}',
      '--json',
    ])
  })

  it("one name for a channel account, as OpenClaw's breaker line writes it (life's why and heal's action target)", () => {
    expect(channelName(tg)).toBe('telegram account ops')
    expect(channelName({channel: 'discord', accountId: null})).toBe('discord')
  })
})
