// Types for lab/real/build.mjs (offline images of the real OpenClaw npm package).
export declare const IMAGE_REPO: 'openclaw-real'
export declare const DEFAULT_NODE_VERSION: string
export declare const CONTAINER_STATE_DIR: '/home/node/.openclaw'
export declare const GATEWAY_PORT: 18789
export declare const MODEL_PORT: 18555
/** npm publish times of the proven versions (ISO). */
export declare const PUBLISHED: Record<string, string>
export interface RealBuildResult {
  /** openclaw-real:<version>-<12-hex content hash> */
  image: string
  /** openclaw-real:<version> (same image) */
  latest: string
  version: string
  hash: string
  /** false when an image with this hash already existed */
  built: boolean
  ms: number
  /** rootfs tar bytes streamed (0 when not built) */
  bytes: number
  /** rootfs entries (files, dirs, links) */
  entries: number
  install: {
    openclaw: {installed: boolean; ms: number; before: string}
    node: {installed: boolean; ms: number; version: string}
  }
}
export declare function buildRealImage(version: string, opts?: {force?: boolean; nodeVersion?: string; log?: (line: string) => void}): Promise<RealBuildResult>
/** $XDG_CACHE_HOME or ~/.cache, + /openclaw-fleet/real */
export declare function cacheRoot(): string
export declare function ensureNode(nodeVersion?: string, opts?: {log?: (line: string) => void}): Promise<{node: string; dir: string; installed: boolean; ms: number}>
export declare function ensureOpenclaw(version: string, opts: {node: string; log?: (line: string) => void}): Promise<{dir: string; packageDir: string; installed: boolean; ms: number; before: string}>
/** npm --before date used for a version: publish time + 1 day. */
export declare function beforeDate(version: string): Promise<string>
/** CMD args after /opt/ocreal/start.sh: gateway --allow-unconfigured --bind loopback --port 18789 */
export declare function gatewayArgs(version?: string): string[]
/** The docker import --change lines. */
export declare function imageChanges(version: string): string[]
export interface RootfsEntry {path: string; type: 'dir' | 'file' | 'symlink'; mode: number; uid: number; source?: string; data?: Buffer; target?: string; size?: number}
export declare function realRootfsEntries(opts: {version: string; node: string; installDir: string}): Promise<RootfsEntry[]>
export declare function hashEntries(entries: RootfsEntry[], opts?: {version?: string; cacheFile?: string}): {hash: string; reads: number}
/** a < b for OpenClaw versions like 2026.4.29 */
export declare function versionBefore(a: string, b: string): boolean
/** true for 2026.4.x: the image puts the offline pnpm on PATH */
export declare function needsFakePnpm(version: string): boolean
