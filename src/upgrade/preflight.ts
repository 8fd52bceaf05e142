/**
 * `fleet upgrade`'s preflight: everything read before anything changes, for every selected instance. The image on the
 * instance's engine and the version it holds, the version the gateway runs, the compose group and where its image is
 * kept, the state dir. The verdicts come from decide/upgrade.ts (preflightUpgrade); a refusal anywhere stops the
 * whole upgrade before its first change (exit 2).
 */
import {existsSync, readFileSync, statfsSync, statSync} from 'node:fs'
import path from 'node:path'
import type {Fleet, Group, Instance} from '../config/model.js'
import {groupOf} from '../config/model.js'
import {dockerFor, type DockerHandle} from '../docker/client.js'
import {discover, type ContainerInfo} from '../docker/discover.js'
import {detectVersion} from '../openclaw/detect.js'
import {backupsThatDoNotFit, preflightUpgrade, type UpgradePreflight} from '../decide/upgrade.js'
import {treeSize} from './state-backup.js'
import {describeLocation, findImageLocation, readLocationFiles, type ImageLocation} from './image-location.js'
import {readImage, type ImageReading} from './image-version.js'
import {mapLimit} from '../util/concurrency.js'

/** One instance as the upgrade found it. */
export interface UpgradeTarget {
  inst: Instance
  group: Group | null
  handle: DockerHandle
  container: ContainerInfo | null
  /** Compose's project and service of the container (from its labels, else the config). */
  project: string | undefined
  service: string
  currentVersion: string | null
  /** The image the container runs now, as its config names it, and its id. */
  currentImage: string | null
  currentImageId: string | null
  target: ImageReading
  location: ImageLocation | null
  verdict: UpgradePreflight
}

const errorText = (e: unknown) => (e as Error)?.message ?? String(e)

function locationOf(
  group: Group | null,
  service: string,
): {location: ImageLocation | null; facts: {ok: true; describe: string; current: string} | {ok: false; error: string}} {
  if (!group) return {location: null, facts: {ok: false, error: 'no compose group, so no file that keeps its image'}}
  try {
    const r = findImageLocation(readLocationFiles(group), service, process.env)
    if (!r.ok) return {location: null, facts: r}
    return {location: r.location, facts: {ok: true, describe: describeLocation(r.location), current: r.location.value}}
  } catch (error) {
    return {location: null, facts: {ok: false, error: `cannot read the compose or env file: ${errorText(error)}`}}
  }
}

/** Whether a copy made by this process keeps the dir's owners: root, or the dir's own user. */
function ownersKept(dir: string): boolean {
  const uid = process.getuid?.()
  return uid === undefined || uid === 0 || statSync(dir).uid === uid
}

/** Reads every selected instance (a few at a time); never changes anything. */
export async function readTargets(fleet: Fleet, instances: readonly Instance[], image: string): Promise<UpgradeTarget[]> {
  const images = new Map<string, Promise<ImageReading>>()
  return mapLimit(instances, 4, async (inst) => {
    const handle = dockerFor(inst.docker)
    const group = groupOf(fleet, inst) ?? null
    const key = handle.label
    if (!images.has(key)) images.set(key, readImage(handle, image))
    const [disc, target] = await Promise.all([discover(handle, [inst], fleet.groups), images.get(key) as Promise<ImageReading>])
    const c = disc.byInstance.get(inst.id) ?? null
    const local = inst.lockAccess === 'host'
    const currentVersion = c ? (await detectVersion(handle, c, {local})).version : null
    const service = c?.compose.service ?? inst.service
    const {location, facts} = locationOf(group, service)
    // discover inspected the container: its image id is there (no second inspect).
    const currentImageId = c?.imageId ?? null
    const verdict = preflightUpgrade({
      name: inst.name,
      inGroup: group !== null,
      containerFound: c !== null,
      stateOnHost: local,
      stateDirExists: local && existsSync(inst.dataDir),
      ownersKept: !local || !existsSync(inst.dataDir) || ownersKept(inst.dataDir),
      imageFound: target.found,
      imageVersion: target.version,
      currentVersion,
      location: facts,
      alreadyThere: currentImageId !== null && currentImageId === target.id && facts.ok && facts.current === image,
    })
    return {
      inst,
      group,
      handle,
      container: c,
      project: c?.compose.project,
      service,
      currentVersion,
      currentImage: c?.image ?? null,
      currentImageId,
      target,
      location,
      verdict,
    }
  })
}

/** The nearest existing dir at or above a path (the incident dir is made on first use). */
function existingAncestor(p: string): string {
  let d = path.resolve(p)
  while (!existsSync(d) && path.dirname(d) !== d) d = path.dirname(d)
  return d
}

/**
 * The backups must fit on the incident dir's filesystem (backupsThatDoNotFit): an upgrade that fills the host's disk
 * half way would leave a gateway stopped. Those that do not fit are refused in the preflight.
 */
export function checkBackupSpace(incidentDir: string, targets: UpgradeTarget[]): void {
  const going = targets.filter((t) => t.verdict.verdict === 'upgrade')
  if (going.length === 0) return
  const st = statfsSync(existingAncestor(incidentDir))
  const sizes = going.map((t) => ({name: t.inst.name, bytes: treeSize(t.inst.dataDir).bytes}))
  const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`
  for (const x of backupsThatDoNotFit(sizes, {freeBytes: st.bavail * st.bsize, totalBytes: st.blocks * st.bsize})) {
    const t = going.find((g) => g.inst.name === x.name) as UpgradeTarget
    t.verdict = {
      ...t.verdict,
      verdict: 'refuse',
      problems: [
        ...t.verdict.problems,
        `its state backup does not fit: the copies up to it need ${mib(x.needBytes)}, ${incidentDir} has ${mib(st.bavail * st.bsize)} free`,
      ],
    }
  }
}

/** The bytes of a location's file now (for the copy kept before the switch and the rollback). */
export const locationBytes = (l: ImageLocation): Buffer => readFileSync(l.file)
