"""The addresses systemd holds for nginx (plugins/module_utils/nginx_sockets.py)."""

from __future__ import annotations

import pytest
from ansible_collections.flaskstack.stack.plugins.module_utils.nginx_sockets import (
    nginx_socket_addresses,
    socket_address,
)


@pytest.mark.parametrize(
    ("listen", "expected"),
    [
        ("80", "0.0.0.0:80"),
        ("[::]:80", "[::]:80"),
        ("127.0.0.1:8080", "127.0.0.1:8080"),
        ("*:443 ssl", "0.0.0.0:443"),
        ("[::1]", "[::1]:80"),
        ("10.0.0.1", "10.0.0.1:80"),
        ("80 default_server", "0.0.0.0:80"),
    ],
)
def test_ip_addresses_are_handed_to_systemd(listen: str, expected: str) -> None:
    assert socket_address(listen) == expected


@pytest.mark.parametrize(
    "listen", ["unix:/run/nginx.sock", "80 reuseport", "[::]:80 ipv6only=off", "example.com:80"]
)
def test_nginx_binds_the_rest_itself(listen: str) -> None:
    assert socket_address(listen) is None


def test_addresses_are_listed_once_in_order() -> None:
    assert nginx_socket_addresses(["[::]:80", 80, "80", "unix:/x", "127.0.0.1:81"]) == [
        "[::]:80",
        "0.0.0.0:80",
        "127.0.0.1:81",
    ]
