#!/usr/bin/env bash
# Make sure a Docker engine answers, installing and starting one if needed (idempotent).
# This machine runs no init system for services, so dockerd is started in the background
# when `systemctl` cannot; its log goes to /var/log/flaskstack-dockerd.log.
set -euo pipefail

say() { printf 'ensure-docker: %s\n' "$*" >&2; }

if docker info >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  say "no Docker engine answers and installing one needs root"; exit 1
fi
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "$(ps -p 1 -o comm= 2>/dev/null)" = systemd ]; then
  systemctl start docker
elif ! pgrep -x dockerd >/dev/null; then
  say "starting dockerd"
  setsid nohup dockerd >>/var/log/flaskstack-dockerd.log 2>&1 </dev/null &
fi
for _ in $(seq 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
say "dockerd did not answer within 60 s; see /var/log/flaskstack-dockerd.log"
exit 1
