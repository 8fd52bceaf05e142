#!/usr/bin/env node
// A tiny OpenAI-compatible model server for real OpenClaw gateways in offline lab containers.
// Plain Node, no dependencies: it is copied into the image next to the supervisor and listens on
// 127.0.0.1 inside the container (the container has no network).
//   node model.mjs [--port 18555] [--host 127.0.0.1] [--log FILE]
//   node model.mjs --print-config [--port 18555] [--openclaw-version 2026.4.29]   (prints openclaw.json)
//
// GET  /v1/models             {object:"list", data:[{id, object:"model", ...}]}
// POST /v1/chat/completions   streaming (SSE, a final usage chunk, then [DONE]) or plain JSON
// GET  /healthz               {ok:true, requests:N}
// The reply is X when the last user message says "Reply exactly X", else a short echo.
// Controls, read at every request (so a test can change them without a restart):
//   $OCREAL_MODEL_DIR/reply     reply with this text instead
//   $OCREAL_MODEL_DIR/delay-ms  wait N ms before answering
//   $OCREAL_MODEL_DIR/error     answer HTTP 500 with this text as the error message
// OCREAL_MODEL_DIR defaults to /tmp/ocreal-model (outside the bind-mounted state dir).
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const DEFAULT_MODEL_PORT = 18555
export const DEFAULT_PROVIDER = 'vllm'
export const DEFAULT_MODEL = 'lab-echo'

// ---- replies ------------------------------------------------------------------------------

/** The text of one chat message (string content or an array of parts). */
export function messageText(message) {
  const content = message?.content
  if (typeof content === 'string') return content
  if (Array.isArray(content)) return content.map((part) => (typeof part === 'string' ? part : part?.text ?? '')).join('')
  return ''
}

/**
 * What the model answers: X for the newest "Reply exactly X" in the user messages (newest message
 * first; 2026.9.x sends an internal-context user message after the real one), else an echo of the
 * last user message.
 */
export function replyFor(messages = []) {
  const users = messages.filter((m) => m?.role === 'user').map(messageText).reverse()
  for (const text of users) {
    const matches = [...text.matchAll(/reply\s+exactly[:\s]+["'`]?([^\s"'`]+)/gi)]
    if (matches.length) return matches.at(-1)[1].replace(/[.,;!?]+$/, '')
  }
  const words = (users[0] ?? '').replace(/\s+/g, ' ').trim()
  return words ? `echo: ${words.slice(-200)}` : 'echo: (empty)'
}

// ---- server ---------------------------------------------------------------------------------

const controlDir = () => process.env.OCREAL_MODEL_DIR || '/tmp/ocreal-model'
function control(name) {
  try {
    return fs.readFileSync(path.join(controlDir(), name), 'utf8').trim()
  } catch {
    return undefined
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const estimateTokens = (text) => Math.max(1, Math.ceil(String(text).length / 4))

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function sendJson(res, status, body) {
  const data = JSON.stringify(body)
  res.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(data)})
  res.end(data)
}

/**
 * Start the server. Returns {server, port, host, url, stats, close()}; stats counts requests
 * ({requests, chat, streamed, lastReply}). port 0 picks a free port.
 */
export function startModelServer({port = DEFAULT_MODEL_PORT, host = '127.0.0.1', models = [DEFAULT_MODEL], log = () => {}} = {}) {
  const stats = {requests: 0, chat: 0, streamed: 0, lastReply: undefined}
  const server = http.createServer(async (req, res) => {
    stats.requests++
    const url = new URL(req.url, 'http://x')
    const route = url.pathname.replace(/\/+$/, '').replace(/^\/v1(?=\/)/, '')
    try {
      if (req.method === 'GET' && (route === '/healthz' || route === '/health')) return sendJson(res, 200, {ok: true, ...stats})
      if (req.method === 'GET' && route === '/models') {
        const created = 1_700_000_000
        return sendJson(res, 200, {object: 'list', data: models.map((id) => ({id, object: 'model', created, owned_by: 'ocreal', max_model_len: 131072}))})
      }
      if (req.method === 'POST' && route === '/chat/completions') {
        const body = JSON.parse((await readBody(req)) || '{}')
        stats.chat++
        const delay = Number(control('delay-ms') ?? 0)
        if (delay > 0) await sleep(delay)
        const error = control('error')
        if (error) return sendJson(res, 500, {error: {message: error, type: 'server_error', code: 'ocreal_model_error'}})
        const reply = control('reply') ?? replyFor(body.messages)
        stats.lastReply = reply
        const model = body.model || models[0]
        const id = `chatcmpl-ocreal-${Date.now().toString(36)}-${stats.chat}`
        const created = Math.floor(Date.now() / 1000)
        const promptTokens = estimateTokens(JSON.stringify(body.messages ?? []))
        const usage = {prompt_tokens: promptTokens, completion_tokens: estimateTokens(reply), total_tokens: promptTokens + estimateTokens(reply)}
        log(`chat stream=${Boolean(body.stream)} model=${model} messages=${body.messages?.length ?? 0} tools=${body.tools?.length ?? 0} reply=${JSON.stringify(reply)}`)
        if (!body.stream) {
          return sendJson(res, 200, {
            id, object: 'chat.completion', created, model,
            choices: [{index: 0, message: {role: 'assistant', content: reply}, finish_reason: 'stop', logprobs: null}],
            usage,
          })
        }
        stats.streamed++
        res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive'})
        const chunk = (choices, extra = {}) => res.write(`data: ${JSON.stringify({id, object: 'chat.completion.chunk', created, model, choices, ...extra})}\n\n`)
        chunk([{index: 0, delta: {role: 'assistant', content: ''}, finish_reason: null}])
        chunk([{index: 0, delta: {content: reply}, finish_reason: null}])
        chunk([{index: 0, delta: {}, finish_reason: 'stop'}])
        chunk([], {usage}) // the final usage chunk (stream_options.include_usage), sent always
        res.end('data: [DONE]\n\n')
        return
      }
      sendJson(res, 404, {error: {message: `no route ${req.method} ${url.pathname}`, type: 'invalid_request_error'}})
    } catch (error) {
      sendJson(res, 400, {error: {message: String(error?.message ?? error), type: 'invalid_request_error'}})
    }
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      const actual = server.address().port
      log(`listening on http://${host}:${actual}/v1`)
      resolve({server, port: actual, host, url: `http://${host}:${actual}/v1`, stats, close: () => new Promise((r) => server.close(() => r()))})
    })
  })
}

// ---- OpenClaw config ------------------------------------------------------------------------

/** [major, minor, patch] of an OpenClaw version like 2026.4.29 (undefined parts are 0). */
const versionParts = (version) => String(version ?? '').split(/[.-]/).slice(0, 3).map((n) => Number(n) || 0)
const olderThan = (version, than) => {
  const a = versionParts(version)
  const b = versionParts(than)
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i]
  return false
}

