"""What the nginx role's argument spec cannot say, checked before anything changes.

Each filter takes the role's variables and returns a list of problems, one sentence each,
naming the variable (with its index path), the bad value and what is allowed. An empty
list means the input is fine. Every value checked here ends up in nginx's configuration,
where a newline, `;`, `{` or `}` would start a directive or a block of its own: such
values are refused, never rendered.

The nginx role calls these through the collection's filters (plugins/filter/nginx.py);
flaskapp_checks uses them too, to check the sites and locations the flaskapp role derives.
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.flaskstack.stack.plugins.module_utils.checks import (
    check_duplicates,
    check_networks,
    check_positive,
    check_private_listen,
    problem,
    sandbox_problems,
)
from ansible_collections.flaskstack.stack.plugins.module_utils.tls_checks import (
    acme_settings_problems,
    tls_problems,
)

# Characters that end or open a directive in nginx's syntax, or a line.
CONFIG_BREAKERS = ("\n", "\r", ";", "{", "}", "#")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
UPSTREAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
SERVER_NAME = re.compile(rf"(?:\*\.|\.)?{LABEL}(?:\.{LABEL})*(?:\.\*)?|_")
HOST = re.compile(rf"{LABEL}(?:\.{LABEL})*|\[[0-9A-Fa-f:.]+\]")
UNIX_PATH = re.compile(r"unix:/[^\s;{}#'\"]*")
LISTEN_PARAM = re.compile(
    r"default_server|ssl|http2|quic|proxy_protocol|reuseport|deferred|bind"
    r"|(?:ipv6only=(?:on|off))|(?:(?:backlog|rcvbuf|sndbuf|fastopen|setfib)=\d+[km]?)|so_keepalive=[a-z0-9:]+"
)
UPSTREAM_PARAM = re.compile(r"(?:weight|max_fails|max_conns)=\d+|fail_timeout=\d+(?:ms|s|m|h)?|backup|down")
# An upstream's member files: a relative glob inside the nginx directory.
MEMBERS = re.compile(r"(?!/)(?!.*\.\.)[A-Za-z0-9_.*/-]+\.conf")
# proxy_pass to a URL: http(s)://host[:port][/path].
PROXY_URL = re.compile(rf"https?://(?:{LABEL}(?:\.{LABEL})*|\[[0-9A-Fa-f:.]+\])(?::\d+)?(?:/[^\s;{{}}'\"]*)?")
EXPIRES = re.compile(r"off|epoch|max|-?\d+(?:ms|s|m|h|d|w|M|y)?")
SIZE = re.compile(r"\d+[kKmMgG]?")
MIME = re.compile(r"[a-z]+/[A-Za-z0-9.+-]+")
USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
STATUS_PATH = re.compile(r"/[A-Za-z0-9_./-]*")
TLS_VERSION = re.compile(r"TLSv1(?:\.[0-3])?")
OPENSSL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
DURATION = re.compile(r"\d+(?:ms|s|m|h|d|w|M|y)?")
HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
# Characters a header value in double quotes cannot hold.
HEADER_BREAKERS = ('"', "\\", "\n", "\r", "\0")
RATE = re.compile(r"[1-9]\d*r/[sm]")
RATE_LIMIT_KEYS = ("rate", "burst", "status")
SESSION_CACHE = re.compile(r"off|none|(?:builtin(?::\d+)?\s*)?(?:shared:[A-Za-z0-9_]+:\d+[km]?)?")


def breaker(value: str) -> str | None:
    """The first character of VALUE that would break out of an nginx directive, if any."""
    return next((char for char in CONFIG_BREAKERS if char in value), None)


def check_token(where: str, value: Any, pattern: re.Pattern[str], allowed: str) -> list[str]:
    """VALUE must be a string matching PATTERN whole; ALLOWED says what that is."""
    if not isinstance(value, str):
        return [problem(where, value, f"must be a string: {allowed}")]
    char = breaker(value)
    if char is not None:
        return [
            problem(where, value, f"contains {char!r}, which would end the directive; allowed: {allowed}")
        ]
    if not pattern.fullmatch(value):
        return [problem(where, value, f"allowed: {allowed}")]
    return []


def check_directive(where: str, value: Any) -> list[str]:
    """An extra directive: one line, no `;` (the role adds it), no block, no comment."""
    if not isinstance(value, str) or not value.strip():
        return [problem(where, value, "must be one directive, such as 'client_max_body_size 64m'")]
    char = breaker(value)
    if char is not None:
        return [
            problem(
                where,
                value,
                (
                    f"contains {char!r}: give one directive per item, "
                    "without the trailing ';', and no blocks or comments"
                ),
            )
        ]
    return []


def check_port(where: str, value: str) -> list[str]:
    port = int(value)
    if not 1 <= port <= 65535:
        return [problem(where, value, f"port {port} is out of range 1-65535")]
    return []


def check_address(where: str, value: Any) -> list[str]:
    """unix:/path, or HOST:PORT with a port in range."""
    if not isinstance(value, str):
        return [problem(where, value, "must be a string: unix:/path or host:port")]
    if value.startswith("unix:"):
        return check_token(where, value, UNIX_PATH, "unix:/absolute/path")
    char = breaker(value)
    if char is not None:
        return [problem(where, value, f"contains {char!r}, which would end the directive")]
    host, _, port = value.rpartition(":")
    if not (HOST.fullmatch(host) and port.isdigit()):
        return [problem(where, value, "allowed: unix:/absolute/path or host:port")]
    return check_port(where, port)


def check_listen(where: str, value: Any) -> list[str]:
    """nginx `listen` arguments: [ADDRESS:]PORT or unix:/path, then parameters such as ssl."""
    if not isinstance(value, str) or not value.strip():
        return [problem(where, value, "must be a string such as '80', '[::]:443 ssl' or '127.0.0.1:8080'")]
    char = breaker(value)
    if char is not None:
        return [problem(where, value, f"contains {char!r}, which would end the directive")]
    address, *params = value.split()
    found = [
        problem(where, value, f"unknown parameter {p!r}") for p in params if not LISTEN_PARAM.fullmatch(p)
    ]
    if address.startswith("unix:"):
        return found + check_token(where, address, UNIX_PATH, "unix:/absolute/path")
    host, _, port = address.rpartition(":")
    if not port.isdigit() or (host and not HOST.fullmatch(host)):
        return [
            *found,
            problem(where, value, "the address must be PORT, HOST:PORT, [IPv6]:PORT or unix:/path"),
        ]
    return found + check_port(where, port)


def check_absolute(where: str, value: Any) -> list[str]:
    if not isinstance(value, str) or not value.startswith("/"):
        return [problem(where, value, "must be an absolute path")]
    char = breaker(value) or next((c for c in (" ", "\t", "'", '"') if c in value), None)
    if char is not None:
        return [problem(where, value, f"contains {char!r}, which nginx would not read as one path")]
    return []


def check_upstreams(where: str, upstreams: Any) -> list[str]:
    found = []
    for index, upstream in enumerate(upstreams or []):
        at = f"{where}[{index}]"
        found += check_token(
            f"{at}.name", upstream.get("name"), UPSTREAM_NAME, "letters, digits, '_' and '-'"
        )
        servers = upstream.get("servers") or []
        members = upstream.get("members")
        if members is not None:
            found += check_token(
                f"{at}.members",
                members,
                MEMBERS,
                "a glob of files relative to the nginx directory, such as members.d/shop/*.conf",
            )
        elif not servers:
            found.append(problem(f"{at}.servers", servers, "an upstream needs at least one server"))
        for number, server in enumerate(servers):
            spot = f"{at}.servers[{number}]"
            if not isinstance(server, str) or not server.strip():
                found.append(problem(spot, server, "must be 'host:port' or 'unix:/path', then parameters"))
                continue
            address, *params = server.split()
            found += check_address(spot, address)
            found += [
                problem(
                    spot,
                    server,
                    (
                        f"unknown parameter {p!r}; allowed: weight=, "
                        "max_fails=, fail_timeout=, max_conns=, backup, down"
                    ),
                )
                for p in params
                if not UPSTREAM_PARAM.fullmatch(p)
            ]
        for key in ("keepalive", "conn_limit"):
            if upstream.get(key) is not None:
                found += check_positive(f"{at}.{key}", upstream[key])
    found += check_duplicates(
        ((f"{where}[{i}].name", u.get("name")) for i, u in enumerate(upstreams or [])),
        "upstream name",
        f"upstream names in {where} must be unique",
    )
    return found


def check_locations(where: str, locations: Any, upstream_names: list[str]) -> list[str]:
    found = []
    for index, location in enumerate(locations or []):
        at = f"{where}[{index}]"
        path = location.get("path")
        if location.get("match") in ("~", "~*"):
            found += check_token(
                f"{at}.path", path, re.compile(r"\S+"), "a regular expression without spaces"
            )
        else:
            found += check_token(
                f"{at}.path",
                path,
                re.compile(r"/[^\s'\"]*|@[A-Za-z0-9_]+"),
                "a URL path starting with '/' (or @name)",
            )
        if location.get("uwsgi_pass") is not None and location.get("proxy_pass") is not None:
            found.append(
                problem(
                    f"{at}.proxy_pass",
                    location["proxy_pass"],
                    "a location passes to uWSGI or over HTTP, not both",
                )
            )
        proxy = location.get("proxy_pass")
        known = proxy in upstream_names or (isinstance(proxy, str) and PROXY_URL.fullmatch(proxy))
        if proxy is not None and not known:
            names = ", ".join(upstream_names) or "none"
            found.append(
                problem(
                    f"{at}.proxy_pass",
                    proxy,
                    f"must name an upstream of its site (upstreams: {names}) or be a URL such as http://10.0.0.5:8080",
                )
            )
        target = location.get("uwsgi_pass")
        if target is not None and target not in upstream_names:
            if isinstance(target, str) and UPSTREAM_NAME.fullmatch(target) and ":" not in target:
                found.append(
                    problem(
                        f"{at}.uwsgi_pass",
                        target,
                        f"names no upstream of its site (upstreams: {', '.join(upstream_names) or 'none'})",
                    )
                )
            else:
                found += check_address(f"{at}.uwsgi_pass", target)
        alias = location.get("alias")
        if alias is not None:
            found += check_absolute(f"{at}.alias", alias)
            if isinstance(path, str) and isinstance(alias, str) and path.endswith("/") != alias.endswith("/"):
                found.append(
                    problem(
                        f"{at}.alias",
                        alias,
                        f"must end with '/' exactly when the location path ({path!r}) does; "
                        "otherwise nginx maps URLs one level off (or outside the directory)",
                    )
                )
        if location.get("expires") is not None:
            found += check_token(
                f"{at}.expires",
                location["expires"],
                EXPIRES,
                "a time such as 7d, 12h or 30m, or off/epoch/max",
            )
        for key in (
            "uwsgi_read_timeout",
            "uwsgi_next_upstream_timeout",
            "uwsgi_connect_timeout",
            "uwsgi_next_upstream_tries",
            "proxy_connect_timeout",
            "proxy_read_timeout",
            "proxy_next_upstream_tries",
            "proxy_next_upstream_timeout",
        ):
            if location.get(key) is not None:
                found += check_positive(f"{at}.{key}", location[key], minimum=0)
        for number, directive in enumerate(location.get("directives") or []):
            found += check_directive(f"{at}.directives[{number}]", directive)
    return found


def site_problems(site: dict[str, Any], where: str = "nginx_site") -> list[str]:
    """Problems of one site (an item of nginx_sites, or the site entry point's nginx_site)."""
    found = check_token(
        f"{where}.name", site.get("name"), NAME, "letters, digits, '.', '_' and '-', not starting with '.'"
    )
    if site.get("state", "present") == "absent":
        return found
    names = site.get("server_names") or []
    if not names:
        found.append(problem(f"{where}.server_names", names, "a site needs at least one server name"))
    for index, name in enumerate(names):
        found += check_token(
            f"{where}.server_names[{index}]",
            name,
            SERVER_NAME,
            "a host name such as shop.example.com, *.example.com or _",
        )
    for index, listen in enumerate(site.get("listen") or []):
        found += check_listen(f"{where}.listen[{index}]", listen)
    upstreams = site.get("upstreams") or []
    found += check_upstreams(f"{where}.upstreams", upstreams)
    found += check_locations(f"{where}.locations", site.get("locations"), [u.get("name") for u in upstreams])
    for index, directive in enumerate(site.get("directives") or []):
        found += check_directive(f"{where}.directives[{index}]", directive)
    if site.get("tls") is not None:
        found += tls_problems(f"{where}.tls", site["tls"], names, f"{where}.server_names")
    if site.get("security_headers") is not None:
        found += headers_problems(f"{where}.security_headers", site["security_headers"], off_ok=True)
    if site.get("rate_limit") is not None:
        found += rate_limit_problems(f"{where}.rate_limit", site["rate_limit"], partial=True)
    return found


def headers_problems(where: str, headers: Any, off_ok: bool) -> list[str]:
    """Security headers: name -> value (null drops one); false (where OFF_OK) sends none."""
    if off_ok and headers is False:
        return []
    if not isinstance(headers, dict):
        allowed = "a mapping of header names to values, or false for none" if off_ok else "a mapping"
        return [problem(where, headers, f"must be {allowed}")]
    found = []
    for name, value in headers.items():
        at = f"{where}.{name}"
        if not isinstance(name, str) or not HEADER_NAME.fullmatch(name):
            found.append(problem(at, name, "a header name is letters, digits and '-'"))
        elif value is not None and not isinstance(value, str):
            found.append(problem(at, value, "must be a string, or null to send no such header"))
        elif value is not None and any(char in value for char in HEADER_BREAKERS):
            found.append(problem(at, value, "cannot hold a double quote, a backslash or a line break"))
    return found


def rate_limit_problems(where: str, limit: Any, partial: bool) -> list[str]:
    """A rate limit: {rate: 100r/s, burst: 200, status: 429}; a site's may give some keys, or false."""
    if partial and limit is False:
        return []
    if not isinstance(limit, dict):
        allowed = "{rate: 100r/s, burst: 200, status: 429}" + (" (some of them), or false" if partial else "")
        return [problem(where, limit, f"must be {allowed}")]
    found = [
        problem(f"{where}.{key}", limit[key], f"unknown key; allowed: {', '.join(RATE_LIMIT_KEYS)}")
        for key in limit
        if key not in RATE_LIMIT_KEYS
    ]
    if not partial:
        found += [problem(where, limit, f"{key} is missing") for key in RATE_LIMIT_KEYS if key not in limit]
    if "rate" in limit:
        found += check_token(
            f"{where}.rate", limit["rate"], RATE, "requests per second or minute, such as 100r/s"
        )
    if "burst" in limit:
        found += check_positive(f"{where}.burst", limit["burst"], minimum=0)
    status = limit.get("status", 429)
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        found.append(problem(f"{where}.status", status, "an HTTP status from 400 to 599, such as 429"))
    return found


def locations_problems(locations: dict[str, Any], where: str = "nginx_locations") -> list[str]:
    """Problems of a location set (the locations entry point's nginx_locations)."""
    found = check_token(f"{where}.name", locations.get("name"), NAME, "letters, digits, '.', '_' and '-'")
    found += check_token(f"{where}.site", locations.get("site"), NAME, "the name of a site")
    if locations.get("state", "present") == "absent":
        return found
    upstreams = locations.get("upstreams") or []
    found += check_upstreams(f"{where}.upstreams", upstreams)
    found += check_locations(
        f"{where}.locations", locations.get("locations"), [u.get("name") for u in upstreams]
    )
    return found


def nginx_problems(settings: dict[str, Any]) -> list[str]:
    """Problems of the main entry point's variables (SETTINGS: name -> value)."""
    found = check_token("nginx_user", settings["nginx_user"], USER, "a Unix user name")
    processes = settings["nginx_worker_processes"]
    if str(processes) != "auto":
        found += check_positive(
            "nginx_worker_processes", int(processes) if str(processes).isdigit() else processes
        )
    for name in ("nginx_worker_connections", "nginx_keepalive_requests", "nginx_client_timeout"):
        found += check_positive(name, settings[name])
    for name in ("nginx_keepalive_timeout", "nginx_gzip_min_length"):
        found += check_positive(name, settings[name], minimum=0)
    connections, nofile = settings["nginx_worker_connections"], settings["nginx_worker_rlimit_nofile"]
    if isinstance(connections, int) and (not isinstance(nofile, int) or nofile < 2 * connections):
        found.append(
            problem(
                "nginx_worker_rlimit_nofile",
                nofile,
                f"must be at least twice nginx_worker_connections ({connections}): "
                "each proxied request holds a client and an upstream connection",
            )
        )
    found += check_token(
        "nginx_client_max_body_size",
        settings["nginx_client_max_body_size"],
        SIZE,
        "a size such as 16m, 512k or 1g",
    )
    for index, mime in enumerate(settings["nginx_gzip_types"]):
        found += check_token(f"nginx_gzip_types[{index}]", mime, MIME, "a MIME type such as text/css")
    listens = settings["nginx_listen"]
    if not listens:
        found.append(problem("nginx_listen", listens, "give at least one listen address, such as '80'"))
    for index, listen in enumerate(listens):
        found += check_listen(f"nginx_listen[{index}]", listen)
    for index, directive in enumerate(settings["nginx_http_extra_directives"]):
        found += check_directive(f"nginx_http_extra_directives[{index}]", directive)
    found += headers_problems("nginx_security_headers", settings["nginx_security_headers"], off_ok=False)
    found += rate_limit_problems("nginx_rate_limit", settings["nginx_rate_limit"], partial=False)
    found += check_networks("nginx_rate_limit_exempt", settings["nginx_rate_limit_exempt"])
    if settings["nginx_status_listen"]:
        found += check_private_listen(
            "nginx_status_listen",
            settings["nginx_status_listen"],
            "the counters are for this host's tools and its monitoring, not for clients ('' turns it off)",
        )
    found += check_token(
        "nginx_status_path", settings["nginx_status_path"], STATUS_PATH, "a path such as /stub_status"
    )
    for name in ("nginx_sandbox_settings", "nginx_sandbox_overrides"):
        found += sandbox_problems(name, settings[name])
    found += tls_settings_problems(settings)
    sites = settings["nginx_sites"]
    needed = any(
        isinstance(s, dict) and isinstance(s.get("tls"), dict) and s["tls"].get("source") == "acme"
        for s in sites
    )
    found += acme_settings_problems(settings, needed=needed)
    found += sites_problems(sites)
    return found


def tls_settings_problems(settings: dict[str, Any]) -> list[str]:
    """The nginx_tls_ variables: the profile every site with `tls` gets."""
    found = []
    for index, listen in enumerate(settings["nginx_tls_listen"]):
        found += check_listen(f"nginx_tls_listen[{index}]", listen)
    if not settings["nginx_tls_protocols"]:
        found.append(problem("nginx_tls_protocols", [], "name at least one TLS version, such as TLSv1.3"))
    for index, version in enumerate(settings["nginx_tls_protocols"]):
        found += check_token(f"nginx_tls_protocols[{index}]", version, TLS_VERSION, "TLSv1.2 or TLSv1.3")
    for name in ("nginx_tls_ciphers", "nginx_tls_ecdh_curves"):
        for index, value in enumerate(settings[name]):
            found += check_token(f"{name}[{index}]", value, OPENSSL_NAME, "an OpenSSL name such as X25519")
    timeout = settings["nginx_tls_session_timeout"]
    found += check_token("nginx_tls_session_timeout", timeout, DURATION, "a time such as 1d or 600s")
    found += check_token(
        "nginx_tls_session_cache",
        settings["nginx_tls_session_cache"],
        SESSION_CACHE,
        "off, none, or shared:NAME:SIZE such as shared:flaskstack_tls:10m",
    )
    found += check_positive("nginx_tls_hsts_max_age", settings["nginx_tls_hsts_max_age"], minimum=0)
    found += check_positive("nginx_tls_selfsigned_days", settings["nginx_tls_selfsigned_days"])
    return found


def sites_problems(sites: list[dict[str, Any]], where: str = "nginx_sites") -> list[str]:
    """Problems of a list of sites (nginx_sites, or another role's list for the sites entry
    point): each site's, and names or server names that two sites share."""
    found: list[str] = []
    for index, site in enumerate(sites):
        found += site_problems(site, f"{where}[{index}]")
    found += check_duplicates(
        ((f"{where}[{i}].name", s.get("name")) for i, s in enumerate(sites)),
        "site name",
        "site names must be unique",
    )
    found += check_duplicates(
        (
            (f"{where}[{i}].server_names[{j}]", name)
            for i, site in enumerate(sites)
            if site.get("state", "present") == "present"
            for j, name in enumerate(site.get("server_names") or [])
        ),
        "server name",
        "server names across sites must be unique",
    )
    return found
