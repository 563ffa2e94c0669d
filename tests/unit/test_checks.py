"""The helpers every role's checks share (plugins/module_utils/checks.py)."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.flaskstack.stack.plugins.module_utils.checks import (
    check_duplicates,
    check_networks,
    check_positive,
    problem,
    sandbox_problems,
    systemd_lines,
)


def test_a_problem_names_the_variable_the_value_and_the_rule() -> None:
    assert problem("nginx_listen[0]", "70000", "port out of range") == (
        "nginx_listen[0] = '70000': port out of range"
    )


@pytest.mark.parametrize(
    ("value", "minimum", "expected"),
    [
        (0, 1, "must be a whole number of at least 1"),
        (-1, 0, "must be a whole number of at least 0"),
        (1, 2, "must be a whole number of at least 2"),
        ("5", 1, "must be a whole number of at least 1"),
        (True, 1, "must be a whole number of at least 1"),
        (1.5, 1, "must be a whole number of at least 1"),
        (None, 1, "must be a whole number of at least 1"),
    ],
)
def test_check_positive_refuses(value: Any, minimum: int, expected: str) -> None:
    assert check_positive("x", value, minimum) == [f"x = {value!r}: {expected}"]


@pytest.mark.parametrize(("value", "minimum"), [(1, 1), (4096, 1), (0, 0), (2, 2)])
def test_check_positive_accepts(value: int, minimum: int) -> None:
    assert check_positive("x", value, minimum) == []


def test_check_duplicates_reports_each_repeat_against_the_first() -> None:
    values = [("a[0]", "shop"), ("a[1]", "blog"), ("a[2]", "shop"), ("a[3]", "shop")]
    assert check_duplicates(values, "app name", "each app needs its own") == [
        "a[2] = 'shop': app name already used by a[0]; each app needs its own",
        "a[3] = 'shop': app name already used by a[0]; each app needs its own",
    ]


def test_check_duplicates_accepts_distinct_values() -> None:
    assert check_duplicates([("a[0]", "shop"), ("a[1]", "blog")], "app name", "rule") == []


def test_sandbox_settings_become_unit_lines_in_order() -> None:
    settings = {
        "ProtectSystem": "strict",
        "ReadWritePaths": ["/srv", "-/var/lib/app"],
        "PrivateTmp": True,
        "ProtectHome": False,
        "LimitNOFILE": 65536,
        "MemoryDenyWriteExecute": None,
        "ProtectProc": "",
    }
    assert sandbox_problems("s", settings) == []
    assert systemd_lines(settings) == [
        "ProtectSystem=strict",
        "ReadWritePaths=/srv -/var/lib/app",
        "PrivateTmp=true",
        "ProtectHome=false",
        "LimitNOFILE=65536",
    ]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (["ProtectSystem=strict"], "s = ['ProtectSystem=strict']: must be a mapping"),
        (
            {"protect-system": "strict"},
            "s.protect-system = 'protect-system': must be a systemd setting's name",
        ),
        ({"ProtectSystem": {"a": 1}}, "s.ProtectSystem = {'a': 1}: must be a string, number, boolean"),
        (
            {"ExecStartPre": "true\nExecStart=/bin/sh"},
            "s.ExecStartPre = 'true\\nExecStart=/bin/sh': must fit on one line",
        ),
        (
            {"ReadWritePaths": ["/srv", "var/log"]},
            "s.ReadWritePaths = ['/srv', 'var/log']: 'var/log' is not an absolute path",
        ),
    ],
)
def test_sandbox_problems_name_the_setting(settings: Any, expected: str) -> None:
    found = sandbox_problems("s", settings)
    assert len(found) == 1
    assert found[0].startswith(expected)


def test_check_networks_takes_addresses_and_networks_not_names() -> None:
    assert check_networks("e", ["127.0.0.0/8", "::1", "10.1.2.3"]) == []
    why = "an IP address or network, such as 10.0.0.5 or 10.0.0.0/8 (not a name)"
    assert check_networks("e", ["10.0.0.0/33", "localhost", None]) == [
        f"e[0] = '10.0.0.0/33': {why}",
        f"e[1] = 'localhost': {why}",
        f"e[2] = None: {why}",
    ]
    assert check_networks("e", [], empty_ok=False) == [
        "e = []: give at least one address or network, such as 10.0.0.0/8"
    ]
    assert check_networks("e", "10.0.0.0/8") == [
        "e = '10.0.0.0/8': must be a list of IP addresses or networks, such as 10.0.0.0/8"
    ]
