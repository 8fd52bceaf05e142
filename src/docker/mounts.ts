/** Which running containers see a host dir through their bind mounts (shared sessions dirs, wrong mounts). */
import {isWithin, realOrSelf} from '../util/paths.js'

export interface RunningMounts {
  name: string
  mounts: {source: string}[]
}

export function mountedBy(hostDir: string, running: RunningMounts[]): string[] {
  const real = realOrSelf(hostDir)
  return running.filter((rc) => rc.mounts.some((m) => m.source && (isWithin(hostDir, m.source) || isWithin(real, realOrSelf(m.source))))).map((rc) => rc.name)
}
