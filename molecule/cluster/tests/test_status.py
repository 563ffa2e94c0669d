"""playbooks/status.yml on the cluster, under load (side_effect.yml's steps 9 and 10, after
the scale-in): the table an operator reads and the data for machines say what the hosts
themselves say, and the play changes nothing."""

from __future__ import annotations

import re

import testinfra
from testlib import docker_hosts, role_default, status_entries, step, unix_json, whole_output

testinfra_hosts = docker_hosts("balancers")

SERVING = {"fs-cluster-app2": "172.31.250.12", "fs-cluster-app3": "172.31.250.13"}


def app_host(name: str):
    return testinfra.get_host(f"docker://{name}")


def status_data(host) -> dict:
    """Each host's entry of the play run with -e format=json and Ansible's json callback."""
    return {entry["host"]: entry for entry in status_entries(whole_output(host, "step10-status-json"))}


def test_the_status_play_changes_nothing_and_is_fast(host):
    for name in ("step9-status", "step10-status-json"):
        recorded = step(host, name)
        assert recorded["rc"] == 0, recorded["output"]
        print(f"{name}: {recorded['delta']}")
    recap = step(host, "step9-status")["recap"]
    assert len(recap) == 4, recap
    assert all(re.search(r"changed=0\s.*unreachable=0\s+failed=0\s", line) for line in recap), recap


def test_the_table_shows_each_host_app_and_upstream_server(host):
    text = whole_output(host, "step9-status")
    print(text[text.index("TASK [Show every host]") :])
    assert "fs-cluster-lb [balancers]" in text
    assert "fs-cluster-app1 [web, app]" in text
    for name, address in SERVING.items():
        assert f"{name} [web, app]" in text
        rows = [line.split() for line in text.splitlines() if f" {name} " in line and address in line]
        assert sorted((row[0], row[2], row[-1]) for row in rows) == [
            ("sample", f"{address}:8080", "yes"),
            ("sample-uwsgi", f"{address}:9000", "yes"),
            ("tiers", f"{address}:8080", "yes"),
        ], rows
    app_rows = [line.split() for line in text.splitlines() if re.match(r"\s+(sample|tiers)\s+\w{8,}", line)]
    assert len(app_rows) == 4, app_rows
    assert all(row[-1] == "200" for row in app_rows), app_rows
    assert re.search(r"nginx: \d+ active connections", text)


def test_the_data_matches_what_each_host_says(host):
    data = status_data(host)
    assert set(data) == {"fs-cluster-lb", "fs-cluster-app1", *SERVING}
    assert data["fs-cluster-app1"]["report"]["apps"] == []  # retired
    for name in SERVING:
        target = app_host(name)
        apps = {app["name"]: app for app in data[name]["report"]["apps"]}
        assert set(apps) == {"sample", "tiers"}
        for app_name, app in apps.items():
            live = target.file(f"/srv/{app_name}/current").linked_to.rsplit("/", 1)[1]
            assert app["live"]["id"] == live
            stats = unix_json(target, f"/run/uwsgi/{app_name}/stats.sock")
            assert app["workers"] == len(stats["workers"])
            assert app["busy"] + app["idle"] == app["workers"]
            assert 0 < app["requests"] <= sum(worker["requests"] for worker in stats["workers"])
            assert app["health"]["status"] == 200
            assert app["rss"] > 10 * 1024 * 1024
            # The emperor's unix socket for the local nginx (uwsgi_somaxconn), and sample's
            # TCP socket for the balancers (its vassal's `listen`): only TCP counts overflows.
            backlog = role_default("uwsgi", "uwsgi_somaxconn")
            if app_name == "sample":
                assert (
                    app["listen_queue_max"]
                    == backlog + role_default("uwsgi", "uwsgi_vassal_defaults")["listen"]
                )
                assert app["listen_queue_overflows"] == 0
            else:
                assert app["listen_queue_max"] == backlog
                assert app["listen_queue_overflows"] is None
        if name == "fs-cluster-app2":
            # sample went v1 -> v2 -> v1 here: its previous release is v2's, live before the rollback.
            assert apps["sample"]["previous"]["id"] != apps["sample"]["live"]["id"]
            assert apps["sample"]["live"]["since"] >= apps["sample"]["previous"]["since"]
        else:
            # fs-cluster-app3 joined with v1 and has had no other release.
            assert apps["sample"]["previous"] is None
    balancer = data["fs-cluster-lb"]["report"]
    servers = {(server["upstream"], server["host"]): server for server in balancer["upstreams"]}
    assert set(servers) == {
        (upstream, name) for upstream in ("sample", "sample-uwsgi", "tiers") for name in SERVING
    }
    assert all(server["opens"] and not server["down"] and not server["backup"] for server in servers.values())
    assert balancer["nginx"]["active"] >= 1
    assert balancer["nginx"]["requests"] > 1000
