import fc from 'fast-check'
import {mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {envAssignment, findImageLocation, switchedText, variableOf, writeFileAtomic, type ImageLocation} from '../../src/upgrade/image-location.js'

const COMPOSE = `# the operators' compose file
services:
  openclaw-gateway-7:
    image: \${OPENCLAW_IMAGE}   # from the env file
    container_name: openclaw-openclaw-gateway-7-1
  openclaw-gateway-8:
    image: "\${OPENCLAW_IMAGE:-openclaw:local}"
  pinned:
    image: 'openclaw-real:2026.9.5'
  literal:
    image: openclaw-real:2026.9.5
  partial:
    image: openclaw:\${TAG}
  built:
    build: .
`
const ENV = `# env
OPENCLAW_IMAGE=openclaw:2026.9.5 # the image
export OTHER="x"
OPENCLAW_CONFIG_DIR_7=/srv/oc7
`
const files = (envText: string | null = ENV, composeText = COMPOSE) => ({
  composeFile: '/p/docker-compose.yml',
  composeText,
  envFile: envText === null ? null : '/p/.env',
  envText,
})

describe('variableOf', () => {
  const TABLE: [string, string | null][] = [
    ['${OPENCLAW_IMAGE}', 'OPENCLAW_IMAGE'],
    ['${OPENCLAW_IMAGE:-openclaw:local}', 'OPENCLAW_IMAGE'],
    ['${IMG-x}', 'IMG'],
    ['${IMG:?set it}', 'IMG'],
    ['$IMG', 'IMG'],
    ['openclaw:${TAG}', null],
    ['openclaw:2026.9.6', null],
    ['${A}${B}', null],
  ]
  it.each(TABLE)('%s -> %s', (v, want) => expect(variableOf(v)).toBe(want))
})

describe('findImageLocation', () => {
  it('a variable in the env file, with every service that reads it', () => {
    const r = findImageLocation(files(), 'openclaw-gateway-7')
    expect(r).toMatchObject({ok: true, location: {kind: 'env', variable: 'OPENCLAW_IMAGE', value: 'openclaw:2026.9.5', file: '/p/.env'}})
    expect(r.ok && r.location.services).toEqual(['openclaw-gateway-7', 'openclaw-gateway-8'])
  })
  it('a literal image: the compose file', () => {
    expect(findImageLocation(files(), 'literal')).toMatchObject({ok: true, location: {kind: 'compose', service: 'literal', value: 'openclaw-real:2026.9.5'}})
  })
  // [case, service, env text, process env, error contains]
  const REFUSALS: [string, string, string | null, Record<string, string>, string][] = [
    ['part of the value is a variable', 'partial', ENV, {}, 'not a part'],
    ['built, no image', 'built', ENV, {}, 'no image: value'],
    ['no such service', 'nope', ENV, {}, 'has no service nope'],
    ['no env file', 'openclaw-gateway-7', null, {}, 'no env file'],
    ['env file without the variable', 'openclaw-gateway-7', 'OTHER=1\n', {}, 'does not set OPENCLAW_IMAGE'],
    ["set in fleet's environment (compose prefers it)", 'openclaw-gateway-7', ENV, {OPENCLAW_IMAGE: 'x'}, "fleet's environment"],
  ]
  it.each(REFUSALS)('refused: %s', (_c, service, envText, env, error) => {
    const r = findImageLocation(files(envText), service, env)
    expect(r.ok).toBe(false)
    expect(!r.ok && r.error).toContain(error)
  })
  it('not YAML: refused', () => expect(findImageLocation(files(ENV, 'services: [\n'), 'x').ok).toBe(false))
})

describe('switchedText: only the value changes', () => {
  const loc = (service: string): ImageLocation => {
    const r = findImageLocation(files(), service)
    if (!r.ok) throw new Error(r.error)
    return r.location
  }
  it('env: the value, its comment kept', () => {
    const out = switchedText(ENV, loc('openclaw-gateway-7'), 'openclaw:2026.9.6')
    expect(out).toBe(ENV.replace('OPENCLAW_IMAGE=openclaw:2026.9.5', 'OPENCLAW_IMAGE=openclaw:2026.9.6'))
    expect(envAssignment(out, 'OPENCLAW_IMAGE')?.value).toBe('openclaw:2026.9.6')
  })
  it('env: quotes and export kept', () => {
    const text = 'export OPENCLAW_IMAGE="a:1"\n'
    const l: ImageLocation = {kind: 'env', file: '/p/.env', variable: 'OPENCLAW_IMAGE', value: 'a:1', composeFile: '', service: 's', services: ['s']}
    expect(switchedText(text, l, 'b:2')).toBe('export OPENCLAW_IMAGE="b:2"\n')
  })
  it('compose: plain and quoted scalars, nothing else moves', () => {
    expect(switchedText(COMPOSE, loc('literal'), 'openclaw-real:2026.9.6')).toBe(
      COMPOSE.replace('  literal:\n    image: openclaw-real:2026.9.5', '  literal:\n    image: openclaw-real:2026.9.6'),
    )
    expect(switchedText(COMPOSE, loc('pinned'), 'x:1')).toBe(COMPOSE.replace("image: 'openclaw-real:2026.9.5'", "image: 'x:1'"))
  })
  it('CRLF env files keep their line ends', () => {
    const text = 'A=1\r\nOPENCLAW_IMAGE=a:1\r\n'
    const l: ImageLocation = {kind: 'env', file: '', variable: 'OPENCLAW_IMAGE', value: 'a:1', composeFile: '', service: 's', services: ['s']}
    expect(switchedText(text, l, 'b:2')).toBe('A=1\r\nOPENCLAW_IMAGE=b:2\r\n')
  })
  it('refuses what is not an image reference', () => expect(() => switchedText(ENV, loc('openclaw-gateway-7'), 'a b')).toThrow(/not an image/))
  it('property: switching there and back gives the same bytes', () => {
    const ref = fc.stringMatching(/^[a-z][a-z0-9./-]{0,20}:[a-z0-9.-]{1,10}$/)
    fc.assert(
      fc.property(ref, fc.constantFrom('openclaw-gateway-7', 'literal', 'pinned'), (image, service) => {
        const l = loc(service)
        const file = l.kind === 'env' ? ENV : COMPOSE
        const there = switchedText(file, l, image)
        expect(switchedText(there, l, l.value)).toBe(file)
      }),
    )
  })
})

describe('writeFileAtomic', () => {
  it('replaces the content and keeps the mode', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-atomic-'))
    const f = path.join(dir, '.env')
    writeFileSync(f, 'A=1\n', {mode: 0o640})
    writeFileAtomic(f, 'A=2\n')
    expect(readFileSync(f, 'utf8')).toBe('A=2\n')
    expect(statSync(f).mode & 0o777).toBe(0o640)
  })
})
