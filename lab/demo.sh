#!/usr/bin/env bash
# The main job on the local lab fleet (README, first command): make sure a Docker engine answers, build
# fleet, bring up oc7..oc11 in groups oc7-9 and oc10-11, break them the ways real fleets break, then run
# the operators' runbook the careful way: fleet status -> fleet heal --instances 7-11 -> fleet ping.
# The lab stays up afterwards (npm run lab:down removes it). Exit code: fleet ping's.
# With --openclaw VERSION (e.g. npm run demo -- --openclaw 2026.9.6) the lab runs real OpenClaw from npm instead
# of the simulator: its faults come from the simulator, so that run shows status and a real SPEED_OK ping only.
set -euo pipefail
cd "$(dirname "$0")/.."
OPENCLAW=sim
while [ $# -gt 0 ]; do
  case "$1" in
    --openclaw) OPENCLAW="$2"; shift 2 ;;
    --openclaw=*) OPENCLAW="${1#*=}"; shift ;;
    *) echo "usage: lab/demo.sh [--openclaw sim|VERSION]" >&2; exit 2 ;;
  esac
done
ROOT="${LAB_ROOT:-$PWD/.lab}"
FLEET=(node bin/run.js)
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Docker engine"
bash lab/engine.sh
step "build fleet"
npm run --silent build
step "lab: oc7..oc11 under $ROOT"
node lab/lab.mjs down --root "$ROOT" >/dev/null 2>&1 || true
node lab/lab.mjs up --root "$ROOT" --openclaw "$OPENCLAW"
export FLEET_CONFIG="$ROOT/fleet.config.yml"

if [ "$OPENCLAW" != sim ]; then
  step "fleet status (real OpenClaw $OPENCLAW)"
  "${FLEET[@]}" status --locks || true
  step "fleet ping (real turns: 30-160 s each on 2 cores)"
  rc=0
  "${FLEET[@]}" ping || rc=$?
  step "done (exit $rc); the lab is still up: FLEET_CONFIG=$ROOT/fleet.config.yml node bin/run.js status; npm run lab:down to remove it"
  exit "$rc"
fi

step "inject faults"
node lab/lab.mjs break frozen --instance 9 --root "$ROOT"                  # (c) gateway SIGSTOPped holding its lock
node lab/lab.mjs break dead-pid --instance 7 --root "$ROOT"                # (a) holder SIGKILLed mid-turn
node lab/lab.mjs break orphan --instance 8 --root "$ROOT"                  # (b) docker exec client killed, agent lives on
node lab/lab.mjs break previous-incarnation --legacy --instance 10 --root "$ROOT"  # (d) old incarnation's lock, same pid
node lab/lab.mjs break malformed-locks --instance 11 --root "$ROOT"        # (h) empty, truncated, invalid locks
echo "waiting until the frozen holder passes locks.maxHold (20s in the lab config)..."
sleep 16

step "fleet status --locks"
"${FLEET[@]}" status --locks || true

step "fleet heal --instances 7-11 --dry-run"
"${FLEET[@]}" heal --instances 7-11 --dry-run

step "fleet heal --instances 7-11"
"${FLEET[@]}" heal --instances 7-11 || true

step "fleet ping"
rc=0
"${FLEET[@]}" ping || rc=$?
step "done (exit $rc); the lab is still up: FLEET_CONFIG=$ROOT/fleet.config.yml node bin/run.js status; npm run lab:down to remove it"
exit "$rc"
