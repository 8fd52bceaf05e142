/**
 * dockerode, loaded without the parts fleet rarely or never needs at load time: dockerode requires
 * `lib/session.js` (gRPC and protobuf, for BuildKit image builds: never used by fleet) and docker-modem requires
 * `lib/ssh.js` (ssh2: only for ssh:// hosts) at the top of their modules. Together they are about two thirds of
 * dockerode's load time and 10+ MB of heap in every fleet command.
 *
 * Both modules export one function. Before dockerode is loaded, each gets a stand-in in the require cache that
 * loads the real module on its first call and forwards to it. If a module is not where dockerode 5 keeps it,
 * nothing is replaced and dockerode loads as usual.
 */
import {existsSync} from 'node:fs'
import Module, {createRequire} from 'node:module'
import path from 'node:path'
import type DockerodeType from 'dockerode'

const require = createRequire(import.meta.url)

/** Replaces a CommonJS module that exports one function by a stand-in that loads it on first call. */
export function deferFunctionModule(file: string): boolean {
  if (require.cache[file]) return false
  let real: ((...args: unknown[]) => unknown) | undefined
  const load = () => {
    if (!real) {
      delete require.cache[file]
      real = require(file) as (...args: unknown[]) => unknown
    }
    return real
  }
  const standIn = new Module(file)
  standIn.filename = file
  standIn.loaded = true
  standIn.exports = function (this: unknown, ...args: unknown[]) {
    return load().apply(this, args)
  }
  require.cache[file] = standIn
  return true
}

/** A file next to a package's main module, if the package and the file are there. */
function besideMain(pkg: string, file: string, from?: string): string | null {
  try {
    const main = require.resolve(pkg, from ? {paths: [path.dirname(from)]} : undefined)
    const f = path.join(path.dirname(main), file)
    return existsSync(f) ? f : null
  } catch {
    return null
  }
}

const dockerodeSession = besideMain('dockerode', 'session.js')
const modemSsh = besideMain('docker-modem', 'ssh.js', dockerodeSession ?? undefined)
/** The files replaced by stand-ins (for tests). */
export const deferred = [dockerodeSession, modemSsh].filter((f): f is string => f !== null && deferFunctionModule(f))

const Docker = require('dockerode') as typeof DockerodeType
export default Docker
