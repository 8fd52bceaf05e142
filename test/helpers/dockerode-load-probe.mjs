// Run by test/unit/dockerode-load.test.ts in a fresh node (`node --import tsx <this> <src/docker/dockerode.ts>`):
// loads fleet's dockerode and prints, as one JSON line, what this process then has in its require cache.
import http from 'node:http'
import {createRequire} from 'node:module'
import process from 'node:process'

const src = process.argv[2]
const require = createRequire(src)
const loaded = (re) => Object.keys(require.cache).filter((k) => re.test(k))

const {default: Docker, deferred} = await import(src)
const seen = {
  deferred: deferred.map((f) => f.replace(/.*node_modules\//, '')),
  dockerType: typeof Docker,
  modem: new Docker({socketPath: '/nonexistent.sock'}).modem !== undefined,
  loadedAtLoad: loaded(/@grpc|protobufjs|\/ssh2\//),
}
const ssh = require(deferred[1])
const agent = ssh({host: '127.0.0.1', port: 1, username: 'nobody'})
seen.agentIsHttpAgent = agent instanceof http.Agent
seen.ssh2AfterFirstUse = loaded(/\/ssh2\//).length
seen.realModuleNowCached = require(deferred[1]) !== ssh
process.stdout.write(`${JSON.stringify(seen)}\n`)
