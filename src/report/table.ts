/** Plain-text tables for terminals and logs (no colours, no dependencies). */
import {printable} from '../util/escape.js'

/**
 * Every header and cell goes through printable(): a cell holds one line, so a value from disk, a container or
 * the engine (a lock file named `a\nOC99 running ok.jsonl.lock`, a cmdline with ESC) can neither add a row nor
 * act on the terminal. A row that continues the one above is a row of its own (e.g. doctor's `fix:` line).
 */
export function table(headers: string[], rows: (string | number | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined ? '' : printable(String(c)))))
  const heads = headers.map(printable)
  const widths = heads.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)))
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  return [line(heads), ...cells.map(line)].join('\n')
}
