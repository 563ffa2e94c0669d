"""Every host of the cluster behind its firewall (roles/firewall, firewall_enabled).

The app hosts' backend ports (nginx's 80 and 8080, sample's uWSGI socket on 9000) answer
the balancer only; the balancer answers everyone on 80. Then, over SSH as an operator
runs it: a rule set that cuts the play's connection undoes itself, and one that lets the
play back in stays.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
import testinfra
import yaml
from testlib import docker_hosts

testinfra_hosts = docker_hosts("balancers")

BALANCER, APP1, APP2 = "172.31.250.10", "172.31.250.11", "172.31.250.12"
PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
# Short timings for the SSH runs: the play gives up after 8 s, the host rolls back at 20 s.
TIMINGS = {"firewall_rollback_seconds": 20, "firewall_reconnect_seconds": 8}


def app_host(name: str):
    return testinfra.get_host(f"docker://{name}")


def reaches(host, address: str, port: int) -> bool:
    """Whether HOST opens a TCP connection to ADDRESS:PORT within 3 s (a drop times out)."""
    return host.run(f"timeout 3 bash -c '</dev/tcp/{address}/{port}'").rc == 0


def controller_reaches(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=3):
            return True
    except OSError:
        return False


def live_rules(name: str) -> str:
    return app_host(name).check_output("nft list table inet flaskstack")


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
    app2 = app_host("fs-cluster-app2")
    for port in (80, 8080, 9000):
        assert reaches(host, APP1, port), f"balancer -> app1:{port}"
        assert not reaches(app2, APP1, port), f"app2 -> app1:{port}"
        assert not controller_reaches(APP1, port), f"controller -> app1:{port}"
    # Through the backend port, the app answers the balancer.
    status = host.check_output(
        f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 5 -H 'Host: tiers.test' http://{APP1}:8080/"
    )
    assert status == "200"
    # SSH stays open; the balancer's nginx answers everyone.
    assert controller_reaches(APP1, 22)
    assert reaches(app2, BALANCER, 80)
    assert controller_reaches(BALANCER, 80)


@pytest.fixture(scope="module")
def ssh_inventory(tmp_path_factory) -> Path:
    """An inventory that reaches fs-cluster-app1 over SSH (its firewall applies), with a key
    made for this run; used after the scenario's own inventory."""
    directory = tmp_path_factory.mktemp("ssh")
    key = directory / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    app1 = app_host("fs-cluster-app1")
    public = (directory / "id_ed25519.pub").read_text(encoding="utf-8").strip()
    app1.check_output(
        f"install -d -m 0700 /root/.ssh && echo '{public}' > /root/.ssh/authorized_keys"
        " && chmod 0600 /root/.ssh/authorized_keys && systemctl start ssh"
    )
    host_key = app1.check_output("cat /etc/ssh/ssh_host_ed25519_key.pub").split()[:2]
    known_hosts = directory / "known_hosts"
    known_hosts.write_text(f"{APP1} {' '.join(host_key)}\n", encoding="utf-8")
    options = f"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={known_hosts} -o IdentitiesOnly=yes"
    host_vars = {
        "ansible_connection": "ansible.builtin.ssh",
        "ansible_host": APP1,
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(key),
        "ansible_ssh_common_args": options,
    }
    inventory = directory / "ssh.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"fs-cluster-app1": host_vars}}}), encoding="utf-8")
    return inventory


def firewall_play(inventory: Path, extra: dict) -> subprocess.CompletedProcess:
    """playbooks/firewall.yml on fs-cluster-app1 over SSH, with EXTRA variables."""
    command = [
        "ansible-playbook",
        "-i",
        os.environ["MOLECULE_INVENTORY_FILE"],
        "-i",
        str(inventory),
        "--limit",
        "fs-cluster-app1",
        "-e",
        json.dumps({**TIMINGS, **extra}),
        str(PROJECT / "playbooks" / "firewall.yml"),
    ]
    return subprocess.run(command, capture_output=True, text=True, cwd=PROJECT, timeout=300, check=False)


def ssh_answers(inventory: Path) -> bool:
    host_vars = yaml.safe_load(inventory.read_text(encoding="utf-8"))["all"]["hosts"]["fs-cluster-app1"]
    command = [
        "ssh",
        "-i",
        host_vars["ansible_ssh_private_key_file"],
        *host_vars["ansible_ssh_common_args"].split(),
    ]
    command += ["-o", "BatchMode=yes", "-o", "ConnectTimeout=3", f"root@{APP1}", "true"]
    return subprocess.run(command, capture_output=True, timeout=30, check=False).returncode == 0


def test_rules_that_cut_the_play_off_roll_back_by_themselves(host, ssh_inventory):
    before = live_rules("fs-cluster-app1")
    assert ssh_answers(ssh_inventory)
    started = time.monotonic()
    # SSH only from a documentation network: the play's next connection cannot get in.
    run = firewall_play(ssh_inventory, {"firewall_ssh_sources": ["192.0.2.0/24"]})
    assert run.returncode != 0, run.stdout
    assert "let no new connection of this play through" in run.stdout, run.stdout
    # Locked out for now, while the balancer still reaches the app.
    assert "192.0.2.0/24" in live_rules("fs-cluster-app1")
    assert not ssh_answers(ssh_inventory)
    assert reaches(host, APP1, 9000)
    # Then the host puts the confirmed rules back by itself.
    deadline = started + 60
    while time.monotonic() < deadline and not ssh_answers(ssh_inventory):
        time.sleep(1)
    back_after = time.monotonic() - started
    rollback = TIMINGS["firewall_rollback_seconds"]
    print(f"locked out, then back in after {back_after:.1f} s (rollback at {rollback} s)")
    assert ssh_answers(ssh_inventory)
    assert live_rules("fs-cluster-app1") == before
    journal = app_host("fs-cluster-app1").check_output(
        "journalctl -u flaskstack-firewall-rollback --no-pager"
    )
    assert "is back in force" in journal


def test_rules_the_play_gets_through_stay(ssh_inventory):
    run = firewall_play(ssh_inventory, {"firewall_allow": [{"port": 9999, "sources": [BALANCER]}]})
    assert run.returncode == 0, run.stdout
    # Past the rollback time, the confirmed rules hold, and would at the next boot.
    time.sleep(TIMINGS["firewall_rollback_seconds"] + 3)
    app1 = app_host("fs-cluster-app1")
    assert "tcp dport 9999 accept" in live_rules("fs-cluster-app1")
    assert "9999" in app1.file("/etc/flaskstack/firewall.nft").content_string
    assert app1.run("systemctl is-active flaskstack-firewall-rollback.timer").stdout.strip() != "active"
    # The scenario's own rules again, over SSH too.
    run = firewall_play(ssh_inventory, {})
    assert run.returncode == 0, run.stdout
    assert "9999" not in live_rules("fs-cluster-app1")
