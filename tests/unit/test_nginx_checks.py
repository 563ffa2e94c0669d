"""The nginx role's checks (plugins/module_utils/nginx_checks.py): each bad value gives
exactly its message, and a valid value gives none."""

from __future__ import annotations

import re
from typing import Any

import pytest
from ansible_collections.flaskstack.stack.plugins.module_utils import nginx_checks as nginx

SITE: dict[str, Any] = {
    "name": "files",
    "server_names": ["files.test", "*.files.test"],
    "listen": ["80", "[::]:443 ssl http2"],
    "upstreams": [
        {"name": "app", "servers": ["unix:/run/uwsgi/a/socket max_fails=0", "10.0.0.1:8000 weight=2"]}
    ],
    "locations": [
        {"path": "/", "uwsgi_pass": "app", "uwsgi_read_timeout": 0},
        {"path": "/static/", "alias": "/srv/www/", "expires": "7d"},
        {"path": "\\.php$", "match": "~", "directives": ["return 404"]},
        {"path": "/legacy/", "uwsgi_pass": "unix:/run/uwsgi/legacy/socket"},
    ],
    "directives": ["client_max_body_size 64m"],
}


@pytest.mark.parametrize(
    ("value", "char"), [("a;b", ";"), ("a\nb", "\n"), ("a{", "{"), ("#x", "#"), ("ok", None)]
)
def test_breaker_finds_what_ends_a_directive(value: str, char: str | None) -> None:
    assert nginx.breaker(value) == char


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, "x = 5: must be a string: a name"),
        ("a;b", "x = 'a;b': contains ';', which would end the directive; allowed: a name"),
        ("a b", "x = 'a b': allowed: a name"),
    ],
)
def test_check_token_refuses(value: Any, expected: str) -> None:
    assert nginx.check_token("x", value, nginx.NAME, "a name") == [expected]


def test_check_token_accepts() -> None:
    assert nginx.check_token("x", "shop.example.com", nginx.SERVER_NAME, "a host") == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "x = '': must be one directive, such as 'client_max_body_size 64m'"),
        (None, "x = None: must be one directive, such as 'client_max_body_size 64m'"),
        (
            "gzip on; return 200",
            "x = 'gzip on; return 200': contains ';': give one directive per item, "
            "without the trailing ';', and no blocks or comments",
        ),
    ],
)
def test_check_directive_refuses(value: Any, expected: str) -> None:
    assert nginx.check_directive("x", value) == [expected]


def test_check_directive_accepts() -> None:
    assert nginx.check_directive("x", "client_max_body_size 64m") == []


@pytest.mark.parametrize("port", ["0", "65536", "99999"])
def test_check_port_refuses(port: str) -> None:
    assert nginx.check_port("x", port) == [f"x = {port!r}: port {int(port)} is out of range 1-65535"]


@pytest.mark.parametrize("port", ["1", "80", "65535"])
def test_check_port_accepts(port: str) -> None:
    assert nginx.check_port("x", port) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (8000, "x = 8000: must be a string: unix:/path or host:port"),
        ("unix:run/a", "x = 'unix:run/a': allowed: unix:/absolute/path"),
        ("a:1;", "x = 'a:1;': contains ';', which would end the directive"),
        ("10.0.0.1", "x = '10.0.0.1': allowed: unix:/absolute/path or host:port"),
        ("bad host:80", "x = 'bad host:80': allowed: unix:/absolute/path or host:port"),
        ("10.0.0.1:99999", "x = '99999': port 99999 is out of range 1-65535"),
    ],
)
def test_check_address_refuses(value: Any, expected: str) -> None:
    assert nginx.check_address("x", value) == [expected]


