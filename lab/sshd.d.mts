// Types for lab/sshd.mjs (an sshd on 127.0.0.1 for the multi-host and ssh:// tests).
export interface LabSshd {
  /** `ssh://root@127.0.0.1:<port>` */
  host: string
  port: number
  user: 'root'
  /** The client key root logs in with. */
  key: string
  /** known_hosts with this sshd's host key; .bad with another key; .empty with none. */
  knownHosts: string
  badKnownHosts: string
  emptyKnownHosts: string
  pid: number | undefined
}
/** forceCommand: every session runs it instead of what the client asked (a live sshd in front of a stalled engine). */
export declare function start(opts: {dir: string; port: number; forceCommand?: string}): Promise<LabSshd>
export declare function stop(opts: {dir: string}): Promise<void>
