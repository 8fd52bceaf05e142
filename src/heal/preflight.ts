/**
 * Checks before changes: everything that would make a later step of a command fail, found before the command
 * takes its run lock, observes or changes anything. Today that is what compose needs to restart a group's
 * services (its project dir, compose file and env file), checked only when the command may restart.
 * A heal that deleted a stopped instance's lock and only then failed in compose must instead stop at once
 * with exit 2 and nothing changed.
 */
import type {ConfigIssue} from '../config/build.js'
import {checkGroupPaths, configError} from '../config/load.js'
import type {Fleet, Group, Instance} from '../config/model.js'

export interface PreflightOptions {
  /** The command may restart a service (heal without --no-restart, watch with --auto-restart). */
  mayRestart: boolean
}

/** Every problem found for the groups of these instances (each issue's key is groups.<g>.<key>); empty when none. */
export function preflight(fleet: Fleet, instances: readonly Instance[], opts: PreflightOptions): ConfigIssue[] {
  if (!opts.mayRestart) return []
  const groups = groupsOf(fleet, instances)
  return checkGroupPaths(groups).map((issue) => {
    const g = groups.find((x) => x.name === issue.path[1]) as Group
    const names = instances.filter((i) => i.group === g.name).map((i) => i.name)
    return {...issue, message: `${issue.message} (needed to restart ${names.join(', ')})`}
  })
}

/**
 * Throws one ConfigError (exit 2) listing every problem `preflight` finds, naming the command, the file, each key
 * and how to go on; returns when there is none.
 */
export function assertPreflight(fleet: Fleet, instances: readonly Instance[], opts: PreflightOptions & {command: string; withoutRestart: string}): void {
  const issues = preflight(fleet, instances, opts)
  if (issues.length === 0) return
  throw configError(fleet.file, issues, {
    header: `${opts.command}: nothing was changed: a restart would fail, the fleet config ${fleet.file} names ${issues.length === 1 ? 'a path' : `${issues.length} paths`} compose cannot use`,
    hint: `fix the path${issues.length === 1 ? '' : 's'} in the config (fleet config --validate checks them), or run ${opts.withoutRestart}`,
  })
}

/** The compose groups the instances belong to, in config order, each once. */
function groupsOf(fleet: Fleet, instances: readonly Instance[]): Group[] {
  const names = new Set(instances.map((i) => i.group).filter((g): g is string => g !== undefined))
  return fleet.groups.filter((g) => names.has(g.name))
}
