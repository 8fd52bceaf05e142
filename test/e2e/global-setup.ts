// vitest globalSetup for the e2e suite: a Docker engine must answer (lab/engine.sh starts one
// when it can) and the lab image must exist (built offline, reused while its inputs are unchanged).
// No lab is brought up here: each e2e file brings up its own (own --root, own --first range).
import {execFile} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {buildImage} from '../../lab/image/build.mjs'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

function engine(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'bash',
      [path.join(REPO, 'lab', 'engine.sh')],
      {cwd: REPO, timeout: 600_000, env: {...process.env, CI: process.env.CI ?? 'true'}},
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`.trim()
        if (error) reject(new Error(`lab/engine.sh failed (exit ${error.code ?? error.signal}), so the e2e tests cannot run:\n${output}`))
        else resolve(output)
      },
    )
    child.stdin?.end() // no stdin: engine.sh must never prompt
  })
}

export default async function setup(): Promise<void> {
  console.log(await engine())
  const image = await buildImage()
  console.log(`[e2e] lab image ${image.image} ${image.built ? `built in ${image.ms} ms` : 'up to date'}`)
}
