"""The uwsgi role's checks (plugins/module_utils/uwsgi_checks.py): each bad value gives
exactly its message, and a valid value gives none."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.flaskstack.stack.plugins.module_utils import uwsgi_checks as uwsgi

COUNT_RULE = "must be a whole number of at least 1 (or a uWSGI expression such as '%(%k * 2)')"


@pytest.mark.parametrize(("value", "char"), [("a\nb", "\n"), ("a\rb", "\r"), ("a;b", ";"), ("a\0b", "\0")])
def test_check_text_refuses(value: str, char: str) -> None:
    assert uwsgi.check_text("x", value) == [
        f"x = {value!r}: contains {char!r}, which would end the ini line (or start a comment)"
    ]


@pytest.mark.parametrize("value", ["shop.wsgi:application", 60, True, "100% {ok}"])
def test_check_text_accepts(value: Any) -> None:
    assert uwsgi.check_text("x", value) == []


@pytest.mark.parametrize("value", [0, -1, "0", "many", 1.5, True, "%(%k * 2"])
def test_check_count_refuses(value: Any) -> None:
    assert uwsgi.check_count("x", value) == [f"x = {value!r}: {COUNT_RULE}"]


def test_check_count_zero_is_off() -> None:
    assert uwsgi.check_count("x", 0, zero_is_off=True) == []
    assert uwsgi.check_count("x", -1, zero_is_off=True) == [
        "x = -1: must be a whole number of at least 0 (0: off) (or a uWSGI expression such as '%(%k * 2)')"
    ]


@pytest.mark.parametrize("value", [1, "4", "%(%k * 2)", None, False])
def test_check_count_accepts(value: Any) -> None:
    assert uwsgi.check_count("x", value) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("etc/uwsgi", ["x = 'etc/uwsgi': must be an absolute path without spaces"]),
        ("/etc/my uwsgi", ["x = '/etc/my uwsgi': must be an absolute path without spaces"]),
        (None, ["x = None: must be an absolute path without spaces"]),
        (
            "/etc/uwsgi;x",
            ["x = '/etc/uwsgi;x': contains ';', which would end the ini line (or start a comment)"],
        ),
    ],
)
def test_check_absolute_refuses(value: Any, expected: list[str]) -> None:
    assert uwsgi.check_absolute("x", value) == expected


def test_check_absolute_accepts() -> None:
    assert uwsgi.check_absolute("x", "/run/uwsgi") == []


def test_options_problems_refuses() -> None:
    options = {
        "Bad_Key": 1,
        "env": {"A": "1"},
        "processes": 0,
        "max-requests": -1,
        "listen": 8192,
        "module": "a\nplugins = evil",
    }
    assert uwsgi.options_problems(options, "o", 4096) == [
        "o['Bad_Key'] = 'Bad_Key': an option name is lower-case letters, digits and '-', such as "
        "'max-requests'",
        "o.env = {'A': '1'}: a value is a string, number or boolean (a list repeats the option)",
        f"o.processes = 0: {COUNT_RULE}",
        "o.max-requests = -1: must be a whole number of at least 0 (0: off) (or a uWSGI expression such as "
        "'%(%k * 2)')",
        "o.listen = 8192: above uwsgi_somaxconn (4096), the kernel's cap on listen backlogs",
        "o.module = 'a\\nplugins = evil': contains '\\n', which would end the ini line (or start a comment)",
    ]
    assert uwsgi.options_problems(["a"], "o") == ["o = ['a']: must be a dict of uWSGI options"]


def test_options_problems_accepts(uwsgi_defaults: dict[str, Any]) -> None:
    options = {"processes": "%(%k * 2)", "attach-daemon": ["a", "b"], "listen": 4096, "max-requests": 0}
    assert uwsgi.options_problems(options, "o", 4096) == []
    assert uwsgi.options_problems(uwsgi_defaults["uwsgi_vassal_defaults"], "o", 4096) == []


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (":3031", "listens on every address"),
        ("0.0.0.0:3031", "listens on every address"),
        ("[::]:3031", "listens on every address"),
        ("*:3031", "listens on every address"),
        ("app1.example.com:3031", "names a host, which may resolve to a public address"),
        ("93.184.216.34:3031", "is a public address"),
        ("[2606:4700::1111]:3031", "is a public address"),
        ("8.8.8.8:3031", "is a public address"),
    ],
)
def test_a_tcp_listener_on_an_exposed_address_is_refused(value: str, why: str) -> None:
    for key in ("socket", "http-socket", "stats"):
        assert uwsgi.options_problems({key: value}, "o") == [
            f"o.{key} = {value!r}: {why}; {uwsgi.EXPOSED_RULE}"
        ]
    # A list repeats the option: each listener is checked.
    assert len(uwsgi.options_problems({"socket": ["10.0.0.5:3031", value]}, "o")) == 1
    # Asked for (behind a firewall): allowed.
    assert uwsgi.options_problems({"socket": value}, "o", None, exposed_ok=True) == []


@pytest.mark.parametrize(
    "value",
    [
        "/run/uwsgi/shop/socket",
        "@shop",
        "10.0.0.5:3031",
        "172.20.0.3:3031",
        "192.168.1.10:3031",
        "127.0.0.1:9191",
        "100.101.102.103:3031",
        "[fd00::5]:3031",
        "[::1]:3031",
        "[fe80::1]:3031",
    ],
)
def test_a_listener_on_a_private_address_or_a_unix_socket_is_accepted(value: str) -> None:
    assert uwsgi.options_problems({"socket": value, "stats": value}, "o") == []


def test_a_listener_without_a_port_is_refused() -> None:
    assert uwsgi.options_problems({"http-socket": "10.0.0.5"}, "o") == [
        "o.http-socket = '10.0.0.5': a unix socket path, or HOST:PORT with a private HOST"
    ]


def test_exposed_listeners_are_refused_wherever_uwsgi_reads_them(uwsgi_defaults: dict[str, Any]) -> None:
    settings = {
        **uwsgi_defaults,
        "uwsgi_emperor_options": {"emperor-stats": ":9191"},
        "uwsgi_vassal_defaults": {"stats": "0.0.0.0:9192"},
        "uwsgi_vassals": [{"name": "a", "owner": "a", "options": {"http-socket": ":8000", "uid": "a"}}],
    }
    where = [message.split(" = ")[0] for message in uwsgi.uwsgi_problems(settings)]
    assert where == [
        "uwsgi_emperor_options.emperor-stats",
        "uwsgi_vassal_defaults.stats",
        "uwsgi_vassals[0].options.http-socket",
    ]
    assert uwsgi.uwsgi_problems({**settings, "uwsgi_exposed_sockets": True}) == []
    vassal = settings["uwsgi_vassals"][0]
    assert len(uwsgi.vassal_problems(vassal, "v", 4096)) == 1
    assert uwsgi.vassal_problems(vassal, "v", 4096, exposed_ok=True) == []


def test_vassal_problems_refuses() -> None:
    vassal = {
        "name": ".x",
        "owner": "Root",
        "group": "a b",
        "env_file": "env",
        "options": {"threads": 0, "uid": 0},
    }
    assert uwsgi.vassal_problems(vassal) == [
        "uwsgi_vassal.name = '.x': letters, digits, '.', '_' and '-', not starting with '.' or '-'",
        "uwsgi_vassal.owner = 'Root': a Unix user or group name",
        "uwsgi_vassal.group = 'a b': a Unix user or group name",
        "uwsgi_vassal.env_file = 'env': must be an absolute path without spaces",
        f"uwsgi_vassal.options.threads = 0: {COUNT_RULE}",
        "uwsgi_vassal.options.uid = 0: an app must not run as root: give a user of its own",
    ]


def test_vassal_problems_accepts() -> None:
    vassal = {
        "name": "legacy",
        "owner": "www-data",
        "env_file": "/etc/legacy.env",
        "options": {"module": "a:b", "uid": "legacy"},
    }
    assert uwsgi.vassal_problems(vassal, "v", 4096) == []
    # The uid may come from uwsgi_vassal_defaults, which the options are merged over.
    assert uwsgi.vassal_problems({"name": "a"}, "v", 4096, defaults={"uid": "apps"}) == []
    assert uwsgi.vassal_problems({"name": "gone", "state": "absent", "options": {"threads": 0}}) == []


def test_socket_of_a_vassal() -> None:
    assert uwsgi.socket_of({"name": "a"}, "/run/uwsgi") == "/run/uwsgi/a/socket"
    assert uwsgi.socket_of({"name": "a", "options": {"socket": "/tmp/a.sock"}}, "/run/uwsgi") == "/tmp/a.sock"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"uwsgi_binary": "uwsgi"}, ["uwsgi_binary = 'uwsgi': must be an absolute path without spaces"]),
        ({"uwsgi_emperor_freq": 0}, [f"uwsgi_emperor_freq = 0: {COUNT_RULE}"]),
        ({"uwsgi_somaxconn": 0}, [f"uwsgi_somaxconn = 0: {COUNT_RULE}"]),
        (
            {"uwsgi_emperor_options": {"emperor-tyrant\nplugins": "x"}},
            [
                "uwsgi_emperor_options['emperor-tyrant\\nplugins'] = 'emperor-tyrant\\nplugins': "
                "an option name is lower-case letters, digits and '-', such as 'max-requests'"
            ],
        ),
        (
            {"uwsgi_vassal_defaults": {"listen": 5000}},
            [
                "uwsgi_vassal_defaults.listen = 5000: above uwsgi_somaxconn (4096), the kernel's cap on "
                "listen backlogs"
            ],
        ),
        (
            {"uwsgi_vassals": [{"name": "a", "options": {"uid": "a"}}, {"name": "a", "state": "absent"}]},
            [
                "uwsgi_vassals[1].name = 'a': already used by uwsgi_vassals[0].name; vassal names must be "
                "unique"
            ],
        ),
        (
            {
                "uwsgi_vassals": [
                    {"name": "a", "options": {"uid": "a"}},
                    {"name": "b", "options": {"socket": "/run/uwsgi/a/socket", "uid": "b"}},
                ]
            },
            [
                "uwsgi_vassals[1].options.socket = '/run/uwsgi/a/socket': "
                "is also the socket of uwsgi_vassals[0]; two vassals cannot share one"
            ],
        ),
    ],
)
def test_uwsgi_problems_refuses(
    uwsgi_defaults: dict[str, Any], changes: dict[str, Any], expected: list[str]
) -> None:
    assert uwsgi.uwsgi_problems({**uwsgi_defaults, **changes}) == expected


def test_uwsgi_problems_accepts_the_role_defaults(uwsgi_defaults: dict[str, Any]) -> None:
    assert uwsgi.uwsgi_problems(uwsgi_defaults) == []


def test_a_vassal_runs_as_a_user_of_its_own(uwsgi_defaults: dict[str, Any]) -> None:
    settings = {**uwsgi_defaults, "uwsgi_vassals": [{"name": "a"}, {"name": "b", "options": {"uid": "root"}}]}
    assert [p.split(" = ")[0] for p in uwsgi.uwsgi_problems(settings)] == [
        "uwsgi_vassals[0].options.uid",
        "uwsgi_vassals[1].options.uid",
    ]
    with_default = {
        **settings,
        "uwsgi_vassal_defaults": {**uwsgi_defaults["uwsgi_vassal_defaults"], "uid": "apps"},
    }
    assert [p.split(" = ")[0] for p in uwsgi.uwsgi_problems(with_default)] == ["uwsgi_vassals[1].options.uid"]


def test_uwsgi_problems_accepts_vassals(uwsgi_defaults: dict[str, Any]) -> None:
    vassals = [
        {"name": "a", "options": {"uid": "a"}},
        {"name": "b", "options": {"listen": 4096, "uid": "b"}},
        {"name": "c", "state": "absent"},
    ]
    assert uwsgi.uwsgi_problems({**uwsgi_defaults, "uwsgi_vassals": vassals}) == []