/**
 * The `<state>/openclaw.json` content that points OpenClaw at this server. Checked against the
 * config schemas (zod, in dist/) of 2026.4.29, 2026.5.5 and 2026.9.6 (`openclaw config validate`).
 *
 * - provider `vllm` (default): a provider id the bundled vllm plugin owns, so provider look-ups load
 *   that one plugin instead of scanning every bundled provider plugin (a custom id does).
 * - the model is `reasoning: true`: 2026.9.x refuses `--thinking low` for a non-reasoning model
 *   ("Thinking level "low" is not supported for vllm/lab-echo. Use one of: off.").
 * - version older than 2026.5 (or plugins: 'minimal'): `plugins.allow: [provider]` and
 *   `plugins.slots.memory: "none"`. 2026.4.29 otherwise loads its default-on plugins (acpx, bonjour,
 *   browser, memory-core, ...) whose runtime deps are not in the package, and `openclaw agent
 *   --local` dies on their load errors (PluginLoadFailureError). plugins: 'default' keeps them.
 * - gateway: mode local, bind loopback, token auth with a fixed lab token (CLI clients on the same
 *   state dir read it from here).
 * - extra: merged last (shallow per top-level key), for a caller's own settings.
 */
export function openclawConfig({
  port = DEFAULT_MODEL_PORT,
  version,
  provider = DEFAULT_PROVIDER,
  model = DEFAULT_MODEL,
  gatewayPort = 18789,
  gatewayToken = 'ocreal-lab-token',
  contextWindow = 131072,
  maxTokens = 8192,
  reasoning = true,
  plugins = version && olderThan(version, '2026.5.0') ? 'minimal' : 'default',
  extra = {},
} = {}) {
  const config = {
    models: {
      mode: 'merge',
      providers: {
        [provider]: {
          baseUrl: `http://127.0.0.1:${port}/v1`,
          apiKey: 'ocreal-local-key',
          api: 'openai-completions',
          models: [
            {
              id: model,
              name: `ocreal ${model}`,
              reasoning,
              input: ['text'],
              contextWindow,
              maxTokens,
              cost: {input: 0, output: 0, cacheRead: 0, cacheWrite: 0},
            },
          ],
        },
      },
    },
    agents: {
      defaults: {
        model: {primary: `${provider}/${model}`},
      },
    },
    gateway: {
      mode: 'local',
      port: gatewayPort,
      bind: 'loopback',
      auth: {mode: 'token', token: gatewayToken},
    },
  }
  if (plugins === 'minimal') config.plugins = {allow: [provider], slots: {memory: 'none'}}
  for (const [key, value] of Object.entries(extra)) {
    config[key] = value && typeof value === 'object' && !Array.isArray(value) && config[key] ? {...config[key], ...value} : value
  }
  return config
}

// ---- CLI --------------------------------------------------------------------------------------

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`)
    return i > 0 ? process.argv[i + 1] : fallback
  }
  const logFile = arg('log', process.env.OCREAL_MODEL_LOG)
  const log = (line) => {
    const text = `${new Date().toISOString()} [ocreal-model] ${line}\n`
    if (logFile) fs.appendFileSync(logFile, text)
    else process.stdout.write(text)
  }
  if (process.argv.includes('--print-config')) {
    const version = arg('openclaw-version', process.env.OCREAL_OPENCLAW_VERSION) || undefined
    process.stdout.write(JSON.stringify(openclawConfig({port: Number(arg('port', process.env.OCREAL_MODEL_PORT ?? DEFAULT_MODEL_PORT)), version}), null, 2) + '\n')
  } else {
    process.title = 'ocreal-model'
    startModelServer({port: Number(arg('port', process.env.OCREAL_MODEL_PORT ?? DEFAULT_MODEL_PORT)), host: arg('host', '127.0.0.1'), log}).catch((error) => {
      console.error(`[ocreal-model] ${error.message}`)
      process.exit(1)
    })
    for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0))
  }
}
