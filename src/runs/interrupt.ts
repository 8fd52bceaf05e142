/** A signal during a run that changes things (heal, upgrade): finish the step in flight, start nothing new. */
import {rmSync} from 'node:fs'
import os from 'node:os'
import type {IncidentLog} from '../incidents/log.js'

/** The exit code of a process ended by a signal, as shells report it: 128 + its number (SIGINT 130, SIGTERM 143). */
export function signalExitCode(signal: string): number {
  return 128 + ((os.constants.signals as Record<string, number>)[signal] ?? 0)
}

/**
 * SIGINT/SIGTERM during a run that changes things (heal, upgrade). The first aborts `signal`: the step in flight finishes (a lock removal, a holder's
 * end, a restart), nothing new starts, and run-end says `interrupted`. A second exits at once (its 128+n), after a
 * last record in the incident log and letting go of the run locks.
 */
export class RunInterrupt {
  private readonly controller = new AbortController()
  readonly signal: AbortSignal = this.controller.signal
  /** The run's incident log, once the run made it. */
  log: IncidentLog | null = null
  /** Run lock files this process holds, removed on a forced exit. */
  lockPaths: readonly string[] = []
  private readonly handler = (sig: NodeJS.Signals) => this.receive(sig)

  constructor(
    private readonly io: {say: (line: string) => void; exit: (code: number) => void} = {
      say: (l) => process.stderr.write(`${l}\n`),
      exit: (code) => process.exit(code),
    },
  ) {}

  /** The signal that interrupted the run, or null. */
  get reason(): string | null {
    return this.signal.aborted ? String(this.signal.reason) : null
  }

  install(): this {
    process.on('SIGINT', this.handler)
    process.on('SIGTERM', this.handler)
    return this
  }

  dispose(): void {
    process.off('SIGINT', this.handler)
    process.off('SIGTERM', this.handler)
  }

  receive(sig: string): void {
    if (!this.signal.aborted) {
      this.controller.abort(sig)
      this.log?.write('signal', {signal: sig, note: 'finishing the step in flight, starting nothing new'})
      this.io.say(`${sig}: finishing the step in flight and starting nothing new (${sig === 'SIGINT' ? 'Ctrl-C' : 'signal'} again to exit at once)`)
      return
    }
    this.log?.write('run-end', {
      interrupted: this.reason,
      forced: sig,
      note: 'a second signal: exited at once; an intent without its result may not have finished',
    })
    for (const p of this.lockPaths) rmSync(p, {force: true})
    this.io.say(`${sig} again: exiting at once`)
    this.io.exit(signalExitCode(sig))
  }
}
