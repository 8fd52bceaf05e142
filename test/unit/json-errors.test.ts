// The --json contract holds for flag errors too: one documented error document on stdout, exit 2, nothing else.
// In-process through oclif; test/cli/json-errors.test.ts runs the built CLI (the exit status, the message on stderr).
import {describe, expect, it} from 'vitest'
import {fleetInProcess} from '../helpers/in-process.js'

describe('flag errors', () => {
  it.each([
    [['status', '--json', '--bogus'], 'Nonexistent flag: --bogus'],
    [['heal', '--restart', 'nope', '--json'], 'Expected --restart=nope to be one of'],
    [['heal', '--restart', 'group', '--no-restart', '--json', '--config', '/nonexistent.yml'], '--restart group and --no-restart contradict each other'],
    [['ping', '--repeat', 'x', '--json'], 'Expected an integer'],
  ])('%j: the error document, exit 2', async (args, message) => {
    const r = await fleetInProcess(args)
    expect(r.exitCode).toBe(2)
    const doc = JSON.parse(r.stdout)
    expect(Object.keys(doc)).toEqual(['error'])
    expect(doc.error).toMatchObject({code: 'USAGE', exitCode: 2})
    expect(doc.error.message).toContain(message)
    expect(r.stdout.length).toBeLessThan(2000)
  })

  it('without --json: a short message (the process prints it on stderr), exit 2, nothing on stdout', async () => {
    const r = await fleetInProcess(['status', '--bogus'])
    expect(r.exitCode).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.error?.message).toContain('Nonexistent flag: --bogus')
    expect(r.error?.message.length).toBeLessThan(2000)
  })
})
