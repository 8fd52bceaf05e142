#!/usr/bin/env bash
# The lock sniffer operators run from cron today (*/5 * * * *), for the storm benchmark:
#
#   for each gateway:  find <data>/oc<N>/config/agents/*/sessions -name '*.jsonl.lock' -mmin +5
#                      and delete each one with no live holder: no pid in it, or
#                      `docker exec <gateway> kill -0 <pid>` fails (the pid checked in the container's namespace,
#                      the careful version: a check on the host's /proc would look in the wrong namespace)
#
# Usage: bench/cron-sniffer.sh --root DIR [--older-than-min 5]
#   --root DIR   the deployment root (DIR/data/oc<N>/config: the lab's layout, and the real fleets')
# As in baseline-runbook.sh, only the gateways with a state dir under --root are looked at (several labs share the
# engine here). stdout: one `deleted <path> (<why>)` or `kept <path> (pid <pid> alive)` line per lock it looked at.
set -u -o pipefail

ROOT=''
OLDER=5
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$2; shift 2 ;;
    --older-than-min) OLDER=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -n "$ROOT" ] && [ -d "$ROOT/data" ] || { echo "usage: $0 --root DIR (DIR/data must exist)" >&2; exit 2; }
case "$OLDER" in ''|*[!0-9]*) echo "--older-than-min must be a whole number of minutes" >&2; exit 2 ;; esac

for name in $(docker ps --format '{{.Names}}' | grep openclaw-openclaw-gateway- | sort -V); do
  id=${name#openclaw-openclaw-gateway-}
  id=${id%-1}
  config="$ROOT/data/oc$id/config"
  [ -d "$config/agents" ] || continue
  find "$config"/agents/*/sessions -name '*.jsonl.lock' -mmin +"$OLDER" 2>/dev/null | while read -r lock; do
    pid=$(grep -o '"pid": *[0-9]*' "$lock" 2>/dev/null | grep -o '[0-9]*$')
    if [ -n "$pid" ] && timeout 10 docker exec "$name" kill -0 "$pid" 2>/dev/null; then
      echo "kept $lock (pid $pid alive)"
    else
      rm -f "$lock" && echo "deleted $lock (${pid:+pid $pid dead}${pid:-no pid})"
    fi
  done
done
exit 0
