/** Host path helpers for matching bind mounts against sessions dirs. */
import {realpathSync} from 'node:fs'
import path from 'node:path'

export function realOrSelf(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return path.resolve(p)
  }
}

/** True when `dir` is `root` or lies under it. */
export function isWithin(dir: string, root: string): boolean {
  const rel = path.relative(root, dir)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}
