// The --json contract holds for flag errors too: one documented error document on stdout, exit 2, nothing else.
import {describe, expect, it} from 'vitest'
import {fleet} from '../helpers/cli.js'

describe('flag errors', () => {
  it.each([
    [['status', '--json', '--bogus'], 'Nonexistent flag: --bogus'],
    [['heal', '--restart', 'nope', '--json'], 'Expected --restart=nope to be one of'],
    [['heal', '--restart', 'group', '--no-restart', '--json', '--config', '/nonexistent.yml'], '--restart group and --no-restart contradict each other'],
    [['ping', '--repeat', 'x', '--json'], 'Expected an integer'],
  ])('%j: the error document, exit 2', async (args, message) => {
    const r = await fleet(args)
    expect(r.exitCode).toBe(2)
    const doc = JSON.parse(r.stdout)
    expect(Object.keys(doc)).toEqual(['error'])
    expect(doc.error).toMatchObject({code: 'USAGE', exitCode: 2})
    expect(doc.error.message).toContain(message)
    expect(r.stdout.length).toBeLessThan(2000)
  })

  it('without --json: a short message on stderr, exit 2', async () => {
    const r = await fleet(['status', '--bogus'])
    expect(r.exitCode).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('Nonexistent flag: --bogus')
    expect(r.stderr.length).toBeLessThan(2000)
  })
})
