"""What the flaskapp role's argument spec cannot say, checked before anything changes.

`flaskapp_problems` returns a list of problems, one sentence each, naming the variable
(with its index path), the bad value and what is allowed; an empty list means the input
is fine. An app's names and values end up in nginx and uWSGI configuration, a user
account, directory names and an environment file: the nginx and uwsgi checks
(nginx_checks, uwsgi_checks) judge what goes into their files, this module the rest and
everything that must be unique across apps. The flaskapp role calls it through the
collection's filter (plugins/filter/flaskapp.py).
"""

from __future__ import annotations

import ast
import os
import re
from typing import Any

from ansible_collections.flaskstack.stack.plugins.module_utils import nginx_checks as nginx
from ansible_collections.flaskstack.stack.plugins.module_utils import uwsgi_checks as uwsgi
from ansible_collections.flaskstack.stack.plugins.module_utils.checks import (
    check_duplicates,
    check_positive,
    problem,
)
from ansible_collections.flaskstack.stack.plugins.module_utils.tls_checks import tls_problems

APP_NAME = re.compile(r"[a-z][a-z0-9_-]{0,30}")
APP_NAME_RULE = (
    "a lower-case letter, then up to 30 lower-case letters, "
    "digits, '_' or '-' (it names a Unix user and directories)"
)
MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*")
# An application factory call: module:function(ARGUMENTS), the arguments Python literals.
FACTORY = re.compile(
    r"(?P<module>[A-Za-z_][A-Za-z0-9_.]*):(?P<function>[A-Za-z_][A-Za-z0-9_]*)\((?P<args>.*)\)", re.S
)
MODULE_RULE = "module:attribute or module:factory(...), such as shop.wsgi:application or flaskr:create_app()"
# A package pinned to one version, as pip reads it: name, optional extras, ==version.
PACKAGE_SPEC = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?==[A-Za-z0-9.!+_-]+")
INDEX_URL = re.compile(r"https?://[^\s'\"]+")
ARTIFACT = re.compile(r".+\.(whl|tar\.gz|zip)")
INSTALLS = ("auto", "requirements", "project", "uv")
PREFIX = re.compile(r"/(?:[A-Za-z0-9._~-]+(?:/[A-Za-z0-9._~-]+)*/?)?")
ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
BASE_URL = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]+")
RELEASE = re.compile(r"[0-9a-f]{12}")
# uWSGI options the role sets itself: the socket is where nginx sends requests, the paths
# go through `current` for zero-downtime switches, the user is the app's.
RESERVED_UWSGI = (
    "socket",
    "chmod-socket",
    "chown-socket",
    "uid",
    "gid",
    "chdir",
    "virtualenv",
    "pythonpath",
    "module",
    "wsgi-file",
    "mount",
    "manage-script-name",
    "lazy-apps",
    "touch-chain-reload",
)


def check_relative(where: str, value: Any) -> list[str]:
    """A path inside the release: relative, never leaving it."""
    if not isinstance(value, str) or not value or value.startswith("/") or ".." in value.split("/"):
        return [problem(where, value, "must be a path relative to the release, without '..'")]
    return nginx.check_token(
        where, value, re.compile(r"[A-Za-z0-9._/-]+"), "letters, digits, '.', '_', '-' and '/'"
    )


def static_exposure_problems(where: str, path: Any) -> list[str]:
    """A static directory nginx serves to everyone: not the release itself, its virtualenv,
    or a hidden file or directory (.env, .git), where code, settings and secrets live."""
    if not isinstance(path, str):
        return []
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if not parts or parts == ["venv"] or any(part.startswith(".") for part in parts):
        return [
            problem(
                where,
                path,
                "nginx would serve it to anyone: name the directory of the static files, not the release, its"
                " virtualenv or a hidden file or directory (code, settings and secrets live there)",
            )
        ]
    return []


def check_not_negative(where: str, value: Any) -> list[str]:
    return check_positive(where, value, minimum=0)