@pytest.mark.parametrize(
    "value", ["unix:/run/uwsgi/a/socket", "10.0.0.1:8000", "[::1]:80", "app.internal:8080"]
)
def test_check_address_accepts(value: str) -> None:
    assert nginx.check_address("x", value) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ["x = '': must be a string such as '80', '[::]:443 ssl' or '127.0.0.1:8080'"]),
        (80, ["x = 80: must be a string such as '80', '[::]:443 ssl' or '127.0.0.1:8080'"]),
        ("80;", ["x = '80;': contains ';', which would end the directive"]),
        ("80 evil_param", ["x = '80 evil_param': unknown parameter 'evil_param'"]),
        ("70000", ["x = '70000': port 70000 is out of range 1-65535"]),
        ("http", ["x = 'http': the address must be PORT, HOST:PORT, [IPv6]:PORT or unix:/path"]),
        (
            "bad_host:80 evil",
            [
                "x = 'bad_host:80 evil': unknown parameter 'evil'",
                "x = 'bad_host:80 evil': the address must be PORT, HOST:PORT, [IPv6]:PORT or unix:/path",
            ],
        ),
        ("unix:tmp/s", ["x = 'unix:tmp/s': allowed: unix:/absolute/path"]),
    ],
)
def test_check_listen_refuses(value: Any, expected: list[str]) -> None:
    assert nginx.check_listen("x", value) == expected


@pytest.mark.parametrize(
    "value", ["80", "[::]:443 ssl http2", "127.0.0.1:8080 default_server backlog=4096", "unix:/run/n.sock"]
)
def test_check_listen_accepts(value: str) -> None:
    assert nginx.check_listen("x", value) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("srv/www", "x = 'srv/www': must be an absolute path"),
        (None, "x = None: must be an absolute path"),
        ("/srv/my www/", "x = '/srv/my www/': contains ' ', which nginx would not read as one path"),
        ("/srv/www;", "x = '/srv/www;': contains ';', which nginx would not read as one path"),
    ],
)
def test_check_absolute_refuses(value: Any, expected: str) -> None:
    assert nginx.check_absolute("x", value) == [expected]


def test_check_absolute_accepts() -> None:
    assert nginx.check_absolute("x", "/srv/www/") == []


def test_check_upstreams_refuses() -> None:
    upstreams = [
        {"name": "app", "servers": []},
        {"name": "app", "servers": ["10.0.0.1:80 weight=x", ""], "keepalive": 0, "conn_limit": -1},
        {"name": "bad name", "servers": ["10.0.0.1:80"]},
    ]
    assert nginx.check_upstreams("u", upstreams) == [
        "u[0].servers = []: an upstream needs at least one server",
        "u[1].servers[0] = '10.0.0.1:80 weight=x': unknown parameter 'weight=x'; allowed: weight=, "
        "max_fails=, fail_timeout=, max_conns=, backup, down",
        "u[1].servers[1] = '': must be 'host:port' or 'unix:/path', then parameters",
        "u[1].keepalive = 0: must be a whole number of at least 1",
        "u[1].conn_limit = -1: must be a whole number of at least 1",
        "u[2].name = 'bad name': allowed: letters, digits, '_' and '-'",
        "u[1].name = 'app': upstream name already used by u[0].name; upstream names in u must be unique",
    ]


def test_check_upstreams_accepts() -> None:
    assert nginx.check_upstreams("u", SITE["upstreams"]) == []


def test_check_locations_refuses() -> None:
    locations = [
        {"path": "static/"},
        {"path": "a b", "match": "~"},
        {"path": "/x", "uwsgi_pass": "missing"},
        {"path": "/y", "uwsgi_pass": "10.0.0.1"},
        {"path": "/static/", "alias": "/srv/www"},
        {"path": "/s/", "alias": "srv/"},
        {"path": "/e/", "expires": "soon", "uwsgi_read_timeout": -1, "directives": ["a; b"]},
    ]
    assert nginx.check_locations("l", locations, ["app"]) == [
        "l[0].path = 'static/': allowed: a URL path starting with '/' (or @name)",
        "l[1].path = 'a b': allowed: a regular expression without spaces",
        "l[2].uwsgi_pass = 'missing': names no upstream of its site (upstreams: app)",
        "l[3].uwsgi_pass = '10.0.0.1': allowed: unix:/absolute/path or host:port",
        "l[4].alias = '/srv/www': must end with '/' exactly when the location path ('/static/') does; "
        "otherwise nginx maps URLs one level off (or outside the directory)",
        "l[5].alias = 'srv/': must be an absolute path",
        "l[6].expires = 'soon': allowed: a time such as 7d, 12h or 30m, or off/epoch/max",
        "l[6].uwsgi_read_timeout = -1: must be a whole number of at least 0",
        "l[6].directives[0] = 'a; b': contains ';': give one directive per item, "
        "without the trailing ';', and no blocks or comments",
    ]


