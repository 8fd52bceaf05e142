// Bad input as the built CLI reports it (bin/run.js → dist/): the exit status, the message as oclif prints it on
// stderr (no stack), the JSON error document alone on stdout. What each command decides is tested in-process in
// test/unit (config.test.ts, json-errors.test.ts, suggest.test.ts); these are the same cases as the process shows them.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {fleet, json, REPO} from '../helpers/cli.js'
import {fleetInProcess} from '../helpers/in-process.js'

/** Every dir of this file under one root, removed at the end. */
const root = mkdtempSync(path.join(os.tmpdir(), 'fleet-cli-'))
const tmp = () => mkdtempSync(path.join(root, 'case-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))

/** oclif wraps a long message and starts each further line with ›: one line again. */
const unwrap = (stderr: string) => stderr.replace(/\s*\n\s*›\s*/g, ' ')

describe('a bad config', () => {
  it('exit 2 with a message naming what and where (malformed YAML)', async () => {
    const dir = tmp()
    const file = path.join(dir, 'fleet.config.yml')
    writeFileSync(file, 'instances: 7-11\ndataDir: [unclosed\n')
    const r = await fleet(['config', '--validate', '--config', file], {cwd: dir})
    expect(r.exitCode, r.stderr).toBe(2)
    expect(unwrap(r.stderr)).toMatch(/malformed YAML at line 3, column 1: Flow sequence/)
    expect(r.stderr).toContain(file)
  })

  it('a config module that throws: exit 2, the file and the message on stderr, no stack', async () => {
    const dir = tmp()
    const file = path.join(dir, 'fleet.config.mjs')
    writeFileSync(file, 'throw new Error("vault is sealed")\n')
    const r = await fleet(['config', '--config', file])
    expect(r.exitCode).toBe(2)
    expect(unwrap(r.stderr)).toContain(`${file}: loading the config module failed: vault is sealed`)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})

describe('fleet config --json', () => {
  it('the built CLI prints the document the command returns', async () => {
    const example = path.join(REPO, 'fleet.config.example.yml')
    const {result, error} = await fleetInProcess(['config', '--config', example, '--json'])
    expect(error).toBeUndefined()
    expect(json(await fleet(['config', '--config', example, '--json']))).toEqual(result)
  })
})

describe('flag errors', () => {
  it('["status","--json","--bogus"]: the error document, exit 2', async () => {
    const r = await fleet(['status', '--json', '--bogus'])
    expect(r.exitCode).toBe(2)
    const doc = JSON.parse(r.stdout)
    expect(Object.keys(doc)).toEqual(['error'])
    expect(doc.error).toMatchObject({code: 'USAGE', exitCode: 2})
    expect(doc.error.message).toContain('Nonexistent flag: --bogus')
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

describe('fleet <unknown command>', () => {
  it('exits 2 with a suggestion, and runs nothing', async () => {
    const r = await fleet(['heel', '--instances', '7-11'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('heel is not a fleet command; did you mean `fleet heal`?')
    expect(r.stdout).toBe('')
  })

  it('with --json: the error document on stdout, exit 2', async () => {
    const r = await fleet(['pign', '--json'])
    expect(r.exitCode).toBe(2)
    expect(JSON.parse(r.stdout)).toEqual({
      error: {code: 'USAGE', message: expect.stringContaining('did you mean `fleet ping`?'), hint: 'fleet ping', exitCode: 2},
    })
  })
})
