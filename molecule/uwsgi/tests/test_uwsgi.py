"""roles/uwsgi alone: one emperor under systemd, vassals started, reloaded and stopped one by one."""

from __future__ import annotations

import time

import pytest
from testlib import assert_running, docker_hosts, role_default, unix_json

testinfra_hosts = docker_hosts("app")

EMPEROR_STATS = "/run/uwsgi-emperor/stats.sock"


def worker_pids(host, vassal: str) -> set[int]:
    return {worker["pid"] for worker in unix_json(host, f"/run/uwsgi/{vassal}/stats.sock")["workers"]}


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def test_emperor_enabled_and_running(host):
    assert_running(host, "uwsgi-emperor")


def test_emperor_unit(host):
    unit = host.file("/etc/systemd/system/uwsgi-emperor.service").content_string
    assert "Type=notify" in unit
    assert "KillSignal=SIGQUIT" in unit
    assert "Restart=on-failure" in unit
    assert "ExecStart=/usr/bin/uwsgi-core --ini /etc/uwsgi/emperor.ini" in unit


def test_debian_uwsgi_service_is_masked(host):
    result = host.run("systemctl is-enabled uwsgi")
    assert result.stdout.strip() == "masked"
    assert not host.service("uwsgi").is_running


def test_emperor_lists_the_vassals(host):
    vassals = {vassal["id"] for vassal in unix_json(host, EMPEROR_STATS)["vassals"]}
    assert vassals == {"/etc/uwsgi/vassals/hello.ini", "/etc/uwsgi/vassals/other.ini"}


def test_removed_vassal_is_gone(host):
    assert not host.file("/etc/uwsgi/vassals/gone.ini").exists
    assert not host.file("/run/uwsgi/gone").exists


@pytest.mark.parametrize(
    ("vassal", "port", "answer"), [("hello", 8001, "hello hi"), ("other", 8002, "other -")]
)
def test_vassals_answer(host, vassal, port, answer):
    assert host.run(f"curl -s http://127.0.0.1:{port}/").stdout == answer


def test_vassal_defaults_and_overrides(host):
    hello = host.file("/etc/uwsgi/vassals/hello.ini").content_string
    options = [line for line in hello.splitlines() if line and not line.startswith("#")]
    assert options[:2] == ["[uwsgi]", "plugins = python3,syslog"], "plugins must come first"
    for line in ("master = true", "need-app = true", "harakiri = 30", "listen = 1024", "threads = 1"):
        assert line in hello
    other = host.file("/etc/uwsgi/vassals/other.ini").content_string
    assert "processes = 1" in other
    assert not [line for line in other.splitlines() if line.startswith("threads")], "null drops it"


def test_workers_follow_cpu_count(host):
    cores = int(host.run("nproc").stdout)
    per_core = role_default("uwsgi", "uwsgi_vassal_processes_per_core")
    assert len(worker_pids(host, "hello")) == per_core * cores
    assert len(worker_pids(host, "other")) == 1


def test_runtime_directory(host):
    run_dir = host.file("/run/uwsgi/hello")
    assert (run_dir.user, run_dir.group, run_dir.mode) == ("nobody", "www-data", 0o750)
    assert host.file("/etc/tmpfiles.d/uwsgi-hello.conf").exists


def test_vassal_file_uwsgi_refuses_never_goes_live(host):
    assert not host.file("/root/bad-vassal-accepted").exists
    assert "unknown config directive: harakri" in host.file("/root/bad-vassal-refused").content_string
    assert "harakri" not in host.file("/etc/uwsgi/vassals/hello.ini").content_string
    # Not even reloaded: the same worker processes, still answering.
    before = host.file("/root/bad-vassal-pids-before").content_string.split()
    assert sorted(host.check_output("pgrep -f '^\\[hello\\]'").split()) == sorted(before)
    assert host.run("curl -s http://127.0.0.1:8001/").stdout == "hello hi"


def test_changed_vassal_reloads_only_itself(host):
    emperor_pid = host.service("uwsgi-emperor").systemd_properties["MainPID"]
    hello_before, other_before = worker_pids(host, "hello"), worker_pids(host, "other")
    host.run("touch /etc/uwsgi/vassals/hello.ini")
    assert wait_for(lambda: worker_pids(host, "hello").isdisjoint(hello_before)), "hello was not reloaded"
    assert worker_pids(host, "other") == other_before
    assert host.service("uwsgi-emperor").systemd_properties["MainPID"] == emperor_pid


def test_removed_vassal_file_stops_only_that_app(host):
    other_pids = worker_pids(host, "other")
    host.run("mv /etc/uwsgi/vassals/other.ini /root/other.ini")
    try:
        assert wait_for(lambda: all(not host.file(f"/proc/{pid}").exists for pid in other_pids))
        assert host.run("curl -s http://127.0.0.1:8001/").stdout == "hello hi"
    finally:
        host.run("mv /root/other.ini /etc/uwsgi/vassals/other.ini")
    assert wait_for(lambda: host.run("curl -s http://127.0.0.1:8002/").stdout == "other -")


def test_each_vassal_logs_to_the_journal_under_its_own_name(host):
    log = host.check_output("journalctl --identifier uwsgi-hello --no-pager --output cat")
    assert "spawned uWSGI worker" in log
    assert "uwsgi-other" not in log