def test_check_locations_names_the_upstreams_there_are() -> None:
    assert nginx.check_locations("l", [{"path": "/", "uwsgi_pass": "app"}], []) == [
        "l[0].uwsgi_pass = 'app': names no upstream of its site (upstreams: none)"
    ]


def test_check_locations_accepts() -> None:
    assert nginx.check_locations("l", SITE["locations"], ["app"]) == []


def test_site_problems_refuses() -> None:
    site = {"name": ".hidden", "server_names": [], "listen": ["0"], "directives": ["x {"]}
    assert nginx.site_problems(site, "s") == [
        "s.name = '.hidden': allowed: letters, digits, '.', '_' and '-', not starting with '.'",
        "s.server_names = []: a site needs at least one server name",
        "s.listen[0] = '0': port 0 is out of range 1-65535",
        "s.directives[0] = 'x {': contains '{': give one directive per item, "
        "without the trailing ';', and no blocks or comments",
    ]
    assert nginx.site_problems({"name": "s", "server_names": ["bad name"]}) == [
        "nginx_site.server_names[0] = 'bad name': allowed: a host name such as shop.example.com, "
        "*.example.com or _"
    ]


def test_site_problems_checks_only_the_name_of_an_absent_site() -> None:
    assert nginx.site_problems({"name": "old", "state": "absent"}) == []


def test_site_problems_accepts() -> None:
    assert nginx.site_problems(SITE) == []


def test_locations_problems_refuses() -> None:
    locations = {"name": "a b", "site": "", "locations": [{"path": "/", "uwsgi_pass": "app"}]}
    assert nginx.locations_problems(locations) == [
        "nginx_locations.name = 'a b': allowed: letters, digits, '.', '_' and '-'",
        "nginx_locations.site = '': allowed: the name of a site",
        "nginx_locations.locations[0].uwsgi_pass = 'app': names no upstream of its site (upstreams: none)",
    ]


def test_locations_problems_accepts() -> None:
    locations = {
        "name": "admin",
        "site": "shop",
        "upstreams": SITE["upstreams"],
        "locations": SITE["locations"],
    }
    assert nginx.locations_problems(locations) == []
    assert nginx.locations_problems({"name": "admin", "site": "shop", "state": "absent"}) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"nginx_user": "Root"}, ["nginx_user = 'Root': allowed: a Unix user name"]),
        (
            {"nginx_worker_processes": "0"},
            ["nginx_worker_processes = 0: must be a whole number of at least 1"],
        ),
        (
            {"nginx_worker_processes": "many"},
            ["nginx_worker_processes = 'many': must be a whole number of at least 1"],
        ),
        (
            {"nginx_keepalive_timeout": -1},
            ["nginx_keepalive_timeout = -1: must be a whole number of at least 0"],
        ),
        (
            {"nginx_worker_rlimit_nofile": 1024},
            [
                "nginx_worker_rlimit_nofile = 1024: must be at least twice nginx_worker_connections (4096): "
                "each proxied request holds a client and an upstream connection"
            ],
        ),
        (
            {"nginx_client_max_body_size": "lots"},
            ["nginx_client_max_body_size = 'lots': allowed: a size such as 16m, 512k or 1g"],
        ),
        (
            {"nginx_gzip_types": ["css"]},
            ["nginx_gzip_types[0] = 'css': allowed: a MIME type such as text/css"],
        ),
        ({"nginx_listen": []}, ["nginx_listen = []: give at least one listen address, such as '80'"]),
        (
            {"nginx_http_extra_directives": ["a;"]},
            [
                "nginx_http_extra_directives[0] = 'a;': contains ';': give one directive per item, "
                "without the trailing ';', and no blocks or comments"
            ],
        ),
        (
            {"nginx_sites": [SITE, {**SITE, "server_names": ["other.test"]}]},
            [
                "nginx_sites[1].name = 'files': site name already used by nginx_sites[0].name; site names "
                "must be unique"
            ],
        ),
        (
            {"nginx_sites": [SITE, {**SITE, "name": "other"}]},
            [
                "nginx_sites[1].server_names[0] = 'files.test': server name already used by "
                "nginx_sites[0].server_names[0]; server names across sites must be unique",
                "nginx_sites[1].server_names[1] = '*.files.test': server name already used by "
                "nginx_sites[0].server_names[1]; server names across sites must be unique",
            ],
        ),
    ],
)
def test_nginx_problems_refuses(
    nginx_defaults: dict[str, Any], changes: dict[str, Any], expected: list[str]
) -> None:
    assert nginx.nginx_problems({**nginx_defaults, **changes}) == expected


