// Runs INSIDE a real OpenClaw container (Node 24, the package at /app): lab/real/faults.mjs copies it to
// /tmp/ocreal-faults/fault-agent.mjs and runs `node fault-agent.mjs <command> '<json>'`. Every command
// uses OpenClaw's own functions, found by content in /app/dist (file names are hashed per build), and
// prints one JSON line. Commands:
//   find <name>                              the dist file exporting <name> under that name
//   hold-lock {sessionFile}                  acquireSessionWriteLock (up to 2026.7) and hold it forever
//   judge-locks {sessionsDir}                cleanStaleLockFiles({sessionsDir, removeStale: false})
//   sqlite-hold {db}                         open the db (openNodeSqliteDatabase) and sit inside BEGIN IMMEDIATE
//   sqlite-probe {db}                        a second connection, busy_timeout 0, BEGIN IMMEDIATE: BUSY or not
//   gateway-owner {}                         readActiveGatewayLockIdentity + resolveGatewayOwnerStatus per lock file
//   turn-parent {child: [...args]}           (via --import) the exec'd `openclaw agent ...` parent: spawns the
//                                            child titled openclaw-agent, relays its output and exit code
// A holder prints {ready: true, pid, ...} once it holds, then never exits on its own.
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

const DIST = process.env.OCREAL_DIST ?? '/app/dist'
const STATE = process.env.OPENCLAW_STATE_DIR ?? path.join(process.env.HOME ?? '/home/node', '.openclaw')
const FOREVER = 2_147_483_647
const say = (value) => process.stdout.write(`${JSON.stringify(value)}\n`)

/** A dist file that exports `name` under its own name (`export { ..., name, ... }`), preferring files named hint-*. */
function findExport(name, hint) {
  const files = fs.readdirSync(DIST).filter((f) => /\.m?js$/.test(f))
  const re = new RegExp(`export \\{[^}]*(?:^|[\\s,{])${name}(?:[\\s,}])`)
  const ordered = [...files.filter((f) => hint && f.startsWith(hint)), ...files.filter((f) => !hint || !f.startsWith(hint))]
  for (const f of ordered) {
    const file = path.join(DIST, f)
    const text = fs.readFileSync(file, 'utf8')
    const m = text.match(/export \{[^}]*\}\s*;?\s*$/)
    if (m && re.test(m[0]) && !new RegExp(`as ${name}[\\s,}]`).test(m[0]) && !new RegExp(`${name} as `).test(m[0])) return file
  }
  throw new Error(`no file in ${DIST} exports ${name}`)
}

async function openclaw(name, hint) {
  const file = findExport(name, hint)
  const mod = await import(pathToFileURL(file).href)
  return {fn: mod[name], file}
}

/** Keep the process (and what it holds: a DatabaseSync must stay referenced, or GC closes it) alive. */
const held = []
const holdForever = (...things) => {
  held.push(...things)
  setInterval(() => held.length, FOREVER)
}

/** /proc/self/stat field 22. */
const starttime = (pid = process.pid) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
}

async function openDb(db) {
  try {
    const {fn, file} = await openclaw('openNodeSqliteDatabase', 'node-sqlite-')
    return {database: fn(db), opener: `openNodeSqliteDatabase (${path.basename(file)})`}
  } catch (error) {
    if (!/no file .* exports/.test(error.message)) throw error
    const {DatabaseSync} = await import('node:sqlite')
    return {database: new DatabaseSync(db), opener: 'node:sqlite DatabaseSync'}
  }
}

const commands = {
  async find({name, hint}) {
    say({name, file: findExport(name, hint)})
  },

  async 'hold-lock'({sessionFile, timeoutMs = 60_000}) {
    process.title = 'openclaw-agent'
    const {fn, file} = await openclaw('acquireSessionWriteLock', 'session-write-lock-')
    // maxHoldMs: OpenClaw's watchdog would release after 5 min; a stuck holder is what the fault is.
    await fn({sessionFile, timeoutMs, maxHoldMs: FOREVER})
    holdForever()
    say({ready: true, pid: process.pid, starttime: starttime(), lockPath: `${sessionFile}.lock`, via: `acquireSessionWriteLock (${path.basename(file)})`})
  },

  async 'judge-locks'({sessionsDir}) {
    const {fn, file} = await openclaw('cleanStaleLockFiles', 'session-write-lock-')
    const result = await fn({sessionsDir, removeStale: false})
    say({via: `cleanStaleLockFiles({removeStale: false}) (${path.basename(file)})`, pid: process.pid, ...result})
  },

  async 'sqlite-hold'({db}) {
    process.title = 'openclaw-agent'
    const {database, opener} = await openDb(db)
    database.exec('PRAGMA busy_timeout = 5000')
    database.exec('BEGIN IMMEDIATE')
    holdForever(database)
    say({ready: true, pid: process.pid, starttime: starttime(), db, opener, journalMode: database.prepare('PRAGMA journal_mode').get().journal_mode})
  },

  async 'sqlite-probe'({db}) {
    const {database, opener} = await openDb(db)
    database.exec('PRAGMA busy_timeout = 0')
    const t0 = Date.now()
    try {
      database.exec('BEGIN IMMEDIATE')
      database.exec('ROLLBACK')
      say({db, opener, busy: false, ms: Date.now() - t0})
    } catch (error) {
      say({db, opener, busy: /SQLITE_BUSY|database is locked/i.test(`${error.message} ${error.errstr ?? ''}`), ms: Date.now() - t0, code: error.code, errcode: error.errcode, errstr: error.errstr, message: error.message})
    } finally {
      database.close()
    }
  },

  async 'gateway-owner'() {
    const {fn: readActiveGatewayLockIdentity, file} = await openclaw('readActiveGatewayLockIdentity', 'gateway-lock-')
    const mod = await import(pathToFileURL(file).href)
    const {configLockPath, stateLockPath} = mod.resolveGatewayLockPaths(process.env)
    const locks = []
    for (const lockPath of [stateLockPath, configLockPath]) {
      const payload = await mod.readLockPayload(lockPath)
      locks.push({lockPath, payload, ownerStatus: payload ? await mod.resolveGatewayOwnerStatus(payload.pid, payload, process.platform) : null})
    }
    say({via: `readActiveGatewayLockIdentity + resolveGatewayOwnerStatus (${path.basename(file)})`, pid: process.pid, stateDir: STATE, active: (await readActiveGatewayLockIdentity()) ?? null, locks})
  },
}

/**
 * The parent of a two-process fake turn: loaded with `node --import <this> /app/openclaw.mjs agent ... --timeout N`,
 * so its argv is a real `openclaw agent` command line (PPID 0 under docker exec) while /app/openclaw.mjs never runs.
 * The child (this file, `command`) titles itself openclaw-agent. Output and exit code are relayed; SIGINT/SIGTERM
 * are passed on; nothing ends when the docker exec client dies.
 */
async function turnParent() {
  const [command, spec] = JSON.parse(process.env.OCREAL_FAULT_CHILD)
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, command, spec], {stdio: 'inherit', env: {...process.env, OCREAL_FAULT_CHILD: ''}})
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  await new Promise(() => child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 9 : 1))))
}

if (process.env.OCREAL_FAULT_CHILD) await turnParent()
else if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  const [command, spec = '{}'] = process.argv.slice(2)
  if (!commands[command]) {
    console.error(`usage: node fault-agent.mjs <${Object.keys(commands).join('|')}> '<json>'`)
    process.exit(2)
  }
  try {
    await commands[command](JSON.parse(spec))
  } catch (error) {
    say({error: `${error.name}: ${error.message}`, code: error.code})
    process.exit(1)
  }
}
