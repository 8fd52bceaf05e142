/**
 * Fallback models whose context window is below the agent's minimum (OpenClaw refuses them at run time:
 * "Model context window too small (8192 tokens; source=modelsConfig). Minimum is 16000."), read from
 * openclaw.json: agents.defaults.model / agents.list[].model ({primary, fallbacks}) resolved against
 * models.providers.<provider>.models[{id, contextWindow}].
 */
export const MIN_CONTEXT_TOKENS = 16_000

export interface SmallModel {
  agent: string
  model: string
  role: 'primary' | 'fallback'
  contextWindow: number
}

type Json = Record<string, unknown>
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {})
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

function modelRefs(model: unknown): {ref: string; role: SmallModel['role']}[] {
  if (typeof model === 'string') return [{ref: model, role: 'primary'}]
  const m = obj(model)
  return [
    ...(typeof m.primary === 'string' ? [{ref: m.primary, role: 'primary' as const}] : []),
    ...arr(m.fallbacks)
      .filter((f): f is string => typeof f === 'string')
      .map((ref) => ({ref, role: 'fallback' as const})),
  ]
}

export function contextWindowOf(config: unknown, ref: string): number | null {
  const slash = ref.indexOf('/')
  if (slash <= 0) return null
  const provider = ref.slice(0, slash)
  const id = ref.slice(slash + 1)
  const providers = obj(obj(obj(config).models).providers)
  const models = arr(obj(providers[provider]).models)
  const found = models.map(obj).find((m) => m.id === id || m.name === id)
  const cw = found?.contextWindow ?? found?.contextTokens
  return typeof cw === 'number' && Number.isFinite(cw) ? cw : null
}

export function smallContextModels(config: unknown, min = MIN_CONTEXT_TOKENS): SmallModel[] {
  const agents = obj(obj(config).agents)
  const entries: {agent: string; model: unknown}[] = [{agent: 'defaults', model: obj(agents.defaults).model}]
  for (const a of arr(agents.list).map(obj)) entries.push({agent: typeof a.id === 'string' ? a.id : '?', model: a.model})
  const out: SmallModel[] = []
  for (const {agent, model} of entries) {
    for (const {ref, role} of modelRefs(model)) {
      const cw = contextWindowOf(config, ref)
      if (cw !== null && cw < min) out.push({agent, model: ref, role, contextWindow: cw})
    }
  }
  return out
}