STATUS_RULE = (
    "HOST:PORT with a private or loopback IP address, such as 127.0.0.1:8079: the counters are for this"
    " host's tools and its monitoring, not for clients ('' turns it off)"
)


@pytest.mark.parametrize(
    "listen", ["8079", "0.0.0.0:8079", "[::]:8079", "93.184.216.34:8079", "localhost:8079", "127.0.0.1:0"]
)
def test_nginx_status_listen_refuses_what_clients_could_reach(
    nginx_defaults: dict[str, Any], listen: str
) -> None:
    assert nginx.nginx_problems({**nginx_defaults, "nginx_status_listen": listen}) == [
        f"nginx_status_listen = {listen!r}: {STATUS_RULE}"
    ]


@pytest.mark.parametrize("listen", ["", "127.0.0.1:8079", "10.0.0.5:9145", "[::1]:8079", "[fd00::5]:8079"])
def test_nginx_status_listen_accepts_private_addresses_or_nothing(
    nginx_defaults: dict[str, Any], listen: str
) -> None:
    assert nginx.nginx_problems({**nginx_defaults, "nginx_status_listen": listen}) == []


def test_nginx_status_path_is_a_plain_path(nginx_defaults: dict[str, Any]) -> None:
    assert nginx.nginx_problems({**nginx_defaults, "nginx_status_path": "/s; allow all"}) == [
        "nginx_status_path = '/s; allow all': contains ';', which would end the directive;"
        " allowed: a path such as /stub_status"
    ]


def test_nginx_problems_accepts_the_role_defaults(nginx_defaults: dict[str, Any]) -> None:
    assert nginx.nginx_problems(nginx_defaults) == []


def test_nginx_problems_accepts_sites(nginx_defaults: dict[str, Any]) -> None:
    other = {**SITE, "name": "other", "server_names": ["other.test"]}
    gone = {**SITE, "name": "gone", "state": "absent"}
    assert (
        nginx.nginx_problems(
            {**nginx_defaults, "nginx_sites": [SITE, other, gone], "nginx_worker_processes": 4}
        )
        == []
    )


def test_patterns_match_whole_values() -> None:
    assert re.fullmatch(nginx.SERVER_NAME, "_")
    assert not re.fullmatch(nginx.SERVER_NAME, "shop.test extra")


def test_an_upstream_of_members_needs_no_server_but_a_relative_glob() -> None:
    assert nginx.check_upstreams("u", [{"name": "shop", "members": "members.d/shop/*.conf"}]) == []
    assert nginx.check_upstreams("u", [{"name": "shop", "members": "/etc/x/*.conf"}]) == [
        "u[0].members = '/etc/x/*.conf': allowed: a glob of files relative to the nginx directory,"
        " such as members.d/shop/*.conf"
    ]
    assert nginx.check_upstreams("u", [{"name": "shop", "members": "../x.conf"}])


