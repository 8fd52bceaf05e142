// vitest globalSetup for the cli project: its tests run the built CLI (bin/run.js → dist/), so dist/ is built here
// first when it is missing or older than what it is built from (npm test has just built it: then this is a check).
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, statSync} from 'node:fs'
import path from 'node:path'
import {REPO} from '../helpers/cli.js'

/** The newest modification time of the files under `dir` (0 when there are none). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0
  return Math.max(0, ...(readdirSync(dir, {recursive: true}) as string[]).map((f) => statSync(path.join(dir, f)).mtimeMs))
}

export default function setup(): void {
  // The build's last step writes the manifest: it is the build's time.
  const manifest = path.join(REPO, 'oclif.manifest.json')
  const built = existsSync(manifest) && existsSync(path.join(REPO, 'dist', 'commands')) ? statSync(manifest).mtimeMs : 0
  const inputs = Math.max(
    newest(path.join(REPO, 'src')),
    ...['package.json', 'tsconfig.json', 'tsconfig.build.json'].map((f) => statSync(path.join(REPO, f)).mtimeMs),
  )
  if (built >= inputs) return
  console.log(`[cli] dist/ is ${built ? 'older than src/' : 'missing'}: npm run build`)
  execFileSync('npm', ['run', 'build'], {cwd: REPO, stdio: 'inherit', timeout: 600_000})
}
