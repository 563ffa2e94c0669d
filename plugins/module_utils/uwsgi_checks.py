"""What the uwsgi role's argument spec cannot say, checked before anything changes.

Each filter returns a list of problems, one sentence each, naming the variable (with its
index path), the bad value and what is allowed; an empty list means the input is fine.
Option names and values end up in ini files, one `key = value` per line: a newline would
add options of its own and `;` starts a comment, so both are refused, never rendered.

The uwsgi role calls these through the collection's filters (plugins/filter/uwsgi.py);
flaskapp_checks uses them too, to check each app's uWSGI options.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ansible_collections.flaskstack.stack.plugins.module_utils.checks import (
    is_private_ip,
    problem,
    sandbox_problems,
)

OPTION = re.compile(r"[a-z0-9][a-z0-9-]*")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
INI_BREAKERS = ("\n", "\r", ";", "\0")
# Options that count something: a whole number of at least 1, or a uWSGI expression
# such as %(%k * 2) (cores times two), computed when the vassal starts.
COUNTS = (
    "processes",
    "workers",
    "threads",
    "listen",
    "harakiri",
    "max-requests",
    "reload-on-rss",
    "buffer-size",
    "post-buffering",
    "reload-mercy",
    "worker-reload-mercy",
)


# Counts where 0 means "off" (max-requests 0: workers are not recycled by request count).
ZERO_IS_OFF = ("max-requests",)
# Options that make uWSGI listen. On TCP, anyone who reaches the uwsgi protocol can make
# the server load code of their choice (and the stats server tells all): such a listener
# binds a private address, never a wildcard or a public one, unless uwsgi_exposed_sockets.
LISTENERS = (
    "socket",
    "uwsgi-socket",
    "http-socket",
    "http11-socket",
    "https-socket",
    "fastcgi-socket",
    "scgi-socket",
    "raw-socket",
    "ssl-socket",
    "shared-socket",
    "http",
    "https",
    "stats",
    "stats-server",
    "emperor-stats",
    "emperor-stats-server",
)
EXPOSED_RULE = (
    "a TCP listener binds a private address (10.0.0.5:3031, 127.0.0.1:3031) or a unix socket: "
    "whoever reaches the uwsgi protocol can make the server run code. "
    "Set uwsgi_exposed_sockets: true only behind a firewall"
)


def check_listener(where: str, value: Any, exposed_ok: bool = False) -> list[str]:
    """A listening address: a unix socket (a path, or @abstract), or HOST:PORT where HOST is
    a private IP address, unless EXPOSED_OK."""
    if exposed_ok or not isinstance(value, str) or value.startswith(("/", "@", "%(")):
        return []
    address = value.split(",", 1)[0]  # https-socket = ADDR,CERT,KEY
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if not port.isdigit():
        return [problem(where, value, "a unix socket path, or HOST:PORT with a private HOST")]
    if host in ("", "*", "0.0.0.0", "::"):
        return [problem(where, value, f"listens on every address; {EXPOSED_RULE}")]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return [problem(where, value, f"names a host, which may resolve to a public address; {EXPOSED_RULE}")]
    if not is_private_ip(host):
        return [problem(where, value, f"is a public address; {EXPOSED_RULE}")]
    return []


def check_text(where: str, value: Any) -> list[str]:
    char = next((c for c in INI_BREAKERS if isinstance(value, str) and c in value), None)
    if char is not None:
        return [
            problem(where, value, f"contains {char!r}, which would end the ini line (or start a comment)")
        ]
    return []


def check_count(where: str, value: Any, zero_is_off: bool = False) -> list[str]:
    minimum = 0 if zero_is_off else 1
    if value is None or value is False:
        return []
    if isinstance(value, str) and value.startswith("%(") and value.endswith(")"):
        return []
    number = int(value) if isinstance(value, str) and value.isdigit() else value
    if isinstance(number, bool) or not isinstance(number, int) or number < minimum:
        return [
            problem(
                where,
                value,
                f"must be a whole number of at least {minimum}{' (0: off)' if zero_is_off else ''}"
                " (or a uWSGI expression such as '%(%k * 2)')",
            )
        ]
    return []


def check_absolute(where: str, value: Any) -> list[str]:
    if not isinstance(value, str) or not value.startswith("/") or any(c.isspace() for c in value):
        return [problem(where, value, "must be an absolute path without spaces")]
    return check_text(where, value)


def options_problems(
    options: Any, where: str, somaxconn: int | None = None, exposed_ok: bool = False
) -> list[str]:
    """Problems of a dict of uWSGI options (a vassal's, the defaults, the emperor's)."""
    if not isinstance(options, dict):
        return [problem(where, options, "must be a dict of uWSGI options")]
    found = []
    for key, value in options.items():
        at = f"{where}.{key}" if OPTION.fullmatch(str(key)) else f"{where}[{key!r}]"
        if not isinstance(key, str) or not OPTION.fullmatch(key):
            found.append(
                problem(
                    at, key, "an option name is lower-case letters, digits and '-', such as 'max-requests'"
                )
            )
            continue
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, (dict, list)):
                found.append(
                    problem(at, value, "a value is a string, number or boolean (a list repeats the option)")
                )
            else:
                found += check_text(at, item)
                if key in LISTENERS:
                    found += check_listener(at, item, exposed_ok)
        if key in COUNTS:
            off = key in ZERO_IS_OFF
            found += [message for item in items for message in check_count(at, item, off)]
        if key == "listen" and somaxconn and str(value).isdigit() and int(value) > somaxconn:
            found.append(
                problem(
                    at, value, f"above uwsgi_somaxconn ({somaxconn}), the kernel's cap on listen backlogs"
                )
            )
    return found


def vassal_problems(
    vassal: dict[str, Any],
    where: str = "uwsgi_vassal",
    somaxconn: int | None = None,
    exposed_ok: bool = False,
    defaults: dict[str, Any] | None = None,
) -> list[str]:
    """Problems of one vassal (an item of uwsgi_vassals, or the vassal entry point's), whose
    options are merged over DEFAULTS (uwsgi_vassal_defaults)."""
    found = []
    name = vassal.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        found.append(
            problem(f"{where}.name", name, "letters, digits, '.', '_' and '-', not starting with '.' or '-'")
        )
    if vassal.get("state", "present") == "absent":
        return found
    for key in ("owner", "group"):
        if vassal.get(key) is not None and not USER.fullmatch(str(vassal[key])):
            found.append(problem(f"{where}.{key}", vassal[key], "a Unix user or group name"))
    if vassal.get("env_file") is not None:
        found += check_absolute(f"{where}.env_file", vassal["env_file"])
    options = vassal.get("options") or {}
    found += options_problems(options, f"{where}.options", somaxconn, exposed_ok)
    if isinstance(options, dict):
        found += uid_problems(f"{where}.options.uid", options.get("uid", (defaults or {}).get("uid")))
    return found


def uid_problems(where: str, uid: Any) -> list[str]:
    """The emperor runs as root: a vassal without uid (its own or uwsgi_vassal_defaults') would
    run its app as root."""
    if uid is None or uid == "":
        return [
            problem(
                where,
                uid,
                "a vassal without uid runs its app as root (the emperor's user):"
                " give the non-root user it runs as, and gid",
            )
        ]
    if str(uid) in ("root", "0"):
        return [problem(where, uid, "an app must not run as root: give a user of its own")]
    return []


def socket_of(vassal: dict[str, Any], run_dir: str) -> Any:
    return (vassal.get("options") or {}).get("socket") or f"{run_dir}/{vassal.get('name')}/socket"


def uwsgi_problems(settings: dict[str, Any]) -> list[str]:
    """Problems of the main entry point's variables (SETTINGS: name -> value)."""
    found = []
    for name in ("uwsgi_binary", "uwsgi_vassals_dir", "uwsgi_run_dir"):
        found += check_absolute(name, settings[name])
    for name in ("uwsgi_emperor_freq", "uwsgi_vassal_processes_per_core"):
        found += check_count(name, settings[name])
    found += check_count("uwsgi_somaxconn", settings["uwsgi_somaxconn"])
    for name in ("uwsgi_emperor_sandbox_settings", "uwsgi_emperor_sandbox_overrides"):
        found += sandbox_problems(name, settings[name])
    exposed_ok = settings.get("uwsgi_exposed_sockets") is True
    found += options_problems(settings["uwsgi_emperor_options"], "uwsgi_emperor_options", None, exposed_ok)
    somaxconn = settings["uwsgi_somaxconn"]
    found += options_problems(
        settings["uwsgi_vassal_defaults"], "uwsgi_vassal_defaults", somaxconn, exposed_ok
    )
    vassals = settings["uwsgi_vassals"]
    seen_names: dict[Any, str] = {}
    seen_sockets: dict[Any, str] = {}
    for index, vassal in enumerate(vassals):
        at = f"uwsgi_vassals[{index}]"
        found += vassal_problems(vassal, at, somaxconn, exposed_ok, settings["uwsgi_vassal_defaults"])
        name = vassal.get("name")
        if name in seen_names:
            found.append(
                problem(
                    f"{at}.name", name, f"already used by {seen_names[name]}; vassal names must be unique"
                )
            )
        seen_names.setdefault(name, f"{at}.name")
        if vassal.get("state", "present") == "present":
            socket = socket_of(vassal, settings["uwsgi_run_dir"])
            if socket in seen_sockets:
                found.append(
                    problem(
                        f"{at}.options.socket",
                        socket,
                        f"is also the socket of {seen_sockets[socket]}; two vassals cannot share one",
                    )
                )
            seen_sockets.setdefault(socket, at)
    return found
