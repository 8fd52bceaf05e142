// The real-OpenClaw recovery section of bench/README.md's results block (bench/render.mjs), from results.json's
// `realRecovery` (bench/real-recovery.mjs).

const sec = (ms) => (ms === null || ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`)
const x = (r) => (r === null || r === undefined ? 'n/a' : `${r}x`)

export function renderRealRecovery(rr) {
  const s = rr.summary
  const set = rr.settings
  const versions = set.versions.map((v) => `${set.perVersion} x ${v}`).join(' + ')
  const lines = [
    `### Recovery on real OpenClaw: ${versions}, ${set.runs} run(s); run ${rr.machine.date.slice(0, 16).replace('T', ' ')}, commit ${rr.machine.commit}, ${(rr.totalMs / 60000).toFixed(1)} min`,
    '',
    `Fault mix: ${set.mix.map((m) => `${m.id} ${m.kind} (${m.version})`).join(', ')}. Real start-up (start to \`[gateway] ready\`): ${Object.entries(s.startupMsByVersion)
      .map(([v, st]) => `${v} ${sec(st.median)} (${sec(st.min)}-${sec(st.max)}, ${st.n} starts)`)
      .join('; ')}.`,
    '',
    '| figure | fleet heal | runbook | fleet/runbook |',
    '|---|---|---|---|',
    `| time until every gateway answers (the tool, then one independent real turn each, in parallel) | ${sec(s.allAnsweredMs.fleet)} | ${sec(s.allAnsweredMs.runbook)} | ${x(s.ratios.allAnswered)} |`,
    `| summed gateway downtime | ${s.downtimeS.fleet} s | ${s.downtimeS.runbook} s | ${x(s.ratios.downtime)} |`,
    `| gateways restarted (of ${set.ids.length}) | ${s.gatewaysRestarted.fleet} | ${s.gatewaysRestarted.runbook} | ${x(s.ratios.gatewaysRestarted)} |`,
    `| the tool's own wall time (exit codes) | ${sec(s.toolMs.fleet)} (${s.exitCodes.map((e) => e.fleet).join('/')}) | ${sec(s.toolMs.runbook)} (${s.exitCodes.map((e) => e.runbook).join('/')}) | ${x(s.toolMs.runbook ? Math.round((s.toolMs.fleet / s.toolMs.runbook) * 100) / 100 : null)} |`,
    `| lock files removed / holders ended | ${s.locksRemoved.fleet} / ${s.holdersEnded.fleet} | ${s.locksRemoved.runbook} / ${s.holdersEnded.runbook} | |`,
    '',
  ]
  const run = rr.runs.at(-1)
  if (run?.fleet?.perGateway && run?.runbook?.perGateway) {
    lines.push('| gateway | fault | fleet: downtime, what it did | runbook: downtime |', '|---|---|---|---|')
    for (const g of run.fleet.perGateway) {
      const b = run.runbook.perGateway.find((o) => o.id === g.id)
      const did = g.tool?.actions?.length ? g.tool.actions.map((a) => a.replace(/ [0-9a-f-]{36}\.jsonl\.lock/, ' <session>.jsonl.lock')).join('; ') : 'nothing'
      lines.push(`| ${g.id} (${g.version}) | ${g.kind} | ${sec(g.downMs)}${g.tool?.restarted ? ', restarted' : ''}: ${did} | ${sec(b?.downMs)} |`)
    }
    lines.push('')
  }
  const failed = s.runbookPingFailed.flat()
  if (failed.length) lines.push(`The runbook's own ping failed on ${[...new Set(failed)].join(', ')}: \`openclaw agent --local\` is refused on 2026.8+ while a gateway owns the state dir; the independent check found every gateway answering.`)
  return lines.join('\n')
}