def factory_arguments_problem(arguments: str) -> str | None:
    """Why ARGUMENTS (the text between a factory's parentheses) are refused; None if they are
    Python literals, positional or by keyword, which the WSGI file can pass on as written."""
    try:
        call = ast.parse(f"f({arguments})", mode="eval").body
    except SyntaxError:
        return "its arguments do not parse as Python"
    values = [*call.args, *(keyword.value for keyword in call.keywords)]
    if any(keyword.arg is None for keyword in call.keywords) or any(
        isinstance(v, ast.Starred) for v in values
    ):
        return "its arguments are literals, not *args or **kwargs"
    for value in values:
        try:
            ast.literal_eval(value)
        except ValueError:
            return "its arguments must be literals (strings, numbers, True, None, lists, dicts)"
    return None


def check_module(where: str, value: Any) -> list[str]:
    """A WSGI callable, module:attribute, or an application factory call, module:function(...)."""
    if isinstance(value, str) and not MODULE.fullmatch(value):
        factory = FACTORY.fullmatch(value)
        if factory:
            why = factory_arguments_problem(factory["args"])
            return [problem(where, value, f"{MODULE_RULE}: {why}")] if why else []
    return nginx.check_token(where, value, MODULE, MODULE_RULE)


def check_source(where: str, source: dict[str, Any], version: str) -> list[str]:
    if source.get("type") == "wheel":
        path = version or source.get("path")
        spot = "flaskapp_version" if version else f"{where}.path"
        if (
            not isinstance(path, str)
            or not os.path.isabs(path)
            or not ARTIFACT.fullmatch(os.path.basename(path))
        ):
            return [
                problem(
                    spot,
                    path,
                    "must be the absolute path on the controller of a wheel (.whl) or sdist (.tar.gz, .zip)",
                )
            ]
        if not os.path.isfile(path):
            return [problem(spot, path, "no such file on the controller (build it first: python -m build)")]
        return []
    if source.get("type") == "package":
        spec = version or source.get("spec")
        spot = "flaskapp_version" if version else f"{where}.spec"
        found = nginx.check_token(
            spot, spec, PACKAGE_SPEC, "a package pinned to one version, such as flaskr==1.0.0"
        )
        for key in ("index_url", "extra_index_url"):
            if source.get(key) is not None:
                found += nginx.check_token(f"{where}.{key}", source[key], INDEX_URL, "an http(s) URL")
        return found
    if source.get("type") == "dir":
        path = version or source.get("path")
        spot = "flaskapp_version" if version else f"{where}.path"
        if not isinstance(path, str) or not os.path.isabs(path):
            return [
                problem(
                    spot,
                    path,
                    'must be an absolute path on the controller, such as "{{ playbook_dir }}/../app"',
                )
            ]
        if not os.path.isdir(path):
            return [problem(spot, path, "no such directory on the controller")]
        return []
    found = []
    for key, value in (("repo", source.get("repo")), ("version", version or source.get("version", "HEAD"))):
        spot = "flaskapp_version" if key == "version" and version else f"{where}.{key}"
        if (
            not isinstance(value, str)
            or not value
            or value.startswith("-")
            or any(c.isspace() for c in value)
        ):
            found.append(
                problem(spot, value, "must be non-empty, without spaces, and must not start with '-'")
            )
    return found


def install_problems(app: dict[str, Any], where: str) -> list[str]:
    """How the release's virtualenv is filled: from a wheel or package source, only the artifact."""
    install = app.get("install", "auto")
    if install not in INSTALLS:
        return [problem(f"{where}.install", install, f"one of {', '.join(INSTALLS)}")]
    found = []
    artifact = (app.get("source") or {}).get("type") in ("wheel", "package")
    if artifact and install != "auto":
        found.append(
            problem(
                f"{where}.install",
                install,
                "a wheel or package source installs that artifact: leave install at auto",
            )
        )
    if app.get("constraints") is not None:
        found += check_relative(f"{where}.constraints", app["constraints"])
    return found


def shared_links(app: dict[str, Any]) -> list[dict[str, str]]:
    """The app's shared paths as {path: where each release links it, name: its directory
    under shared/}. An entry is a path (its own name) or {path, name}: two paths with one
    name share one directory, such as Flask's instance folder of a source tree (`instance`)
    and of an installed package (`venv/var/APP-instance`)."""
    links = []
    for entry in app.get("shared") or []:
        if isinstance(entry, dict):
            path = entry.get("path")
            name = entry.get("name", path)
        else:
            path = name = entry
        if isinstance(path, str) and isinstance(name, str):
            links.append({"path": path.strip("/"), "name": name.strip("/")})
    return links


