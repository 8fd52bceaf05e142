/** One doctor finding: pass, warn or fail, with a fix hint. */
import type {Instance} from '../config/model.js'

export type CheckStatus = 'pass' | 'warn' | 'fail'

export interface Check {
  check: string
  instance: string | null
  status: CheckStatus
  message: string
  hint: string | null
}

export const check = (name: string, instance: Pick<Instance, 'name'> | null, status: CheckStatus, message: string, hint: string | null = null): Check => ({
  check: name,
  instance: instance?.name ?? null,
  status,
  message,
  hint,
})
