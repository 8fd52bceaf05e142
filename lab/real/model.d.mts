// Types for lab/real/model.mjs (loopback OpenAI-compatible model stub + openclaw.json for it).
import type {Server} from 'node:http'
export declare const DEFAULT_MODEL_PORT: 18555
export declare const DEFAULT_PROVIDER: 'vllm'
export declare const DEFAULT_MODEL: 'lab-echo'
export interface ChatMessage {role: string; content?: string | Array<{type?: string; text?: string} | string> | null}
export declare function messageText(message: ChatMessage | undefined): string
/** X for the newest "Reply exactly X" in the user messages, else `echo: <last user text>`. */
export declare function replyFor(messages?: ChatMessage[]): string
export interface ModelServer {
  server: Server
  port: number
  host: string
  /** http://<host>:<port>/v1 */
  url: string
  stats: {requests: number; chat: number; streamed: number; lastReply?: string}
  close(): Promise<void>
}
export declare function startModelServer(opts?: {port?: number; host?: string; models?: string[]; log?: (line: string) => void}): Promise<ModelServer>
export interface OpenclawConfigOptions {
  port?: number
  /** OpenClaw version: below 2026.5 the default plugins mode is 'minimal' */
  version?: string
  provider?: string
  model?: string
  gatewayPort?: number
  gatewayToken?: string
  contextWindow?: number
  maxTokens?: number
  reasoning?: boolean
  /** 'minimal': plugins.allow [provider] + slots.memory "none"; 'default': no plugins key */
  plugins?: 'minimal' | 'default'
  /** merged last, shallow per top-level key */
  extra?: Record<string, unknown>
}
export declare function openclawConfig(opts?: OpenclawConfigOptions): Record<string, any>