def shared_files(app: dict[str, Any]) -> list[dict[str, Any]]:
    """The app's shared files, each with `dest`, its path under shared/ (through the shared
    path that holds it), beside its `path` and `content`."""
    files = []
    for item in app.get("shared_files") or []:
        path = item.get("path") if isinstance(item, dict) else None
        for link in shared_links(app):
            if isinstance(path, str) and path.startswith(link["path"] + "/"):
                files.append({**item, "dest": link["name"] + path[len(link["path"]) :]})
                break
    return files


def shared_layout(app: dict[str, Any]) -> dict[str, Any]:
    """What the role makes of an app's shared paths: the links of a release, the directories
    under shared/ (each once, in order) and the files written into them."""
    links = shared_links(app)
    return {
        "links": links,
        "dirs": list(dict.fromkeys(link["name"] for link in links)),
        "files": shared_files(app),
    }


def check_nested(values: list[tuple[str, str]], what: str) -> list[str]:
    """VALUES are (where, path) pairs: report a path that lies inside another one."""
    return [
        problem(where, path, f"lies inside {what} {other!r} of {other_where}: share one or the other")
        for where, path in values
        for other_where, other in values
        if path.startswith(other + "/")
    ]


def shared_problems(app: dict[str, Any], where: str) -> list[str]:
    """Shared paths stay inside the release, their directories inside shared/; shared files
    lie inside a shared path."""
    found = []
    paths, names = [], []
    for index, entry in enumerate(app.get("shared") or []):
        at = f"{where}.shared[{index}]"
        if isinstance(entry, dict):
            unknown = sorted(set(entry) - {"path", "name"})
            if unknown:
                found.append(problem(at, entry, f"knows only path and name, not {', '.join(unknown)}"))
            path, name = entry.get("path"), entry.get("name", entry.get("path"))
            path_at, name_at = f"{at}.path", f"{at}.name"
        else:
            path = name = entry
            path_at = name_at = at
        problems = check_relative(path_at, path)
        if not problems and (path.strip("/") in ("", ".", "venv") or path in RESERVED_SHARED):
            problems.append(
                problem(
                    path_at, path, "names a path of the release that the role makes: share a path inside it"
                )
            )
        if name is not path:
            problems += check_relative(name_at, name)
            if not problems and name.strip("/") in ("", "."):
                problems.append(problem(name_at, name, "names a directory inside the app's shared/"))
        found += problems
        if not problems:
            paths.append((path_at, path.strip("/")))
            names.append((name_at, name.strip("/")))
    found += check_duplicates(paths, "shared path", "list it once")
    found += check_nested(paths, "shared path")
    # Directories nested under shared/, unless already reported as nested paths.
    for (name_at, name), (_, path) in zip(names, paths, strict=True):
        for (other_at, other), (_, other_path) in zip(names, paths, strict=True):
            if name.startswith(other + "/") and not path.startswith(other_path + "/"):
                found.append(
                    problem(
                        name_at,
                        name,
                        f"lies inside the shared directory {other!r} of {other_at}: share one or the other",
                    )
                )
    dirs = [path for _, path in paths]
    for index, item in enumerate(app.get("shared_files") or []):
        at = f"{where}.shared_files[{index}]"
        path = item.get("path")
        found += check_relative(f"{at}.path", path)
        if isinstance(path, str) and not any(path.startswith(d + "/") for d in dirs):
            found.append(
                problem(
                    f"{at}.path",
                    path,
                    f"must lie inside one of the app's shared paths ({', '.join(dirs) or 'none'})",
                )
            )
        if not isinstance(item.get("content"), str):
            found.append(problem(f"{at}.content", "(hidden)", "the content of the file, a string"))
    return found


# Paths of a release that the role itself writes.
RESERVED_SHARED = (".flaskstack-release",)


