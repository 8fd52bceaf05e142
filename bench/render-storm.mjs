// The storm section of bench/README.md's results block (bench/render.mjs), from results.json's `storm`.

const MODE_TITLES = {
  nothing: 'nothing at all',
  cron: 'cron sniffer (every 5 min: locks > 5 min old, no live holder)',
  'watch-polling': '`fleet watch --no-react --interval 5s`',
  'watch-events': '`fleet watch --react --interval 30s`',
}
const causes = (c) =>
  Object.entries(c)
    .filter(([k]) => k !== 'no-fault' && k !== 'injection')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none'

/** The storm's targets: [{name, target, value, met}]. */
export function stormTargets(st) {
  const t = st.targets
  return [
    {name: 'storm: failed turns under `fleet watch` (polling and events) against the cron sniffer', target: '<= 0.1x', value: `${t.watchAtMostTenthOfCron.value}x`, met: t.watchAtMostTenthOfCron.met},
    {name: 'storm: failed turns from faults fleet can prove dead in time (watch with events; polling in brackets)', target: '0', value: `${t.noFailedTurnFromProvableFault.value} (${t.noFailedTurnFromProvableFault.polling})`, met: t.noFailedTurnFromProvableFault.met},
  ]
}

export function renderStorm(st) {
  const set = st.settings
  const lines = [
    `### Fault storm: ${set.instances} simulated gateways per mode, ${set.minutes} min, ${st.modes.nothing.turns} turns each (one per gateway every ${set.turnEveryS} s ±25 %), ${set.instances} faults each (seed ${set.seed}); run ${st.date.slice(0, 16).replace('T', ' ')}, commit ${st.machine.commit}`,
    '',
    `The four modes ran at once, each on its own lab, the same storm at the same moments. Failed turns "from faults" exclude those that failed while the fault itself was being injected (the restart a previous incarnation needs) and those with no fault on their gateway. Load average ${st.load.mean} (max ${st.load.max}).`,
    '',
    '| mode | failed turns (of all) | from faults: by kind | from faults fleet can prove dead in time | answered turns p50 / p95 | vs cron: failed, p50, p95 |',
    '|---|---|---|---|---|---|',
  ]
  for (const [mode, m] of Object.entries(st.modes)) {
    const r = st.ratiosToCron?.[mode]
    lines.push(`| ${MODE_TITLES[mode] ?? mode} | ${m.failed} (${m.turns}) | ${m.failedFromFaults}: ${causes(m.failedByCause)} | ${m.failedFromProvableInTime} | ${m.latencyOkMs.p50} / ${m.latencyOkMs.p95} ms | ${r ? `${r.failed}x, ${r.p50}x, ${r.p95}x` : 'n/a'} |`)
  }
  lines.push('')
  lines.push(`Ratios: watch with events / cron **${st.ratioWatchEventsToCron}x**, watch polling / cron ${st.ratioWatchPollingToCron}x, cron / nothing ${st.ratioCronToNothing}x; p95 of answered turns, watch with events / cron ${st.ratioP95WatchEventsToCron}x.`)
  const cron = st.modes.cron.cron
  if (cron) lines.push(`The sniffer ran ${cron.runs} time(s) and deleted ${cron.deleted} lock(s) (kept ${cron.kept} with a live holder).`)
  for (const mode of ['watch-polling', 'watch-events']) {
    const w = st.modes[mode].watch
    if (w) lines.push(`${MODE_TITLES[mode]}: ${w.cpuS ?? '?'} s of CPU, ${w.scans} scans (${w.eventScans} after an event), ${w.locksCleared} lock(s) cleared, ${w.holdersEnded} holder(s) ended, ${w.restarts} restart(s) (${w.restartsFailed ?? 0} failed).`)
  }
  return lines.join('\n')
}
