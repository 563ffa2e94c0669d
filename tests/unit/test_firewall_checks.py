"""The firewall role's plan and checks (plugins/module_utils/firewall_checks.py)."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.flaskstack.stack.plugins.module_utils.firewall_checks import (
    firewall_addresses,
    firewall_plan,
    firewall_problems,
    listen_port,
)

CLUSTER = {
    "balancers": ["lb1", "lb2"],
    "web": ["app1", "app2"],
    "app": ["app1", "app2"],
    "nginx_listen": ["80", "[::]:80"],
    "nginx_tls_listen": ["443", "[::]:443"],
    "apps": [
        {"name": "shop"},
        {"name": "blog", "balancer_protocol": "http"},
        {"name": "api", "uwsgi_port": 9100},
        {"name": "old", "state": "absent"},
        {"name": "docs", "site": "shop"},
    ],
    "balancer_protocol": "uwsgi",
    "uwsgi_base_port": 9000,
    "backend_port": 8080,
    "balancer_sources": ["10.0.0.10", "fd00::10"],
    "ssh_port": 22,
    "ssh_sources": ["192.0.2.0/24"],
    "allow": [{"port": 9100, "sources": ["10.0.0.0/8"]}, {"port": 53, "proto": "udp"}],
}


@pytest.mark.parametrize(
    ("listen", "port"),
    [
        ("80", 80),
        ("[::]:443 ssl", 443),
        ("10.0.0.1:8080", 8080),
        ("unix:/run/nginx.sock", None),
        ("[::1]", 80),
    ],
)
def test_listen_port(listen: str, port: int | None) -> None:
    assert listen_port(listen) == port


def test_an_app_host_behind_balancers_opens_its_backends_to_them_only() -> None:
    plan = firewall_plan({**CLUSTER, "host": "app1"})
    assert plan["public_tcp"] == []
    # nginx's listeners and backend port; shop at the base port, api at its own; blog
    # goes over HTTP, old is gone, docs lives on shop's site.
    assert plan["balancer_tcp"] == [80, 8080, 9000, 9100]
    assert plan["balancer_sources"] == {"ipv4": ["10.0.0.10/32"], "ipv6": ["fd00::10/128"]}
    assert plan["ssh_sources"] == {"ipv4": ["192.0.2.0/24"], "ipv6": []}
    assert plan["allow"] == [
        {"port": 9100, "proto": "tcp", "sources": {"ipv4": ["10.0.0.0/8"], "ipv6": []}},
        {"port": 53, "proto": "udp", "sources": None},
    ]


def test_a_balancer_and_a_lone_web_host_open_nginx_to_all() -> None:
    balancer = firewall_plan({**CLUSTER, "host": "lb1"})
    assert (balancer["public_tcp"], balancer["balancer_tcp"]) == ([80, 443], [])
    alone = firewall_plan({**CLUSTER, "host": "app1", "balancers": []})
    assert (alone["public_tcp"], alone["balancer_tcp"]) == ([80, 443], [])


def test_the_exporters_open_to_the_prometheus_servers_only() -> None:
    metrics = {"metrics_enabled": True, "metrics_sources": ["10.9.0.5"], "metrics_nginx_port": 9113}
    metrics["metrics_uwsgi_port"] = 9117
    scrape = {"ipv4": ["10.9.0.5/32"], "ipv6": []}
    app = firewall_plan({**CLUSTER, **metrics, "host": "app1"})["allow"][2:]
    assert app == [
        {"port": 9113, "proto": "tcp", "sources": scrape},
        {"port": 9117, "proto": "tcp", "sources": scrape},
    ]
    balancer = firewall_plan({**CLUSTER, **metrics, "host": "lb1"})["allow"][2:]
    assert balancer == [{"port": 9113, "proto": "tcp", "sources": scrape}]
    # Without scrape sources (a Prometheus on the host itself, through loopback) or with
    # metrics off, nothing more opens.
    assert len(firewall_plan({**CLUSTER, **metrics, "metrics_sources": [], "host": "app1"})["allow"]) == 2
    assert len(firewall_plan({**CLUSTER, **metrics, "metrics_enabled": False, "host": "app1"})["allow"]) == 2


def test_balancer_addresses_come_from_firewall_address_then_ansible_host() -> None:
    hostvars = {
        "a": {"firewall_address": "10.0.0.1", "ansible_host": "a.example"},
        "b": {"ansible_host": "10.0.0.2"},
        "c": {},
    }
    assert firewall_addresses(["a", "b", "c"], hostvars) == ["10.0.0.1", "10.0.0.2", "c"]


SETTINGS: dict[str, Any] = {
    "firewall_ssh_sources": ["0.0.0.0/0", "::/0"],
    "firewall_ssh_port": 22,
    "firewall_balancer_sources": [],
    "firewall_allow": [],
    "firewall_rollback_seconds": 60,
    "firewall_reconnect_seconds": 20,
    "balancers": ["lb1"],
    "balancer_addresses": ["10.0.0.10"],
}


def test_the_defaults_pass() -> None:
    assert firewall_problems(SETTINGS) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"firewall_ssh_sources": []}, "firewall_ssh_sources = []: give at least one"),
        (
            {"firewall_ssh_sources": ["office"]},
            "firewall_ssh_sources[0] = 'office': an IP address or network",
        ),
        ({"firewall_ssh_port": 0}, "firewall_ssh_port = 0: a port"),
        (
            {"balancer_addresses": ["fs-lb"]},
            "firewall_balancer_sources = []: balancer lb1 is reached as 'fs-lb'",
        ),
        ({"firewall_allow": [{"port": 70000}]}, "firewall_allow[0].port = 70000: a port"),
        ({"firewall_allow": [{"port": 53, "proto": "icmp"}]}, "firewall_allow[0].proto = 'icmp': tcp or udp"),
        (
            {"firewall_reconnect_seconds": 58},
            "firewall_rollback_seconds = 60: must exceed firewall_reconnect_seconds",
        ),
    ],
)
def test_problems_name_the_variable(changes: dict[str, Any], expected: str) -> None:
    found = firewall_problems({**SETTINGS, **changes})
    assert len(found) == 1, found
    assert found[0].startswith(expected), found
