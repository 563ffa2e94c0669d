"""The metrics role's input checks (plugins/module_utils/metrics_checks.py)."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.flaskstack.stack.plugins.module_utils.metrics_checks import metrics_problems
from conftest import role_defaults


@pytest.fixture
def settings() -> dict[str, Any]:
    return {**role_defaults("metrics"), "nginx_host": True, "nginx_status_listen": "127.0.0.1:8079"}


def test_the_defaults_pass(settings: dict[str, Any]) -> None:
    assert metrics_problems(settings) == []
    assert metrics_problems({**settings, "metrics_listen_address": "10.0.0.5"}) == []
    assert (
        metrics_problems(
            {**settings, "metrics_listen_address": "fd00::5", "metrics_scrape_sources": ["10.9.0.0/24"]}
        )
        == []
    )
    # A host without nginx needs no stub_status server.
    assert metrics_problems({**settings, "nginx_host": False, "nginx_status_listen": ""}) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"metrics_listen_address": "0.0.0.0"},
            "metrics_listen_address = '0.0.0.0': a loopback or private IP address",
        ),
        (
            {"metrics_listen_address": "93.184.216.34"},
            "metrics_listen_address = '93.184.216.34': a loopback or private",
        ),
        ({"metrics_listen_address": "metrics.example.com"}, "metrics_listen_address = 'metrics.example.com'"),
        ({"metrics_nginx_port": 0}, "metrics_nginx_port = 0: a port from 1 to 65535"),
        ({"metrics_uwsgi_port": 9113}, "metrics_uwsgi_port = 9113: must differ from metrics_nginx_port"),
        ({"metrics_scrape_sources": ["prometheus"]}, "metrics_scrape_sources[0] = 'prometheus'"),
        (
            {"nginx_status_listen": ""},
            "nginx_status_listen = '': nginx's exporter reads the stub_status server there",
        ),
    ],
)
def test_problems_name_the_variable(settings: dict[str, Any], changes: dict[str, Any], expected: str) -> None:
    (found,) = metrics_problems({**settings, **changes})
    assert found.startswith(expected), found
