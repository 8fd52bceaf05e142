/**
 * The OpenClaw version an image holds, read without running it: a container is created from the image (never
 * started: no process runs, no network, no mount) and its package.json is read through the engine's archive API,
 * where fleet reads a container's version (openclaw/detect.ts); then the container is removed.
 */
import {randomBytes} from 'node:crypto'
import {engineCall, type DockerHandle} from '../docker/client.js'
import {packageCandidates, versionViaArchive} from '../openclaw/detect.js'

export interface ImageReading {
  /** The image was found on the engine. */
  found: boolean
  /** Its id (sha256:…) when found. */
  id: string | null
  version: string | null
  error: string | null
}

const statusOf = (e: unknown) => (e as {statusCode?: number})?.statusCode

/** Reads an image's id and OpenClaw version on one engine. Never throws for a missing image (found: false). */
export async function readImage(handle: DockerHandle, ref: string): Promise<ImageReading> {
  let info: {Id: string; Config?: {WorkingDir?: string}}
  try {
    info = await engineCall(handle, `inspect image ${ref}`, () => handle.docker.getImage(ref).inspect())
  } catch (error) {
    if (statusOf(error) === 404) return {found: false, id: null, version: null, error: `no image ${ref} on this engine`}
    throw error
  }
  const name = `openclaw-fleet-read-${randomBytes(4).toString('hex')}`
  const created = await engineCall(handle, `create ${name}`, () =>
    handle.docker.createContainer({
      name,
      Image: info.Id,
      Cmd: ['true'],
      HostConfig: {NetworkMode: 'none', AutoRemove: false},
      Labels: {'openclaw-fleet.read': ref},
    }),
  )
  try {
    const r = await versionViaArchive(handle, created.id, ref, packageCandidates(info.Config?.WorkingDir))
    return {found: true, id: info.Id, version: r.version, error: r.error}
  } finally {
    await engineCall(handle, `remove ${name}`, () => created.remove({force: true, v: true})).catch(() => undefined)
  }
}
