/**
 * Does the container really keep its state in the configured dataDir? fleet reads locks, judges them and removes them
 * in that dir: when the container mounts another dir at its state dir (a name template that matched other
 * containers, a compose file changed without the fleet config), or mounts nothing there, or the configured dir does
 * not exist, every verdict would be about the wrong files. Such an instance is not ok, and heal does not act on it.
 * Pure: the paths are compared as given (the caller resolves symlinks where the dirs are on this disk).
 */
export type MountProblem = 'not-mounted' | 'other-dir' | 'missing-dir'

export interface StateMount {
  ok: boolean
  problem: MountProblem | null
  /** The configured dataDir (host side). */
  configured: string
  /** What the container mounts at its state dir (host side), null when nothing. */
  mounted: string | null
  readOnly: boolean
  why: string
}

export interface MountFacts {
  container: string
  /** The container's state dir (config `stateDir`). */
  stateDir: string
  /** The configured dataDir, and its resolved form (realpath on this disk; the same string elsewhere). */
  configured: string
  configuredReal: string
  /** Whether the configured dir exists: null when it cannot be known from here (a remote host). */
  configuredExists: boolean | null
  /** The container's mount at its state dir: its source as given and resolved; null when it mounts nothing there. */
  mount: {source: string; sourceReal: string; rw: boolean} | null
}

export function stateMount(f: MountFacts): StateMount {
  const base = {configured: f.configured, mounted: f.mount?.source ?? null, readOnly: f.mount ? !f.mount.rw : false}
  if (!f.mount)
    return {
      ...base,
      ok: false,
      problem: 'not-mounted',
      why: `${f.container} mounts nothing at ${f.stateDir}: its state is inside the container (lost with it), not in the configured dataDir ${f.configured}; fleet does not act on it`,
    }
  if (f.mount.sourceReal !== f.configuredReal)
    return {
      ...base,
      ok: false,
      problem: 'other-dir',
      why: `${f.container} mounts ${f.mount.source} at ${f.stateDir}, but the config says dataDir ${f.configured}: its locks are not where fleet looks; fleet does not act on it (fix dataDir in the fleet config or the volume in the compose file)`,
    }
  if (f.configuredExists === false)
    return {
      ...base,
      ok: false,
      problem: 'missing-dir',
      why: `the configured dataDir ${f.configured} does not exist on this host: fleet cannot see the locks of ${f.container}`,
    }
  return {...base, ok: true, problem: null, why: `${f.container} mounts ${f.mount.source} at ${f.stateDir}${f.mount.rw ? '' : ' (read-only)'}`}
}
