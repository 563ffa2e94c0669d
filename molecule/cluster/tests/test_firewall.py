"""Every host of the cluster behind its firewall (roles/firewall, firewall_enabled).

The app hosts' backend ports (nginx's 80 and 8080, sample's uWSGI socket on 9000) answer
the balancer only; the balancer answers everyone on 80. Then, over SSH as an operator
runs it: a rule set that cuts the play's connection undoes itself, and one that lets the
play back in stays. The target is fs-cluster-app2, which serves the apps to the end
(fs-cluster-app1 was retired by the scale-in; its firewall stays).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest
import testinfra
import yaml
from testlib import docker_hosts

testinfra_hosts = docker_hosts("balancers")

BALANCER, APP2 = "172.31.250.10", "172.31.250.12"
TARGET = "fs-cluster-app2"
PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
# Short timings for the SSH runs: the play gives up after 6 s, the host rolls back at 15 s.
TIMINGS = {"firewall_rollback_seconds": 15, "firewall_reconnect_seconds": 6}


def app_host(name: str):
    return testinfra.get_host(f"docker://{name}")


def reaches(host, address: str, port: int) -> bool:
    """Whether HOST opens a TCP connection to ADDRESS:PORT within 1 s (on this network an
    answer takes a millisecond; a dropped SYN times out)."""
    return host.run(f"timeout 1 bash -c '</dev/tcp/{address}/{port}'").rc == 0


def controller_reaches(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1):
            return True
    except OSError:
        return False


def live_rules(name: str) -> str:
    """The live table, without its counters (which a reload resets)."""
    return app_host(name).check_output("nft --stateless list table inet flaskstack")


@pytest.mark.parametrize("name", ["fs-cluster-lb", "fs-cluster-app1", "fs-cluster-app2"])
def test_rules_are_in_force_and_loaded_at_boot(name):
    # fs-cluster-app2 was killed and started again by the side effect: its rules came back
    # with flaskstack-firewall.service.
    host = app_host(name)
    unit = host.service("flaskstack-firewall")
    assert unit.is_enabled
    assert unit.is_running or host.run("systemctl is-active flaskstack-firewall").stdout.strip() == "active"
    rules = live_rules(name)
    assert "policy drop" in rules
    assert host.file("/etc/flaskstack/firewall.nft").exists


def test_backend_ports_answer_the_balancer_only(host):
    app1 = app_host("fs-cluster-app1")
    for port in (80, 8080, 9000):
        assert reaches(host, APP2, port), f"balancer -> app2:{port}"
        assert not reaches(app1, APP2, port), f"app1 -> app2:{port}"
        assert not controller_reaches(APP2, port), f"controller -> app2:{port}"
    # Through the backend port, the app answers the balancer.
    status = host.check_output(
        f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 5 -H 'Host: tiers.test' http://{APP2}:8080/"
    )
    assert status == "200"
    # SSH stays open; the balancer's nginx answers everyone.
    assert controller_reaches(APP2, 22)
    assert reaches(app1, BALANCER, 80)
    assert controller_reaches(BALANCER, 80)


@pytest.fixture(scope="module")
def ssh_inventory(tmp_path_factory) -> Path:
    """An inventory that reaches TARGET over SSH (its firewall applies), with a key made for
    this run; used after the scenario's own inventory."""
    directory = tmp_path_factory.mktemp("ssh")
    key = directory / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    target = app_host(TARGET)
    public = (directory / "id_ed25519.pub").read_text(encoding="utf-8").strip()
    target.check_output(
        f"install -d -m 0700 /root/.ssh && echo '{public}' > /root/.ssh/authorized_keys"
        " && chmod 0600 /root/.ssh/authorized_keys && systemctl start ssh"
    )
    host_key = target.check_output("cat /etc/ssh/ssh_host_ed25519_key.pub").split()[:2]
    known_hosts = directory / "known_hosts"
    known_hosts.write_text(f"{APP2} {' '.join(host_key)}\n", encoding="utf-8")
    options = f"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={known_hosts} -o IdentitiesOnly=yes"
    host_vars = {
        "ansible_connection": "ansible.builtin.ssh",
        "ansible_host": APP2,
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(key),
        "ansible_ssh_common_args": options,
    }
    inventory = directory / "ssh.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {TARGET: host_vars}}}), encoding="utf-8")
    return inventory


