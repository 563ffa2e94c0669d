"""roles/uwsgi alone: one emperor under systemd, vassals started, reloaded and stopped one by one."""

from __future__ import annotations

import time

import pytest
from testlib import (
    assert_masked_and_cannot_start,
    assert_running,
    docker_hosts,
    journal,
    role_default,
    unix_json,
    uwsgi_get,
)
from testlib import test_nginx_and_the_emperor_are_sandboxed as test_nginx_and_the_emperor_are_sandboxed
from testlib import test_no_app_or_worker_process_runs_as_root as test_no_app_or_worker_process_runs_as_root

testinfra_hosts = docker_hosts("app")

EMPEROR_STATS = "/run/uwsgi-emperor/stats.sock"
ANSWERS = {"hello": "hello hi", "other": "other -"}


def answer(host, vassal: str) -> str:
    """What the vassal answers on its uwsgi socket, the one nginx would use.

    A vassal may start only at the first connection to its socket (on-demand vassals), so
    this also starts it.
    """
    return uwsgi_get(host, f"/run/uwsgi/{vassal}/socket").body


def stats(host, vassal: str) -> dict:
    assert answer(host, vassal) == ANSWERS[vassal]
    return unix_json(host, f"/run/uwsgi/{vassal}/stats.sock")


def worker_pids(host, vassal: str) -> set[int]:
    return {worker["pid"] for worker in stats(host, vassal)["workers"]}


def worker_pids_or_none(host, vassal: str) -> set[int] | None:
    """The worker pids, or None while the vassal does not answer (it is being reloaded)."""
    try:
        return worker_pids(host, vassal)
    except (AssertionError, ValueError):
        return None


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def test_emperor_enabled_and_running(host):
    assert_running(host, "uwsgi-emperor")


def test_emperor_runs_uwsgi_core_and_tells_systemd_how_it_is(host):
    main_pid = host.service("uwsgi-emperor").systemd_properties["MainPID"]
    command = host.file(f"/proc/{main_pid}/cmdline").content_string.split("\0")
    assert command[:3] == ["/usr/bin/uwsgi-core", "--ini", "/etc/uwsgi/emperor.ini"]
    # Type=notify: uWSGI reports its state to systemd (sd_notify), which shows it.
    status = host.check_output("systemctl show --property StatusText --value uwsgi-emperor")
    assert status, "the emperor sent systemd no status"


def test_emperor_is_stopped_with_sigquit(host):
    """What systemd will send on stop (3, SIGQUIT): seen only by stopping the emperor, which
    the faults scenario does; read here from systemd's loaded unit."""
    assert host.check_output("systemctl show --property KillSignal --value uwsgi-emperor") == "3"


def test_debian_uwsgi_service_was_stopped_and_is_masked(host):
    """The prepare step installed Debian's uwsgi package, whose service then ran (the
    prepare checked it); the converge stopped and masked it, and it cannot be started."""
    assert host.package("uwsgi").is_installed
    assert_masked_and_cannot_start(host, "uwsgi")
    assert_running(host, "uwsgi-emperor")


def test_emperor_lists_the_vassals(host):
    vassals = {vassal["id"] for vassal in unix_json(host, EMPEROR_STATS)["vassals"]}
    assert vassals == {"/etc/uwsgi/vassals/hello.ini", "/etc/uwsgi/vassals/other.ini"}


def test_removed_vassal_is_gone(host):
    assert not host.file("/etc/uwsgi/vassals/gone.ini").exists
    assert not host.file("/run/uwsgi/gone").exists
    assert host.run("pgrep -f '^\\[gon[e]\\]'").rc == 1


@pytest.mark.parametrize(
    ("vassal", "port", "answer"), [("hello", 8001, "hello hi"), ("other", 8002, "other -")]
)
def test_vassals_answer(host, vassal, port, answer):
    # On their uwsgi socket (which starts them), and on the http-socket of their options.
    assert uwsgi_get(host, f"/run/uwsgi/{vassal}/socket").body == answer
    assert host.run(f"curl -s http://127.0.0.1:{port}/").stdout == answer


