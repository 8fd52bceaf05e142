#!/usr/bin/env bash
# The operators' manual runbook, exactly as it is run by hand today, for the benchmarks:
#
#   1. list the gateways:   docker ps --format '{{.Names}}' | grep openclaw-openclaw-gateway- | sort -V
#   2. per instance:        find <data>/oc<N>/config/agents/main/sessions -name '*.jsonl.lock' -print -delete
#   3. per compose group:   docker compose --env-file .env.multi.ocA-B -f docker-compose.ocA-B.yml restart
#                           (docker-compose v1 when the v2 plugin is missing)
#   4. per gateway:         docker exec <name> openclaw agent --local --agent main \
#                             --message "Reply exactly SPEED_OK" --thinking low --json
#
# Usage: bench/baseline-runbook.sh --root DIR [--mode full|inspect|ping]
#   --root DIR   the deployment root: DIR/openclaw holds the compose + env files, DIR/data/oc<N>/config the
#                state dirs (the lab's layout, and the real fleets')
#   --mode full     steps 1-4 (default)
#          inspect  steps 1 and 2 without -delete (what an operator looks at before acting)
#          ping     steps 1 and 4 (the post-deploy smoke check by hand)
#
# Several labs can share one Docker engine here, so step 1 keeps only the gateways that have a state dir under
# --root (on a real host that is every gateway). Everything else is the runbook unchanged: blind, sequential.
# Each step's start is written to stderr as `STEP <name> <epoch seconds>` for the benchmark; stdout is the
# runbook's own output (deleted lock paths, compose output, `<name> OK|FAIL <reply>`).
# Exit status: 0 when every gateway answered SPEED_OK, 1 otherwise.
set -u -o pipefail

ROOT=''
MODE=full
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$2; shift 2 ;;
    --mode) MODE=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -n "$ROOT" ] && [ -d "$ROOT/openclaw" ] || { echo "usage: $0 --root DIR (DIR/openclaw must exist)" >&2; exit 2; }
case "$MODE" in full|inspect|ping) ;; *) echo "unknown --mode $MODE" >&2; exit 2 ;; esac

step() { echo "STEP $1 $(date +%s.%N)" >&2; }

if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi

# 1. The gateways.
step list
GATEWAYS=()
for name in $(docker ps --format '{{.Names}}' | grep openclaw-openclaw-gateway- | sort -V); do
  id=${name#openclaw-openclaw-gateway-}
  id=${id%-1}
  [ -d "$ROOT/data/oc$id/config" ] && GATEWAYS+=("$name")
done
echo "${#GATEWAYS[@]} gateways"

# 2. Delete every session lock (inspect: list them).
if [ "$MODE" != ping ]; then
  step locks
  for name in "${GATEWAYS[@]}"; do
    id=${name#openclaw-openclaw-gateway-}
    id=${id%-1}
    sessions="$ROOT/data/oc$id/config/agents/main/sessions"
    if [ "$MODE" = inspect ]; then
      find "$sessions" -name '*.jsonl.lock' -print
    else
      find "$sessions" -name '*.jsonl.lock' -print -delete
    fi
  done
fi
[ "$MODE" = inspect ] && { step end; exit 0; }

# 3. Restart every compose group.
if [ "$MODE" = full ]; then
  step restart
  cd "$ROOT/openclaw" || exit 1
  for env in $(ls -a | grep '^\.env\.multi\.oc' | sort -V); do
    group=${env#.env.multi.}
    "${COMPOSE[@]}" --env-file "$env" -f "docker-compose.$group.yml" restart
  done
fi

# 4. SPEED_OK from every gateway.
step ping
failed=0
for name in "${GATEWAYS[@]}"; do
  reply=$(docker exec "$name" openclaw agent --local --agent main --message "Reply exactly SPEED_OK" --thinking low --json 2>&1)
  if echo "$reply" | grep -q '"text": *"SPEED_OK"'; then
    echo "$name OK"
  else
    echo "$name FAIL $(echo "$reply" | tail -n 1 | cut -c1-200)"
    failed=$((failed + 1))
  fi
done
step end
[ "$failed" -eq 0 ]