def firewall_play(inventory: Path, extra: dict) -> str:
    """playbooks/firewall.yml on TARGET over SSH, with EXTRA variables: its output, without
    colours or line breaks, ending with its exit code ("rc=N")."""
    command = [
        "ansible-playbook",
        "-i",
        os.environ["MOLECULE_INVENTORY_FILE"],
        "-i",
        str(inventory),
        "--limit",
        TARGET,
        "-e",
        json.dumps({**TIMINGS, **extra}),
        str(PROJECT / "playbooks" / "firewall.yml"),
    ]
    run = subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=300,
        check=False,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
    )
    # Ansible 2.19 writes the recap to stdout, a task's error to stderr.
    text = re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr)
    return " ".join(text.split()) + f" rc={run.returncode}"


def ssh_answers(inventory: Path) -> bool:
    host_vars = yaml.safe_load(inventory.read_text(encoding="utf-8"))["all"]["hosts"][TARGET]
    command = [
        "ssh",
        "-i",
        host_vars["ansible_ssh_private_key_file"],
        *host_vars["ansible_ssh_common_args"].split(),
    ]
    command += ["-o", "BatchMode=yes", "-o", "ConnectTimeout=2", f"root@{APP2}", "true"]
    return subprocess.run(command, capture_output=True, timeout=30, check=False).returncode == 0


def test_rules_that_cut_the_play_off_roll_back_by_themselves(host, ssh_inventory):
    before = live_rules(TARGET)
    assert ssh_answers(ssh_inventory)
    started = time.monotonic()
    # SSH only from a documentation network: the play's next connection cannot get in.
    output = firewall_play(ssh_inventory, {"firewall_ssh_sources": ["192.0.2.0/24"]})
    assert output.endswith("rc=2"), output
    assert "failed=1" in output, output
    assert "rescued=1" in output, output
    assert "let no new connection of this play through" in output, output
    # Locked out for now, while the balancer still reaches the app.
    assert "192.0.2.0/24" in live_rules(TARGET)
    assert not ssh_answers(ssh_inventory)
    assert reaches(host, APP2, 9000)
    # Then the host puts the confirmed rules back by itself.
    deadline = started + 60
    while time.monotonic() < deadline and not ssh_answers(ssh_inventory):
        time.sleep(1)
    back_after = time.monotonic() - started
    rollback = TIMINGS["firewall_rollback_seconds"]
    print(f"locked out, then back in after {back_after:.1f} s (rollback at {rollback} s)")
    assert ssh_answers(ssh_inventory)
    assert live_rules(TARGET) == before
    journal = app_host(TARGET).check_output("journalctl -u flaskstack-firewall-rollback --no-pager")
    assert "is back in force" in journal


def test_rules_the_play_gets_through_stay(ssh_inventory):
    output = firewall_play(ssh_inventory, {"firewall_allow": [{"port": 9999, "sources": [BALANCER]}]})
    assert output.endswith("rc=0"), output
    # Confirmed: no rollback is armed any more (the timer is gone, not merely waiting), the
    # new rules are live and are the ones the next boot loads.
    target = app_host(TARGET)
    timers = target.check_output("systemctl list-timers --all --no-legend --plain")
    assert "flaskstack-firewall-rollback" not in timers, timers
    assert "tcp dport 9999 accept" in live_rules(TARGET)
    assert "9999" in target.file("/etc/flaskstack/firewall.nft").content_string
    # The scenario's own rules again, over SSH too.
    output = firewall_play(ssh_inventory, {})
    assert output.endswith("rc=0"), output
    assert "9999" not in live_rules(TARGET)