def cache_problems(where: str, cache: Any) -> list[str]:
    """An app's uWSGI cache: {items, blocksize, store}, every key optional."""
    if not isinstance(cache, dict):
        return [problem(where, cache, "a mapping of items, blocksize (bytes) and store (true or false)")]
    found = [
        problem(f"{where}.{key}", value, "unknown key; allowed: items, blocksize, store")
        for key, value in cache.items()
        if key not in ("items", "blocksize", "store")
    ]
    for key in ("items", "blocksize"):
        if key in cache:
            found += check_positive(f"{where}.{key}", cache[key])
    if not isinstance(cache.get("store", False), bool):
        found.append(
            problem(f"{where}.store", cache["store"], "true (kept in a file across restarts) or false")
        )
    return found


def app_problems(
    app: dict[str, Any], where: str, version: str, somaxconn: int | None = None, exposed_ok: bool = False
) -> list[str]:
    """Problems of one app that need no other app to judge."""
    found = []
    for key in ("name", "user"):
        if key in app and (not isinstance(app[key], str) or not APP_NAME.fullmatch(app[key])):
            found.append(problem(f"{where}.{key}", app[key], APP_NAME_RULE))
    if app.get("state", "present") == "absent":
        return found
    if app.get("user", app.get("name")) == "root":
        key = "user" if "user" in app else "name"
        found.append(problem(f"{where}.{key}", "root", "an app runs as a user of its own, never root"))
    found += check_source(f"{where}.source", app.get("source") or {}, version)
    found += check_module(f"{where}.module", app.get("module"))
    for key, default in (("pythonpath", "."), ("requirements", "requirements.txt")):
        value = app.get(key, default)
        if value != ".":
            found += check_relative(f"{where}.{key}", value)
    found += install_problems(app, where)
    found += shared_problems(app, where)
    names = app.get("server_names") or []
    if not names:
        found.append(problem(f"{where}.server_names", names, "an app needs at least one server name"))
    for index, name in enumerate(names):
        found += nginx.check_token(
            f"{where}.server_names[{index}]", name, nginx.SERVER_NAME, "a host name such as shop.example.com"
        )
    for index, listen in enumerate(app.get("listen") or []):
        found += nginx.check_listen(f"{where}.listen[{index}]", listen)
    if app.get("tls") is not None:
        if "site" in app:
            found.append(
                problem(
                    f"{where}.tls", "(given)", "an app mounted on another site is served with that site's tls"
                )
            )
        else:
            found += tls_problems(f"{where}.tls", app["tls"], names, f"{where}.server_names")
    for key in ("security_headers", "rate_limit"):
        if app.get(key) is not None and "site" in app:
            found.append(
                problem(f"{where}.{key}", "(given)", f"an app mounted on another site gets that site's {key}")
            )
    if app.get("security_headers") is not None:
        found += nginx.headers_problems(f"{where}.security_headers", app["security_headers"], off_ok=True)
    if app.get("rate_limit") is not None:
        found += nginx.rate_limit_problems(f"{where}.rate_limit", app["rate_limit"], partial=True)
    prefix = app.get("url_prefix", "/")
    found += nginx.check_token(
        f"{where}.url_prefix", prefix, PREFIX, "a URL path starting with '/', such as /blog"
    )
    if "site" in app:
        found += nginx.check_token(f"{where}.site", app["site"], nginx.NAME, "the name of a site")
        if prefix.strip("/") == "":
            found.append(
                problem(
                    f"{where}.url_prefix",
                    prefix,
                    f"an app mounted on site {app['site']!r} needs a prefix of its own, such as /blog",
                )
            )
    for index, hook in enumerate(app.get("hooks") or []):
        if not isinstance(hook, str) or not hook.strip():
            found.append(problem(f"{where}.hooks[{index}]", hook, "must be a shell command"))
    for index, static in enumerate(app.get("static") or []):
        at = f"{where}.static[{index}]"
        found += nginx.check_token(
            f"{at}.url",
            static.get("url"),
            re.compile(r"/(?:[A-Za-z0-9._~-]+/)*"),
            "a URL prefix starting and ending with '/', such as /static/",
        )
        found += check_relative(f"{at}.path", static.get("path"))
        found += static_exposure_problems(f"{at}.path", static.get("path"))
        if static.get("expires") is not None:
            found += nginx.check_token(
                f"{at}.expires", static["expires"], nginx.EXPIRES, "a time such as 7d, or off"
            )
    for key, value in (app.get("env") or {}).items():
        at = f"{where}.env.{key}"
        if not isinstance(key, str) or not ENV_KEY.fullmatch(key):
            found.append(
                problem(at, key, "a setting name is letters, digits and '_', not starting with a digit")
            )
        elif key == "FLASKSTACK_APP":
            found.append(problem(at, value, "FLASKSTACK_APP is set by the role (the app's name)"))
        if isinstance(value, (dict, list)):
            found.append(problem(at, "(hidden)", "a setting is a string, number or boolean"))
        elif isinstance(value, str) and any(c in value for c in ("\n", "\r", "\0")):
            # The value stays out of the message: settings are secrets.
            found.append(
                problem(
                    at, "(hidden)", "contains a line break: one setting is one line of the environment file"
                )
            )
    found += nginx.check_token(
        f"{where}.healthcheck_path",
        app.get("healthcheck_path", "/healthz"),
        re.compile(r"/[^\s'\"]*"),
        "a URL path starting with '/'",
    )
    if app.get("cache") is not None:
        found += cache_problems(f"{where}.cache", app["cache"])
    options = app.get("uwsgi_options") or {}
    found += uwsgi.options_problems(options, f"{where}.uwsgi_options", somaxconn, exposed_ok)
    found += [
        problem(f"{where}.uwsgi_options.{key}", options[key], "is set by the flaskapp role; see its README")
        for key in RESERVED_UWSGI
        if key in options
    ]
    for index, directive in enumerate(app.get("nginx_directives") or []):
        found += nginx.check_directive(f"{where}.nginx_directives[{index}]", directive)
    if app.get("nginx_retries") is not None:
        found += check_not_negative(f"{where}.nginx_retries", app["nginx_retries"])
    if app.get("nginx_read_timeout") is not None:
        found += check_positive(f"{where}.nginx_read_timeout", app["nginx_read_timeout"])
    return found


