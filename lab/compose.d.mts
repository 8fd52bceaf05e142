// Types for lab/compose.mjs (layout, bring-up, tear-down).
import type {RunOptions, RunResult} from './run.mjs'

export declare const REPO_DIR: string
/** Label on every lab container; its value is the lab root (absolute). */
export declare const LAB_LABEL: 'openclaw-fleet.lab'
/** Compose project of every lab (the project dir is <root>/openclaw). */
export declare const PROJECT: 'openclaw'
export declare const CONTAINER_STATE_DIR: '/home/node/.openclaw'

export interface LabGroup {name: string; ids: number[]; composeFile: string; envFile: string}
export interface ExtraMount {source: string; target: string}
/** <root>/lab.json */
export interface Lab {
  version: 1
  root: string
  first: number
  size: number
  ids: number[]
  image: string
  /** The real OpenClaw image of each version the lab runs, by version. */
  images: Record<string, string>
  /** What each instance runs, by id: `sim` or a version (versionOf). */
  versions: Record<number, string>
  healthInterval: string
  projectDir: string
  groups: LabGroup[]
  extraMounts: Record<string, ExtraMount[]>
}
export interface LabInstance {
  id: number
  /** openclaw-openclaw-gateway-<id>-1 */
  container: string
  /** openclaw-gateway-<id> */
  service: string
  group: LabGroup
  /** host: <root>/data/oc<id>/config */
  stateDir: string
  /** host: <stateDir>/agents/main/sessions (another instance's after fault e: the dir the container sees) */
  sessionsDir: string
  containerStateDir: string
  containerSessionsDir: string
}
export interface UpResult {
  root: string
  configFile: string
  image: string
  ids: number[]
  containers: string[]
  groups: string[]
  timings: {imageMs: number; layoutMs: number; composeMs: number; healthyMs: number; totalMs: number}
}
export interface ContainerState {name: string; status: string; health: string}

/** root, else $LAB_ROOT, else <repo>/.lab; absolute. */
export declare function labRoot(root?: string): string
export declare function containerName(id: number | string): string
export declare function serviceName(id: number | string): string
export declare function planLab(opts: {root?: string; first?: number; size?: number; image?: string}): Lab
export declare function instanceOf(lab: Lab, id: number | string): LabInstance
export declare function loadLab(root?: string): Lab
export declare function saveLab(lab: Lab): void
export declare function renderCompose(lab: Lab, group: LabGroup): string
export declare function renderEnv(lab: Lab, group: LabGroup): string
export declare function renderFleetConfig(lab: Lab): string
export declare function writeGroupFiles(lab: Lab, group: LabGroup): void
export declare function ownForContainer(paths: string[]): Promise<void>
export declare function seedInstance(lab: Lab, id: number): Promise<{sessionId: string; sessionsDir: string}>
export declare function composeGroup(lab: Lab, group: LabGroup, args: string[], opts?: RunOptions): Promise<RunResult>
/** compose up -d [services] for a group, retried (compose v1 trips over containers of other labs vanishing mid-listing). */
export declare function composeUp(lab: Lab, group: LabGroup, services?: string[], opts?: {attempts?: number}): Promise<RunResult>
export declare function inspectStates(names: string[]): Promise<ContainerState[]>
export declare function waitHealthy(names: string[], opts?: {timeoutMs?: number}): Promise<number>
/** Builds the image when needed (unless image is given), writes the layout, compose up -d per group, waits healthy. Throws when a lab exists at root or container names are taken. */
export declare function up(opts?: {
  root?: string
  first?: number
  size?: number
  image?: string
  /** 'sim' (default), a version (`2026.9.6`) or a comma list. */
  openclaw?: string
  /** Each state dir on its own size-limited tmpfs (root only), unmounted by down: for full or read-only state filesystems. */
  stateFs?: {sizeMiB?: number}
  log?: (line: string) => void
}): Promise<UpResult>
export declare function labContainers(root?: string): Promise<string[]>
export declare function down(opts?: {root?: string; log?: (line: string) => void}): Promise<{root: string; removedContainers: string[]; ms: number}>
/** root null: every lab. */
export declare function status(opts?: {root?: string | null}): Promise<ContainerState[]>
export declare function recreateInstance(lab: Lab, id: number): Promise<number>