def test_proxy_pass_names_an_upstream_or_is_a_url() -> None:
    upstreams = ["shop"]
    good = [{"path": "/", "proxy_pass": "shop"}, {"path": "/x/", "proxy_pass": "http://10.0.0.5:8080"}]
    assert nginx.check_locations("l", good, upstreams) == []
    assert nginx.check_locations("l", [{"path": "/", "proxy_pass": "nope"}], upstreams) == [
        "l[0].proxy_pass = 'nope': must name an upstream of its site (upstreams: shop)"
        " or be a URL such as http://10.0.0.5:8080"
    ]
    both = [{"path": "/", "proxy_pass": "shop", "uwsgi_pass": "unix:/run/x"}]
    assert nginx.check_locations("l", both, upstreams) == [
        "l[0].proxy_pass = 'shop': a location passes to uWSGI or over HTTP, not both"
    ]
    assert nginx.check_locations(
        "l", [{"path": "/", "proxy_pass": "shop", "proxy_connect_timeout": -1}], upstreams
    )


def test_sites_problems_names_the_list_it_checks() -> None:
    # The sites entry point's list (the balancer's): each site's problems and shared names,
    # under the name the caller gives.
    sites = [SITE, {**SITE, "server_names": ["bad name"]}, {"name": "gone", "state": "absent"}]
    assert nginx.sites_problems(sites, "balancer_sites") == [
        "balancer_sites[1].server_names[0] = 'bad name': allowed: a host name such as shop.example.com,"
        " *.example.com or _",
        "balancer_sites[1].name = 'files': site name already used by balancer_sites[0].name; site names"
        " must be unique",
    ]
    assert nginx.sites_problems([SITE, {**SITE, "name": "other", "server_names": ["other.test"]}]) == []


def test_hardening_defaults_pass(nginx_defaults: dict[str, Any]) -> None:
    assert nginx.nginx_problems(nginx_defaults) == []


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {"X-Frame-Options": 'DENY" always'},
            "h.X-Frame-Options = 'DENY\" always': cannot hold a double quote",
        ),
        ({"X Frame": "DENY"}, "h.X Frame = 'X Frame': a header name"),
        ({"X-Frame-Options": 1}, "h.X-Frame-Options = 1: must be a string, or null"),
        (["X-Frame-Options: DENY"], "h = ['X-Frame-Options: DENY']: must be a mapping"),
    ],
)
def test_headers_problems(headers: Any, expected: str) -> None:
    found = nginx.headers_problems("h", headers, off_ok=True)
    assert len(found) == 1, found
    assert found[0].startswith(expected), found


def test_a_site_may_turn_headers_and_rate_limit_off_but_not_the_defaults() -> None:
    assert nginx.headers_problems("h", False, off_ok=True) == []
    assert nginx.rate_limit_problems("r", False, partial=True) == []
    assert nginx.headers_problems("h", False, off_ok=False) == ["h = False: must be a mapping"]
    assert nginx.rate_limit_problems("r", False, partial=False)[0].startswith("r = False: must be {rate")


@pytest.mark.parametrize(
    ("limit", "partial", "expected"),
    [
        ({"rate": "100/s"}, True, "r.rate = '100/s': allowed: requests per second or minute"),
        ({"rate": "0r/s"}, True, "r.rate = '0r/s'"),
        ({"burst": -1}, True, "r.burst = -1: must be a whole number of at least 0"),
        ({"status": 200}, True, "r.status = 200: an HTTP status from 400 to 599"),
        ({"per": "ip"}, True, "r.per = 'ip': unknown key"),
        ({"rate": "10r/s", "burst": 5}, False, "r = {'rate': '10r/s', 'burst': 5}: status is missing"),
    ],
)
def test_rate_limit_problems(limit: Any, partial: bool, expected: str) -> None:
    found = nginx.rate_limit_problems("r", limit, partial=partial)
    assert len(found) == 1, found
    assert found[0].startswith(expected), found