def flaskapp_problems(settings: dict[str, Any]) -> list[str]:
    """Problems of the main entry point's variables, with nginx_sites and uwsgi_vassals of the host."""
    found = []
    paths = (
        "flaskapp_base_dir",
        "flaskapp_env_dir",
        "flaskapp_python",
        "flaskapp_run_dir",
        "flaskapp_uv_dir",
    )
    for name in paths:
        found += uwsgi.check_absolute(name, settings[name])
    found += nginx.check_token(
        "flaskapp_web_group", settings["flaskapp_web_group"], nginx.USER, "a Unix group name"
    )
    found += nginx.check_token(
        "flaskapp_healthcheck_base_url",
        settings["flaskapp_healthcheck_base_url"],
        BASE_URL,
        "http://HOST[:PORT], no path",
    )
    for name in ("flaskapp_healthcheck_retries", "flaskapp_reload_timeout", "flaskapp_nginx_read_timeout"):
        found += check_positive(name, settings[name])
    for name in ("flaskapp_healthcheck_delay", "flaskapp_nginx_retries", "flaskapp_nginx_retry_window"):
        found += check_not_negative(name, settings[name])
    found += check_positive("flaskapp_keep_releases", settings["flaskapp_keep_releases"], minimum=2)
    release = settings["flaskapp_rollback_release"]
    if release and not (isinstance(release, str) and RELEASE.fullmatch(release)):
        found.append(
            problem(
                "flaskapp_rollback_release", release, "a release id is 12 hex digits (ls /srv/APP/releases)"
            )
        )

    apps = settings["flaskapp_apps"]
    names = [app.get("name") for app in apps]
    for name in settings["flaskapp_only"]:
        if name not in names:
            found.append(
                problem(
                    "flaskapp_only",
                    name,
                    f"no app of that name in flaskapp_apps (apps: {', '.join(map(str, names)) or 'none'})",
                )
            )
    version = settings["flaskapp_version"]
    if version and len(settings["flaskapp_only"]) != 1:
        found.append(
            problem(
                "flaskapp_version",
                version,
                "a version is deployed to one app: set flaskapp_only (deploy.yml: -e app=NAME)",
            )
        )
    for index, app in enumerate(apps):
        found += app_problems(
            app,
            f"flaskapp_apps[{index}]",
            version if app.get("name") in settings["flaskapp_only"] else "",
            int(settings["uwsgi_somaxconn"]),
            settings.get("uwsgi_exposed_sockets") is True,
        )

    present = [(i, app) for i, app in enumerate(apps) if app.get("state", "present") == "present"]
    direct = [
        app
        for _, app in present
        if app.get("balancer_protocol", settings.get("flaskapp_balancer_protocol")) == "uwsgi"
    ]
    if settings.get("flaskapp_clustered") is True and direct:
        # The balancers reach these apps' TCP sockets at this address: a private IP address.
        port = direct[0].get("uwsgi_port", settings.get("flaskapp_uwsgi_base_port"))
        found += uwsgi.check_listener(
            "flaskapp_balancer_address",
            f"{settings.get('flaskapp_balancer_address')}:{port}",
            settings.get("uwsgi_exposed_sockets") is True,
        )
    found += check_duplicates(
        [(f"flaskapp_apps[{i}].name", app.get("name")) for i, app in enumerate(apps)],
        "app name",
        "each app needs its own",
    )
    found += check_duplicates(
        [(f"flaskapp_apps[{i}].user", app.get("user", app.get("name"))) for i, app in enumerate(apps)],
        "user",
        "each app runs as its own user",
    )
    sites = [s for s in settings["nginx_sites"] if s.get("state", "present") == "present"]
    found += check_duplicates(
        [
            (f"nginx_sites[{i}].server_names[{j}]", n)
            for i, s in enumerate(sites)
            for j, n in enumerate(s.get("server_names") or [])
        ]
        + [
            (f"flaskapp_apps[{i}].server_names[{j}]", n)
            for i, app in present
            if "site" not in app
            for j, n in enumerate(app.get("server_names") or [])
        ],
        "server name",
        "nginx would send its requests to one site only",
    )
    site_names = {s.get("name") for s in sites}
    owners = set(site_names)  # sites an app can be mounted on: nginx_sites, and apps listed before it
    mounts: dict[tuple[Any, str], str] = {}
    for i, app in present:
        at = f"flaskapp_apps[{i}]"
        if "site" not in app and app.get("name") in site_names:
            found.append(
                problem(
                    f"{at}.name",
                    app.get("name"),
                    "nginx_sites has a site of that name; the app's site would replace it",
                )
            )
        if "site" in app and app["site"] not in owners:
            found.append(
                problem(
                    f"{at}.site",
                    app["site"],
                    "no such site: define it in nginx_sites or as an app listed before this one",
                )
            )
        if "site" not in app:
            owners.add(app.get("name"))
        key = (app.get("site", app.get("name")), str(app.get("url_prefix", "/")).rstrip("/"))
        if key in mounts:
            found.append(
                problem(
                    f"{at}.url_prefix",
                    app.get("url_prefix", "/"),
                    f"site {key[0]!r} already serves {mounts[key]} there",
                )
            )
        mounts.setdefault(key, at)
    vassals = {v.get("name"): i for i, v in enumerate(settings["uwsgi_vassals"])}
    sockets = {
        uwsgi.socket_of(v, settings["uwsgi_run_dir"]): i for i, v in enumerate(settings["uwsgi_vassals"])
    }
    for i, app in present:
        at = f"flaskapp_apps[{i}]"
        if app.get("name") in vassals:
            found.append(
                problem(
                    f"{at}.name",
                    app.get("name"),
                    f"uwsgi_vassals[{vassals[app.get('name')]}] is a vassal of that name",
                )
            )
        socket = f"{settings['flaskapp_run_dir']}/{app.get('name')}/socket"
        if socket in sockets:
            found.append(
                problem(
                    f"{at}.name",
                    app.get("name"),
                    f"its socket {socket} is the socket of uwsgi_vassals[{sockets[socket]}]",
                )
            )
    return found
