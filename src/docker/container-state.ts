/**
 * The one paused rule. A paused container (`docker pause`: the cgroup freezer) keeps its processes, frozen: they
 * cannot be probed, so no lock in it can be judged; a signal or a restart would only queue behind the freeze.
 * Everything that asks "is it paused?" asks here. Pure.
 */
export function isPaused(state: string | null | undefined): boolean {
  return state === 'paused'
}
