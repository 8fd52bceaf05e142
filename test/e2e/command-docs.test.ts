// The generated docs/commands.md against the oclif manifest `npm run build` writes: the generator reads the command
// classes the way oclif caches them, so both sources give the same page (test/unit/command-docs.test.ts checks the
// page against the sources without a build). No Docker, no lab: well under a second after the build.
import path from 'node:path'
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {DOC_FILE, expectedCommandDocs, REPO} from '../../scripts/gen-command-docs.js'

describe('docs/commands.md and the built oclif manifest', () => {
  it('renders the same page from oclif.manifest.json as from the sources', async () => {
    expect(readFileSync(DOC_FILE, 'utf8')).toBe(await expectedCommandDocs({manifest: path.join(REPO, 'oclif.manifest.json')}))
  })
})
