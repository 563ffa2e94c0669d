#!/usr/bin/env bash
# `make demo` / `make demo-destroy`: a systemd container named flaskstack-demo stands in
# for a fresh Debian 12 server; site.yml provisions it through inventories/demo/, and its
# port 80 is published on 127.0.0.1:8080 only.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly NAME=flaskstack-demo
readonly PORT=${FLASKSTACK_DEMO_PORT:-8080}
readonly URL="http://127.0.0.1:$PORT/"

say() { printf 'demo: %s\n' "$*" >&2; }

start_container() {
  local image
  image=$(tools/lab-image.sh bookworm)
  if [ "$(docker inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" = true ]; then
    return
  fi
  if docker inspect "$NAME" >/dev/null 2>&1; then
    say "starting the stopped container $NAME"
    docker start "$NAME" >/dev/null
  else
    say "starting container $NAME from $image (port 80 on 127.0.0.1:$PORT)"
    docker run -d --name "$NAME" --hostname "$NAME" \
      --cap-add SYS_ADMIN --security-opt seccomp=unconfined --cgroupns=host \
      -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
      -p "127.0.0.1:$PORT:80" "$image" >/dev/null
  fi
  # systemd is up once it answers; "degraded" still lets us provision.
  for _ in $(seq 60); do
    case $(docker exec "$NAME" systemctl is-system-running 2>/dev/null || true) in
      running | degraded) return ;;
    esac
    sleep 1
  done
  say "systemd in $NAME did not come up; see: docker logs $NAME"
  exit 1
}

up() {
  start_container
  ansible-playbook -i inventories/demo/hosts.yml site.yml
  say "GET $URL"
  curl --silent --show-error --fail --retry 10 --retry-delay 1 --retry-connrefused "$URL"
  echo
}

destroy() {
  if docker inspect "$NAME" >/dev/null 2>&1; then
    docker rm -f "$NAME" >/dev/null
    say "removed $NAME"
  else
    say "no container $NAME"
  fi
}

case ${1:-} in
  up) up ;;
  destroy) destroy ;;
  *) echo "usage: $0 up|destroy" >&2; exit 2 ;;
esac
