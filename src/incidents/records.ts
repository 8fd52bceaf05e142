/** Records of the incident log that decisions build (pure): what heal and watch write about a lock before touching it. */
import type {LockReport} from '../observe/status-model.js'

/** The `lock` record: a lock as judged (path, verbatim content, mtime, verdict, reasons, evidence), written before anything touches it. */
export function lockRecord(instance: string, l: LockReport): Record<string, unknown> {
  return {instance, path: l.path, kind: l.kind, content: l.raw, mtime: l.mtime, size: l.size, verdict: l.verdict, reasons: l.reasons, evidence: l.evidence}
}
