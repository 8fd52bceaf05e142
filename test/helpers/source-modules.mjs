// oclif imports a plugin's commands and hooks with Node's own import(), which cannot load the TypeScript sources.
// The in-process CLI of the unit tests (in-process.ts) points oclif here: this module hands over the src/ modules
// that the test run itself loaded, read when oclif asks (so each test file gets its own, never a cached set).
const loaded = () => {
  const modules = globalThis[Symbol.for('openclaw-fleet.source-modules')]
  if (!modules) throw new Error('source-modules.mjs: load the CLI through test/helpers/in-process.ts')
  return modules
}

/** The commands by id (oclif's explicit command strategy). */
export const COMMANDS = new Proxy(
  {},
  {
    get: (_, key) => loaded().commands[key],
    has: (_, key) => key in loaded().commands,
    ownKeys: () => Reflect.ownKeys(loaded().commands),
    getOwnPropertyDescriptor: (_, key) => Reflect.getOwnPropertyDescriptor(loaded().commands, key),
  },
)

/** package.json's command_not_found hook, from src/hooks/. */
export function command_not_found(opts) {
  return loaded().hooks.command_not_found.call(this, opts)
}
