"""What a cluster's balancers and rolling deploys read from the app hosts' inventory.

{{ groups['app'] | flaskstack.stack.cluster_apps(hostvars) }}                # apps to balance
{{ groups['app'] | flaskstack.stack.cluster_serving(hostvars, 'shop') }}     # hosts serving shop
{{ apps | flaskstack.stack.balancer_sites(settings) }}                       # a balancer's nginx sites
{{ find_result | flaskstack.stack.flaskapp_live_releases(['shop']) }}        # "shop 1a2b3c4d5e6f"
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "on"))


def _apps(host_vars: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(host_vars.get("flaskapp_apps") or [])


def cluster_apps(hosts: Iterable[str], hostvars: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The apps the app hosts define, each once (the first host's definition), in order.

    An app is `present` if a host that is not retired runs it, else `absent`.
    """
    found: dict[str, dict[str, Any]] = {}
    for host in hosts:
        host_vars = hostvars[host]
        retired = _true(host_vars.get("flaskapp_retired", False))
        for app in _apps(host_vars):
            present = app.get("state", "present") == "present" and not retired
            if app["name"] not in found:
                found[app["name"]] = dict(app, state="present" if present else "absent")
            elif present:
                found[app["name"]]["state"] = "present"
    return list(found.values())


def cluster_serving(hosts: Iterable[str], hostvars: Mapping[str, Any], app: str) -> list[str]:
    """The hosts that serve APP for the balancers: it is present there, and the host is
    neither retired, nor down, nor a backup."""
    serving = []
    for host in hosts:
        host_vars = hostvars[host]
        if any(
            _true(host_vars.get(flag, False))
            for flag in ("flaskapp_retired", "flaskapp_balancer_down", "flaskapp_balancer_backup")
        ):
            continue
        if any(a.get("name") == app and a.get("state", "present") == "present" for a in _apps(host_vars)):
            serving.append(host)
    return serving


# nginx passes a request on to the next app host on these answers of the one it tried (a
# POST only if nothing was sent yet); a static file also on a 404, since during a rolling
# deploy each version's pages name files that only that version's hosts have.
NEXT_UPSTREAM = ["error", "timeout", "http_502", "http_503", "http_504"]
NEXT_UPSTREAM_STATIC = [*NEXT_UPSTREAM, "http_404"]


def _proxy(
    path: str, upstream: str, settings: Mapping[str, Any], static: bool = False, match: str = ""
) -> dict:
    location = {
        "path": path,
        "proxy_pass": upstream,
        "proxy_connect_timeout": settings["connect_timeout"],
        "proxy_read_timeout": settings["read_timeout"],
        "proxy_next_upstream": NEXT_UPSTREAM_STATIC if static else NEXT_UPSTREAM,
        "proxy_next_upstream_tries": settings["next_upstream_tries"],
        "proxy_next_upstream_timeout": settings["next_upstream_timeout"],
    }
    if match:
        location["match"] = match
    return location


def _direct(app: Mapping[str, Any], settings: Mapping[str, Any]) -> bool:
    return app.get("balancer_protocol", settings.get("protocol", "http")) == "uwsgi"


def _upstreams(app: Mapping[str, Any], settings: Mapping[str, Any]) -> list[dict]:
    """The app's HTTP upstream (nginx on the app hosts: static files, and every request with
    protocol http), and with protocol uwsgi its uwsgi one (the app's TCP sockets)."""
    upstreams = [
        {
            "name": app["name"],
            "members": f"members.d/{app['name']}/*.conf",
            "keepalive": settings["keepalive"],
        }
    ]
    if _direct(app, settings):
        # No keepalive: the uwsgi protocol closes the connection after each answer.
        upstreams.append({"name": f"{app['name']}-uwsgi", "members": f"members.d/{app['name']}-uwsgi/*.conf"})
    if settings.get("method"):
        for upstream in upstreams:
            upstream["balance"] = settings["method"]
    return upstreams


def _uwsgi(path: str, upstream: str, settings: Mapping[str, Any], match: str = "") -> dict:
    location = {
        "path": path,
        "uwsgi_pass": upstream,
        "uwsgi_connect_timeout": settings["connect_timeout"],
        "uwsgi_read_timeout": settings["read_timeout"],
        "uwsgi_next_upstream": ["error", "timeout", "http_503"],
        "uwsgi_next_upstream_tries": settings["next_upstream_tries"],
        "uwsgi_next_upstream_timeout": settings["next_upstream_timeout"],
    }
    if match:
        location["match"] = match
    return location


def _app_locations(app: Mapping[str, Any], settings: Mapping[str, Any]) -> list[dict]:
    prefix = (app.get("url_prefix") or "/").rstrip("/")
    if _direct(app, settings):
        locations = [_uwsgi(prefix + "/", f"{app['name']}-uwsgi", settings)]
        if prefix:
            locations.append(_uwsgi(prefix, f"{app['name']}-uwsgi", settings, match="="))
    else:
        locations = [_proxy(prefix + "/", app["name"], settings)]
        if prefix:
            locations.append(_proxy(prefix, app["name"], settings, match="="))
    locations += [_proxy(item["url"], app["name"], settings, static=True) for item in app.get("static") or []]
    return locations


def balancer_sites(apps: list[dict[str, Any]], settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The nginx sites of a balancer: one per app that has its own site (no `site` key),
    with the apps mounted on it (`site`, `url_prefix`) as locations of their own upstreams.
    Each upstream includes its members' files (members.d/APP/*.conf), which the app hosts
    write. `settings`: protocol (http or uwsgi, unless the app sets balancer_protocol),
    keepalive, method, connect_timeout, read_timeout, next_upstream_tries,
    next_upstream_timeout, listen (empty: nginx_listen)."""
    sites = []
    for app in apps:
        if app.get("site"):
            continue
        if app.get("state", "present") != "present":
            sites.append({"name": app["name"], "state": "absent"})
            continue
        mounted = [m for m in apps if m.get("site") == app["name"] and m.get("state", "present") == "present"]
        site = {
            "name": app["name"],
            "server_names": list(app["server_names"]),
            "upstreams": [u for a in [app, *mounted] for u in _upstreams(a, settings)],
            "locations": [loc for a in [app, *mounted] for loc in _app_locations(a, settings)],
        }
        if settings.get("listen"):
            site["listen"] = list(settings["listen"])
        if app.get("tls"):
            # HTTPS ends at the balancers; the app hosts' backend sites stay plain.
            site["tls"] = dict(app["tls"])
        for key in ("security_headers", "rate_limit"):
            # The balancers face the clients: they send the headers and limit each one.
            if app.get(key) is not None:
                site[key] = app[key]
        sites.append(site)
    return sites


def flaskapp_live_releases(result: Mapping[str, Any], apps: list[str]) -> str:
    """'APP RELEASE, ...' from the result of `find BASE -name current -printf '%h=%l\\n'` on a
    host, for the apps named; or why the host could not be read."""
    if result.get("unreachable") or "stdout_lines" not in result:
        return f"not read ({result.get('msg', 'unreachable')})"
    live = {}
    for line in result["stdout_lines"]:
        directory, _, target = line.partition("=")
        live[directory.rstrip("/").rsplit("/", 1)[-1]] = target.rstrip("/").rsplit("/", 1)[-1]
    return ", ".join(f"{app} {live.get(app, 'not deployed')}" for app in apps)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "cluster_apps": cluster_apps,
            "cluster_serving": cluster_serving,
            "balancer_sites": balancer_sites,
            "flaskapp_live_releases": flaskapp_live_releases,
        }
