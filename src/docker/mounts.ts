/** Which running containers see a host dir through their bind mounts (shared sessions dirs, wrong mounts). */
import {isWithin, realOrSelf} from '../util/paths.js'

export interface RunningMounts {
  name: string
  /** rw: false for a read-only bind mount (absent: writable). */
  mounts: {source: string; rw?: boolean}[]
}

/**
 * The containers (running or paused) whose bind mounts expose hostDir: `writable` (default) those that can
 * write there (create or hold a lock), `read-only` those that see it through read-only mounts only.
 */
export function mountedBy(hostDir: string, running: RunningMounts[], which: 'writable' | 'read-only' = 'writable'): string[] {
  const real = realOrSelf(hostDir)
  const exposing = (rc: RunningMounts) => rc.mounts.filter((m) => m.source && (isWithin(hostDir, m.source) || isWithin(real, realOrSelf(m.source))))
  return running
    .filter((rc) => {
      const ms = exposing(rc)
      const writable = ms.some((m) => m.rw !== false)
      return which === 'writable' ? writable : ms.length > 0 && !writable
    })
    .map((rc) => rc.name)
}
