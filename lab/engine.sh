#!/usr/bin/env bash
# Makes sure a Docker engine answers, and that the lab's build inputs are installed.
# Idempotent; safe under CI=true with no stdin.
#   - `docker info` works: done (after making sure busybox-static and docker-compose are there, as root).
#   - else, as root: apt-get install docker.io docker-compose busybox-static when missing, start
#     `dockerd --bridge=none --iptables=false --ip-masq=false` in the background (log:
#     $LAB_DOCKERD_LOG, default /var/log/openclaw-fleet-dockerd.log), wait up to 60 s for it.
#   - not root and no engine: explain and exit 1.
set -euo pipefail

LOG="${LAB_DOCKERD_LOG:-/var/log/openclaw-fleet-dockerd.log}"
WAIT_S="${LAB_DOCKERD_WAIT_S:-60}"
export DEBIAN_FRONTEND=noninteractive

say() { echo "[lab:engine] $*"; }
die() { echo "[lab:engine] error: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
engine_ok() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

apt_updated=
# ensure_pkgs PKG...: install the Debian packages that are not installed yet.
ensure_pkgs() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  is_root || die "missing packages ${missing[*]}; install them as root: apt-get install ${missing[*]}"
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get on this machine"
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    apt-get update -q </dev/null || die "apt-get update failed"
    apt_updated=1
  fi
  say "apt-get install ${missing[*]}"
  apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null || die "apt-get install ${missing[*]} failed"
}

# Build inputs of the lab image (/bin/busybox), the compose v1 fallback, sshd for the multi-host tests, GNU time
# for the benchmarks' peak RSS.
ensure_lab_pkgs() {
  if command -v dpkg-query >/dev/null 2>&1; then
    if is_root; then
      ensure_pkgs busybox-static docker-compose openssh-server openssh-client openssl time
    else
      [ -x /bin/busybox ] || die "/bin/busybox is missing; as root: apt-get install busybox-static"
    fi
  fi
  [ -x /bin/busybox ] || die "/bin/busybox is missing (install busybox-static)"
  /bin/busybox --list | grep -qx wget || die "/bin/busybox has no wget applet; install Debian's busybox-static"
}

if engine_ok; then
  ensure_lab_pkgs
  say "docker engine answers ($(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null))"
  exit 0
fi

is_root || die "no Docker engine answers (docker info failed) and this is not root, so it cannot be started here.
  Start one (e.g. sudo bash lab/engine.sh), point DOCKER_HOST at a running engine, or, if one
  runs but refuses you, get access to its socket (e.g. the docker group)."

ensure_pkgs docker.io
ensure_lab_pkgs

if pgrep -x dockerd >/dev/null 2>&1; then
  say "dockerd is running but does not answer yet; waiting"
else
  mkdir -p "$(dirname "$LOG")"
  say "starting dockerd --bridge=none --iptables=false --ip-masq=false (log: $LOG)"
  setsid nohup dockerd --bridge=none --iptables=false --ip-masq=false >>"$LOG" 2>&1 </dev/null &
  say "dockerd started (pid $!)"
fi

for _ in $(seq 1 "$WAIT_S"); do
  if engine_ok; then
    say "docker engine answers ($(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})'))"
    exit 0
  fi
  sleep 1
done

echo "[lab:engine] error: dockerd did not answer within ${WAIT_S} s. Last lines of $LOG:" >&2
tail -n 30 "$LOG" >&2 2>/dev/null || true
exit 1
