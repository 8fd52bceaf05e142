#!/bin/sh
# CMD of the openclaw-real images (/opt/ocreal/start.sh): start the loopback model stub in the
# background, write <state>/openclaw.json when there is none, then exec `openclaw "$@"` (by
# default `gateway --allow-unconfigured --bind loopback --port 18789`). exec keeps this shell's pid,
# so under `docker run --init` the gateway is the direct child of docker-init (pid 1), like the
# official image's `node dist/index.js gateway`. OPENCLAW_NO_RESPAWN=1 (for the gateway only) stops
# the CLI's self-respawn (a second node process adding --disable-warning=ExperimentalWarning), which
# would otherwise make the gateway a grandchild of docker-init. `docker exec ... openclaw ...` turns
# keep the default, two-process layout (launcher + respawned child).
#
# Environment: OCREAL_MODEL_PORT (18555), OCREAL_WRITE_CONFIG (1: write openclaw.json if missing),
# OCREAL_OPENCLAW_VERSION (set by the image), OCREAL_MODEL_DIR (model controls, /tmp/ocreal-model).
set -e
[ "$#" -gt 0 ] || set -- gateway --allow-unconfigured --bind loopback --port 18789
if [ -n "$OPENCLAW_STATE_DIR" ]; then state=$OPENCLAW_STATE_DIR
elif [ -n "$OPENCLAW_HOME" ]; then state=$OPENCLAW_HOME/.openclaw
else state=$HOME/.openclaw
fi
mkdir -p "$state" "${OCREAL_MODEL_DIR:-/tmp/ocreal-model}"
if [ "${OCREAL_WRITE_CONFIG:-1}" = 1 ] && [ ! -s "$state/openclaw.json" ]; then
  node /opt/ocreal/model.mjs --print-config --port "${OCREAL_MODEL_PORT:-18555}" --openclaw-version "${OCREAL_OPENCLAW_VERSION:-}" > "$state/openclaw.json.ocreal-tmp"
  mv "$state/openclaw.json.ocreal-tmp" "$state/openclaw.json"
  echo "[ocreal] wrote $state/openclaw.json (model stub on 127.0.0.1:${OCREAL_MODEL_PORT:-18555})"
fi
node /opt/ocreal/model.mjs --port "${OCREAL_MODEL_PORT:-18555}" --log /tmp/ocreal-model.log &
echo "[ocreal] model stub pid $! on 127.0.0.1:${OCREAL_MODEL_PORT:-18555}; exec openclaw $*"
export OPENCLAW_NO_RESPAWN=1
exec /usr/local/bin/openclaw "$@"
