#!/usr/bin/env bash
# `make demo` / `make demo-destroy`: a systemd container named flaskstack-demo stands in
# for a fresh Debian 12 server; site.yml provisions it through inventories/demo/, and its
# ports 443 and 80 are published on 127.0.0.1:8443 and 127.0.0.1:8080 only (HTTPS with a
# self-signed certificate, copied to build/demo-tls.pem; plain HTTP answers too).
# `make demo-cluster`: a balancer (flaskstack-demo-lb, port 80 on 127.0.0.1:8081) and two
# app hosts (flaskstack-demo-app1, -app2) on the docker network flaskstack-demo, through
# inventories/demo-cluster/; `make demo-destroy` removes them too. `make status` shows
# what each demo that is up is doing (playbooks/status.yml).
set -euo pipefail
cd "$(dirname "$0")/.."

readonly NAME=flaskstack-demo
readonly PORT=${FLASKSTACK_DEMO_PORT:-8080}
readonly URL="http://127.0.0.1:$PORT/"
readonly TLS_PORT=${FLASKSTACK_DEMO_TLS_PORT:-8443}
readonly TLS_URL="https://localhost:$TLS_PORT/"
readonly TLS_CERT=build/demo-tls.pem

say() { printf 'demo: %s\n' "$*" >&2; }

readonly CLUSTER_NET=flaskstack-demo
readonly CLUSTER_SUBNET=172.31.251.0/24
readonly CLUSTER_PORT=${FLASKSTACK_DEMO_CLUSTER_PORT:-8081}
readonly CLUSTER=(flaskstack-demo-lb flaskstack-demo-app1 flaskstack-demo-app2)

# start_container NAME [docker run options...]: a systemd container from the Debian 12 lab
# image, started (or started again), and waited for.
start_container() {
  local name=$1 image
  shift
  image=$(tools/lab-image.sh bookworm)
  if [ "$(docker inspect --type container -f '{{.State.Running}}' "$name" 2>/dev/null)" != true ]; then
    if docker inspect --type container "$name" >/dev/null 2>&1; then
      say "starting the stopped container $name"
      docker start "$name" >/dev/null
    else
      say "starting container $name from $image"
      docker run -d --name "$name" --hostname "$name" \
        --cap-add SYS_ADMIN --security-opt seccomp=unconfined --cgroupns=host \
        -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
        "$@" "$image" >/dev/null
    fi
  fi
  # systemd is up once it answers; "degraded" still lets us provision.
  for _ in $(seq 60); do
    case $(docker exec "$name" systemctl is-system-running 2>/dev/null || true) in
      running | degraded) return ;;
    esac
    sleep 1
  done
  say "systemd in $name did not come up; see: docker logs $name"
  exit 1
}

up() {
  start_container "$NAME" -p "127.0.0.1:$PORT:80" -p "127.0.0.1:$TLS_PORT:443"
  ansible-playbook -i inventories/demo/hosts.yml site.yml
  if docker exec "$NAME" test -f /etc/nginx/tls/sample/fullchain.pem; then
    mkdir -p build
    docker exec "$NAME" cat /etc/nginx/tls/sample/fullchain.pem >"$TLS_CERT"
    say "GET $URL"
    curl --silent --show-error --fail --retry 10 --retry-delay 1 --retry-connrefused "$URL"
    echo
    say "GET $TLS_URL, trusting the demo's self-signed certificate ($TLS_CERT):"
    say "  curl --cacert $TLS_CERT $TLS_URL    (a browser: accept the certificate, or import $TLS_CERT)"
    curl --silent --show-error --fail --retry 10 --retry-delay 1 --retry-connrefused --cacert "$TLS_CERT" "$TLS_URL"
  else
    say "GET $URL"
    curl --silent --show-error --fail --retry 10 --retry-delay 1 --retry-connrefused "$URL"
  fi
  echo
}

cluster_up() {
  docker network inspect "$CLUSTER_NET" >/dev/null 2>&1 ||
    docker network create --subnet "$CLUSTER_SUBNET" "$CLUSTER_NET" >/dev/null
  start_container flaskstack-demo-lb --network "$CLUSTER_NET" --ip 172.31.251.10 -p "127.0.0.1:$CLUSTER_PORT:80"
  start_container flaskstack-demo-app1 --network "$CLUSTER_NET" --ip 172.31.251.11
  start_container flaskstack-demo-app2 --network "$CLUSTER_NET" --ip 172.31.251.12
  ansible-playbook -i inventories/demo-cluster/hosts.yml site.yml
  local url="http://127.0.0.1:$CLUSTER_PORT/"
  say "GET $url six times: the answers come from both app hosts (round robin in each nginx worker)"
  for _ in 1 2 3 4 5 6; do
    curl --silent --show-error --fail --retry 10 --retry-delay 1 --retry-connrefused "$url"
    echo
  done
}

# `make status`: playbooks/status.yml against each demo that is up.
status() {
  local shown=0
  if running "$NAME"; then
    ansible-playbook -i inventories/demo/hosts.yml playbooks/status.yml
    shown=1
  fi
  if running "${CLUSTER[0]}"; then
    ansible-playbook -i inventories/demo-cluster/hosts.yml playbooks/status.yml
    shown=1
  fi
  [ "$shown" = 1 ] || { say "no demo is up: make demo, or make demo-cluster"; exit 1; }
}

running() {
  [ "$(docker inspect --type container --format '{{.State.Running}}' "$1" 2>/dev/null)" = true ]
}

destroy() {
  local name
  for name in "$NAME" "${CLUSTER[@]}"; do
    if docker inspect --type container "$name" >/dev/null 2>&1; then
      docker rm -f "$name" >/dev/null
      say "removed $name"
    fi
  done
  if docker network inspect "$CLUSTER_NET" >/dev/null 2>&1; then
    docker network rm "$CLUSTER_NET" >/dev/null
    say "removed network $CLUSTER_NET"
  fi
}

case ${1:-} in
  up) up ;;
  cluster-up) cluster_up ;;
  status) status ;;
  destroy) destroy ;;
  *) echo "usage: $0 up|cluster-up|status|destroy" >&2; exit 2 ;;
esac
