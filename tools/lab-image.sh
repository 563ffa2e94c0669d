#!/usr/bin/env bash
# Build (once) the Debian lab image used by `make demo`, `make bench` and every Molecule scenario.
#
#   tools/lab-image.sh SUITE          build flaskstack-lab:SUITE-HASH if missing, print its name
#   tools/lab-image.sh --name SUITE   print the name only, build nothing
#
# No container registry is reachable here, so the image is made with debootstrap and
# `docker import`. HASH covers this script and the controller's extra CA certificates,
# so the image is rebuilt only when its recipe changes. The CAs under
# /usr/local/share/ca-certificates are trusted inside the image: lab hosts see the
# network as the controller does, including behind a TLS-inspecting proxy.
#
# Each container accepts SSH (`make bench` converges over it, beside the docker connection):
# sshd is enabled, but the image holds no host key and no authorized key. Every container
# makes its own ed25519 host key at first boot, so containers of one image do not share one;
# nobody can log in until a key is put into an authorized_keys file; passwords are refused.
set -euo pipefail

readonly REPO=flaskstack-lab
readonly MIRROR=${FLASKSTACK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
readonly CA_DIR=/usr/local/share/ca-certificates
# systemd as PID 1, python3 for Ansible (python3-apt for its apt module), netbase for
# /etc/services, sudo for `become`, openssh-server for Ansible's ssh connection, and the few
# tools Testinfra and the tests call. nftables is in every Debian install (priority important):
# the firewall role finds it there, as on a real host, instead of installing it under load.
readonly PACKAGES=systemd,systemd-sysv,dbus,sudo,python3,python3-apt,ca-certificates,netbase,openssh-server,iproute2,procps,curl,nftables

root=''  # the build's scratch directory, global for the EXIT trap

die() { printf 'lab-image: %s\n' "$*" >&2; exit 1; }

recipe_hash() {
  {
    cat "${BASH_SOURCE[0]}"
    find "$CA_DIR" -type f -name '*.crt' 2>/dev/null | LC_ALL=C sort | xargs -r cat
  } | sha256sum | cut -c1-12
}

image_name() { printf '%s:%s-%s\n' "$REPO" "$1" "$(recipe_hash)"; }

# sshd without the host keys that installing openssh-server made in the chroot (every container
# of the image would share them): a oneshot unit makes the container's own ed25519 key before
# ssh.service starts, once (the key survives a restart of the container).
configure_sshd() {
  local dir=$1 units=$1/etc/systemd/system
  rm -f "$dir"/etc/ssh/ssh_host_*
  cat >"$dir/etc/ssh/sshd_config.d/flaskstack-lab.conf" <<'EOF'
# flaskstack lab image (tools/lab-image.sh): the container's own host key, made at its first
# boot by flaskstack-lab-hostkey.service; keys only, no passwords.
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
KbdInteractiveAuthentication no
EOF
  cat >"$units/flaskstack-lab-hostkey.service" <<'EOF'
[Unit]
Description=SSH host key of this container (the lab image ships none)
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N "" -C "" -f /etc/ssh/ssh_host_ed25519_key

[Install]
RequiredBy=ssh.service
EOF
  mkdir -p "$units/ssh.service.requires" "$units/multi-user.target.wants"
  ln -sf /etc/systemd/system/flaskstack-lab-hostkey.service "$units/ssh.service.requires/"
  # Installing the package enabled ssh.service already; this makes sure of it on every suite.
  ln -sf /lib/systemd/system/ssh.service "$units/multi-user.target.wants/ssh.service"
}

build() {
  local suite=$1 image=$2
  if ! command -v debootstrap >/dev/null; then
    printf 'lab-image: installing debootstrap\n' >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
      || die "could not install debootstrap"
  fi
  root=$(mktemp -d /var/tmp/flaskstack-lab-XXXXXX)
  trap 'rm -rf "$root"' EXIT  # $root is global so the trap still sees it at exit
  printf 'lab-image: building %s with debootstrap (about a minute)\n' "$image" >&2
  debootstrap --variant=minbase --include="$PACKAGES" "$suite" "$root" "$MIRROR" >"$root.log" 2>&1 \
    || { tail -20 "$root.log" >&2; die "debootstrap $suite failed (log: $root.log)"; }
  rm -f "$root.log"
  if compgen -G "$CA_DIR/*.crt" >/dev/null; then
    cp "$CA_DIR"/*.crt "$root$CA_DIR/"
    chroot "$root" update-ca-certificates >/dev/null
  fi
  # A container has no console or udev; these units only fail or wait there.
  for unit in getty@tty1.service systemd-udevd.service systemd-udev-trigger.service \
    systemd-remount-fs.service systemd-firstboot.service console-getty.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  configure_sshd "$root"
  printf 'deb %s %s main\n' "$MIRROR" "$suite" >"$root/etc/apt/sources.list"
  # Fresh package lists, so the roles' apt cache_valid_time spares an update on first converge.
  chroot "$root" apt-get -qq -o APT::Sandbox::User=root update
  chroot "$root" apt-get -qq clean
  : >"$root/etc/machine-id"
  tar -C "$root" -c . | docker import \
    -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' \
    - "$image" >/dev/null
  printf 'lab-image: built %s\n' "$image" >&2
}

main() {
  local name_only=false suite image
  if [ "${1:-}" = --name ]; then name_only=true; shift; fi
  suite=${1:?usage: lab-image.sh [--name] SUITE}
  case $suite in bookworm | trixie) ;; *) die "unknown suite $suite (bookworm or trixie)" ;; esac
  image=$(image_name "$suite")
  if ! $name_only && ! docker image inspect "$image" >/dev/null 2>&1; then
    build "$suite" "$image"
  fi
  printf '%s\n' "$image"
}

main "$@"