def test_vassal_defaults_take_effect(host):
    """The role's defaults, seen in the running vassal: a master process over the workers,
    one thread per worker, and the listen backlog on the vassal's own socket. (Both vassals
    start under strict mode, so a misplaced plugins line or a `threads = None` would have
    kept them from answering at all; harakiri is shown by the faults scenario.)"""
    hello = stats(host, "hello")
    for worker in hello["workers"]:
        assert (
            host.file(f"/proc/{worker['pid']}/status").content_string.count(f"PPid:\t{hello['pid']}\n") == 1
        )
        assert len(worker["cores"]) == 1, worker
    listen = host.check_output("ss --no-header --listening --tcp --numeric 'sport = :8001'").split()
    assert listen[2] == str(role_default("uwsgi", "uwsgi_vassal_defaults")["listen"]), listen


def test_workers_follow_cpu_count(host):
    cores = int(host.run("nproc").stdout)
    per_core = role_default("uwsgi", "uwsgi_vassal_processes_per_core")
    assert len(worker_pids(host, "hello")) == per_core * cores
    assert len(worker_pids(host, "other")) == 1


def test_runtime_directory_admits_the_app_and_nginx_only(host):
    run_dir = host.file("/run/uwsgi/hello")
    assert (run_dir.user, run_dir.group, run_dir.mode) == ("nobody", "www-data", 0o750)
    assert uwsgi_get(host, "/run/uwsgi/hello/socket", user="www-data").body == "hello hi"
    refused = uwsgi_get(host, "/run/uwsgi/hello/socket", user="daemon")
    assert refused.exit_code == 3, refused
    assert "Permission denied" in refused.body, refused


def test_runtime_directory_comes_back_at_boot(host):
    """A tmpfiles.d entry makes systemd create the directory at boot: shown only by a
    reboot, which the faults scenario does; here the entry's line."""
    line = host.check_output("systemd-tmpfiles --cat-config | grep '^d /run/uwsgi/hello '")
    assert line.split()[2:5] == ["0750", "nobody", "www-data"], line


def test_vassal_file_uwsgi_refuses_never_goes_live(host):
    assert not host.file("/root/bad-vassal-accepted").exists
    assert "unknown config directive: harakri" in host.file("/root/bad-vassal-refused").content_string
    assert "harakri" not in host.file("/etc/uwsgi/vassals/hello.ini").content_string
    # Not even reloaded: the same worker processes, still answering.
    before = host.file("/root/bad-vassal-pids-before").content_string.split()
    assert sorted(host.check_output("pgrep -f '^\\[hello\\]'").split()) == sorted(before)
    assert answer(host, "hello") == "hello hi"


def test_changed_vassal_reloads_only_itself(host):
    emperor_pid = host.service("uwsgi-emperor").systemd_properties["MainPID"]
    hello_before, other_before = worker_pids(host, "hello"), worker_pids(host, "other")
    host.run("touch /etc/uwsgi/vassals/hello.ini")
    assert wait_for(lambda: (worker_pids_or_none(host, "hello") or hello_before).isdisjoint(hello_before)), (
        "hello was not reloaded"
    )
    assert worker_pids(host, "other") == other_before
    assert host.service("uwsgi-emperor").systemd_properties["MainPID"] == emperor_pid


def test_removed_vassal_file_stops_only_that_app(host):
    other_pids = worker_pids(host, "other")
    host.run("mv /etc/uwsgi/vassals/other.ini /root/other.ini")
    try:
        assert wait_for(lambda: all(not host.file(f"/proc/{pid}").exists for pid in other_pids))
        assert answer(host, "hello") == "hello hi"
    finally:
        host.run("mv /root/other.ini /etc/uwsgi/vassals/other.ini")
    assert wait_for(lambda: answer(host, "other") == "other -")


def test_each_vassal_logs_to_the_journal_under_its_own_name(host):
    log = host.check_output("journalctl --identifier uwsgi-hello --no-pager --output cat")
    assert "spawned uWSGI worker" in log
    assert "uwsgi-other" not in log


# Kills the emperor; runs last in this file.
def test_emperor_that_dies_is_restarted_and_serves_again(host):
    before = host.service("uwsgi-emperor").systemd_properties["MainPID"]
    host.check_output(f"kill -KILL {before}")
    assert wait_for(
        lambda: (
            host.service("uwsgi-emperor").systemd_properties["MainPID"] not in ("0", before)
            and host.service("uwsgi-emperor").is_running
        )
    ), f"the emperor was not restarted\n{journal(host, 'uwsgi-emperor')}"
    assert wait_for(lambda: answer(host, "hello") == "hello hi")
    assert wait_for(lambda: answer(host, "other") == "other -")
