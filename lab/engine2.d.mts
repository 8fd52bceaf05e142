// Types for lab/engine2.mjs (a second Docker engine on this machine, over TCP+TLS on 127.0.0.1).
export interface SecondEngine {
  /** `tcp://127.0.0.1:<port>` (TLS, client certificate in certPath). */
  host: string
  /** `unix://<dir>/docker.sock` */
  socket: string
  certPath: string
  pid: number | undefined
}
export declare function makeCerts(dir: string): Promise<string>
export declare function start(opts: {dir: string; port: number}): Promise<SecondEngine>
export declare function loadImage(image: string, opts: {socket: string}): Promise<void>
/** Stops the second engine (signal, default SIGTERM; SIGKILL after 30 s) and waits for its pid to go. */
export declare function stop(opts: {dir: string; signal?: NodeJS.Signals}): Promise<void>
/** Removes every trace of a second engine that did not stop cleanly: its processes, its mounts, its dir. */
export declare function cleanup(opts: {dir: string}): Promise<void>
