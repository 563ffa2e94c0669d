"""The firewall role's rules from the inventory, and its input checks.

firewall_plan(settings) turns what the inventory says about a host (its groups, the nginx
and flaskapp variables that decide its ports, the balancers' addresses) into the ports
its nftables rules open, and to whom. firewall_problems(settings) checks the firewall_*
variables. Both run on the controller (plugins/filter/firewall.py).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ansible_collections.flaskstack.stack.plugins.module_utils.checks import (
    check_networks,
    is_network,
    problem,
)
from ansible_collections.flaskstack.stack.plugins.module_utils.nginx_sockets import listen_host_port

PROTOCOLS = ("tcp", "udp")


def listen_port(listen: str) -> int | None:
    """The TCP port of an nginx listen argument ("80", "[::]:443 ssl", "10.0.0.1:8080"), or
    None for a unix socket."""
    address = str(listen).split()[0]
    if address.startswith("unix:"):
        return None
    return int(listen_host_port(address)[1])


def networks(values: list[Any]) -> dict[str, list[str]]:
    """VALUES (addresses or networks) split by family, as nftables writes them."""
    found: dict[str, list[str]] = {"ipv4": [], "ipv6": []}
    for value in values:
        network = ipaddress.ip_network(str(value), strict=False)
        found["ipv4" if network.version == 4 else "ipv6"].append(str(network))
    return found


def app_uwsgi_ports(settings: dict[str, Any]) -> list[int]:
    """The TCP sockets of a cluster's app host (apps the balancers reach over uwsgi), as the
    flaskapp role numbers them: `uwsgi_port`, else flaskapp_uwsgi_base_port + position."""
    apps = settings.get("apps") or []
    ports = []
    for index, app in enumerate(apps):
        if app.get("state", "present") != "present" or app.get("site"):
            continue
        if app.get("balancer_protocol", settings["balancer_protocol"]) == "uwsgi":
            ports.append(int(app.get("uwsgi_port", int(settings["uwsgi_base_port"]) + index)))
    return ports


def firewall_addresses(hosts: list[str], hostvars: Any) -> list[str]:
    """Each host's firewall_address, else its ansible_host, else its inventory name."""
    found = []
    for host in hosts:
        host_vars = hostvars[host]
        found.append(str(host_vars.get("firewall_address") or host_vars.get("ansible_host") or host))
    return found


def firewall_plan(settings: dict[str, Any]) -> dict[str, Any]:
    """What one host's rules open: public TCP ports, ports open to the balancers only, SSH."""
    host = settings["host"]
    balancer = host in settings["balancers"]
    clustered_app = host in settings["app"] and bool(settings["balancers"]) and not balancer
    public: set[int | None] = set()
    private: set[int | None] = set()
    if balancer or (host in settings["web"] and not clustered_app):
        public = {
            listen_port(listen) for listen in [*settings["nginx_listen"], *settings["nginx_tls_listen"]]
        }
    if clustered_app:
        private = {listen_port(listen) for listen in settings["nginx_listen"]}
        private |= {int(settings["backend_port"]), *app_uwsgi_ports(settings)}
    allow = [
        {
            "port": int(rule["port"]),
            "proto": rule.get("proto", "tcp"),
            "sources": networks(rule["sources"]) if rule.get("sources") else None,
        }
        for rule in settings["allow"]
    ]
    # The metrics role's exporters, to the Prometheus servers only (loopback is always open).
    if settings.get("metrics_enabled") and settings.get("metrics_sources"):
        ports = [settings["metrics_nginx_port"]] if balancer or host in settings["web"] else []
        ports += [settings["metrics_uwsgi_port"]] if host in settings["app"] else []
        allow += [
            {"port": int(port), "proto": "tcp", "sources": networks(settings["metrics_sources"])}
            for port in ports
        ]
    return {
        "public_tcp": sorted(public - {None}),
        "balancer_tcp": sorted(private - {None}),
        "balancer_sources": networks(settings["balancer_sources"]) if clustered_app else networks([]),
        "ssh_port": int(settings["ssh_port"]),
        "ssh_sources": networks(settings["ssh_sources"]),
        "allow": allow,
    }


def check_port(where: str, value: Any) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        return [problem(where, value, "a port from 1 to 65535")]
    return []


def firewall_problems(settings: dict[str, Any]) -> list[str]:
    """Problems of the firewall_* variables (SETTINGS: name -> value), and of what the
    plan reads: the balancers' addresses must be IP addresses."""
    found = check_networks("firewall_ssh_sources", settings["firewall_ssh_sources"], empty_ok=False)
    found += check_port("firewall_ssh_port", settings["firewall_ssh_port"])
    sources = settings["firewall_balancer_sources"]
    if sources:
        found += check_networks("firewall_balancer_sources", sources)
    else:
        for host, address in zip(settings["balancers"], settings["balancer_addresses"], strict=True):
            if not is_network(address):
                found.append(
                    problem(
                        "firewall_balancer_sources",
                        [],
                        f"balancer {host} is reached as {address!r}, not an IP address: set its"
                        " firewall_address (where it connects to the app hosts from), or list the"
                        " balancers' addresses here",
                    )
                )
    for index, rule in enumerate(settings["firewall_allow"]):
        at = f"firewall_allow[{index}]"
        if not isinstance(rule, dict):
            found.append(problem(at, rule, "must be {port: 9100, proto: tcp, sources: [10.0.0.0/8]}"))
            continue
        found += check_port(f"{at}.port", rule.get("port"))
        if rule.get("proto", "tcp") not in PROTOCOLS:
            found.append(problem(f"{at}.proto", rule.get("proto"), "tcp or udp"))
        if rule.get("sources") is not None:
            found += check_networks(f"{at}.sources", rule["sources"], empty_ok=False)
    rollback = settings["firewall_rollback_seconds"]
    reconnect = settings["firewall_reconnect_seconds"]
    for name, value in (("firewall_rollback_seconds", rollback), ("firewall_reconnect_seconds", reconnect)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 5:
            found.append(problem(name, value, "must be a whole number of seconds, at least 5"))
    if not found and reconnect + 5 > rollback:
        found.append(
            problem(
                "firewall_rollback_seconds",
                rollback,
                f"must exceed firewall_reconnect_seconds ({reconnect}) by 5 s or more:"
                " the rules are rolled back only once the play gave up reconnecting",
            )
        )
    return found
