"""Helpers every role's checks share: one problem sentence, counts, duplicates.

A problem is one sentence naming the variable (with its index path), the bad value and
what is allowed: `VARIABLE = VALUE: what is allowed`. The check functions of each role
(nginx_checks, uwsgi_checks, flaskapp_checks) return lists of them; an empty list means
the input is fine. The roles call them through the collection's filters (plugins/filter).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any


def problem(where: str, value: Any, why: str) -> str:
    return f"{where} = {value!r}: {why}"


def check_positive(where: str, value: Any, minimum: int = 1) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        return [problem(where, value, f"must be a whole number of at least {minimum}")]
    return []


def is_network(value: Any) -> bool:
    """Whether VALUE is an IP address or network (CIDR), as nginx's geo and nftables read them."""
    try:
        ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return False
    return True


# Private addresses: RFC 1918, unique local (fc00::/7), loopback, link-local, and the
# shared address space of carrier-grade NAT and overlay networks (100.64.0.0/10).
SHARED_SPACE = ipaddress.ip_network("100.64.0.0/10")


def is_private_ip(host: str) -> bool:
    """Whether HOST is an IP address that the internet cannot reach (never a wildcard)."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip in SHARED_SPACE
    ) and not ip.is_unspecified


def check_private_listen(where: str, value: Any, why: str) -> list[str]:
    """HOST:PORT ([HOST]:PORT for IPv6) where HOST is a private or loopback IP address."""
    host, _, port = value.rpartition(":") if isinstance(value, str) else ("", "", "")
    if not (port.isdigit() and 0 < int(port) < 65536 and is_private_ip(host)):
        return [
            problem(
                where,
                value,
                f"HOST:PORT with a private or loopback IP address, such as 127.0.0.1:8079: {why}",
            )
        ]
    return []


def check_networks(where: str, values: Any, empty_ok: bool = True) -> list[str]:
    """A list of IP addresses or networks (no host names)."""
    if not isinstance(values, list):
        return [problem(where, values, "must be a list of IP addresses or networks, such as 10.0.0.0/8")]
    if not values and not empty_ok:
        return [problem(where, values, "give at least one address or network, such as 10.0.0.0/8")]
    return [
        problem(
            f"{where}[{index}]",
            value,
            "an IP address or network, such as 10.0.0.5 or 10.0.0.0/8 (not a name)",
        )
        for index, value in enumerate(values)
        if not is_network(value)
    ]


def check_duplicates(values: Iterable[tuple[str, Any]], what: str, rule: str) -> list[str]:
    """VALUES are (path, value) pairs; report every value given more than once, with RULE."""
    seen: dict[Any, str] = {}
    found = []
    for path, value in values:
        if value in seen:
            found.append(problem(path, value, f"{what} already used by {seen[value]}; {rule}"))
        else:
            seen.setdefault(value, path)
    return found


# A systemd setting's name (ProtectSystem, ReadWritePaths, ...).
SYSTEMD_SETTING = re.compile(r"^[A-Z][A-Za-z0-9]+$")


def sandbox_problems(where: str, settings: Any) -> list[str]:
    """Problems of a unit's sandbox settings: a mapping of systemd [Service] settings.

    A value is a string, a number, a boolean or a list of strings (written space-separated);
    null or "" leaves the setting out. Paths of *Paths settings must be absolute.
    """
    if not isinstance(settings, dict):
        return [
            problem(where, settings, "must be a mapping of systemd settings (ProtectSystem: strict, ...)")
        ]
    found = []
    for name, value in settings.items():
        at = f"{where}.{name}"
        if not isinstance(name, str) or not SYSTEMD_SETTING.match(name):
            found.append(problem(at, name, "must be a systemd setting's name, like ProtectSystem"))
            continue
        words = value if isinstance(value, list) else [value]
        if not all(isinstance(word, (str, int, bool)) or word is None for word in words):
            found.append(problem(at, value, "must be a string, number, boolean or list of strings"))
            continue
        if any(isinstance(word, str) and ("\n" in word or "\r" in word) for word in words):
            found.append(problem(at, value, "must fit on one line"))
            continue
        if name.endswith("Paths"):
            paths = [str(word).lstrip("-+") for word in words if word not in (None, "")]
            for path in paths:
                if not path.startswith("/"):
                    found.append(problem(at, value, f"{path!r} is not an absolute path"))
    return found


def systemd_lines(settings: dict[str, Any]) -> list[str]:
    """SETTINGS as unit file lines, `Name=value`, in the mapping's order; null and "" are left out."""
    lines = []
    for name, value in settings.items():
        if value is None or value == "":
            continue
        words = value if isinstance(value, list) else [value]
        text = " ".join(str(word).lower() if isinstance(word, bool) else str(word) for word in words)
        lines.append(f"{name}={text}")
    return lines
