"""The addresses systemd holds for nginx (nginx.socket), derived from `listen` arguments.

systemd binds each address once and hands the sockets to every nginx it starts, so a
connection that arrives while nginx restarts waits in the socket's backlog instead of
being refused. Only plain IP addresses can be handed over: a host name is resolved by
nginx itself, a unix socket or `reuseport` (one socket per worker) or `ipv6only=off`
(systemd binds [::] sockets IPv6-only here) stay nginx's own.
"""

from __future__ import annotations

import ipaddress
from typing import Any

NOT_HANDED_OVER = ("reuseport", "ipv6only=off")


def listen_host_port(address: str) -> tuple[str, str]:
    """Host and port of an nginx listen address without its parameters: "80" ("*", "80"),
    "[::]:443", "10.0.0.1:8080", "example.com" (port 80)."""
    if address.isdigit():
        return "*", address
    if address.startswith("["):
        host, _, port = address[1:].partition("]")
        return host, port.removeprefix(":") or "80"
    if ":" in address:
        host, _, port = address.rpartition(":")
        return host, port
    return address, "80"


def socket_address(listen: str) -> str | None:
    """ListenStream= value for one nginx `listen` argument string, or None if nginx binds it itself."""
    address, *params = listen.split()
    if address.startswith("unix:") or any(param in NOT_HANDED_OVER for param in params):
        return None
    host, port = listen_host_port(address)
    if host == "*":
        host = "0.0.0.0"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    return f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"


def nginx_socket_addresses(listens: list[Any]) -> list[str]:
    """Unique ListenStream= values, in the order the listen arguments give them."""
    found: list[str] = []
    for listen in listens:
        address = socket_address(str(listen))
        if address is not None and address not in found:
            found.append(address)
    return found
