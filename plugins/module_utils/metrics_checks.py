"""The metrics role's input checks: what its argument spec cannot say.

The exporters bind a loopback or private address (whoever reaches them reads the apps'
numbers), on ports of their own, and nginx's exporter needs the nginx role's stub_status
server. Each check returns problem sentences (checks.problem); empty means fine.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.flaskstack.stack.plugins.module_utils.checks import (
    check_networks,
    is_private_ip,
    problem,
)
from ansible_collections.flaskstack.stack.plugins.module_utils.firewall_checks import check_port

WHY = (
    "whoever reaches the exporters reads how the apps run; metrics_scrape_sources opens them to Prometheus"
    " in the firewall"
)


def metrics_problems(settings: dict[str, Any]) -> list[str]:
    """Problems of the metrics_* variables (SETTINGS: name -> value), with `nginx_host` (whether
    the host runs nginx) and the nginx role's `nginx_status_listen`."""
    address = settings["metrics_listen_address"]
    found = []
    if not (isinstance(address, str) and is_private_ip(address)):
        found.append(
            problem(
                "metrics_listen_address",
                address,
                f"a loopback or private IP address, such as 10.0.0.5: {WHY}",
            )
        )
    for name in ("metrics_nginx_port", "metrics_uwsgi_port"):
        found += check_port(name, settings[name])
    if settings["metrics_nginx_port"] == settings["metrics_uwsgi_port"]:
        found.append(
            problem(
                "metrics_uwsgi_port", settings["metrics_uwsgi_port"], "must differ from metrics_nginx_port"
            )
        )
    found += check_networks("metrics_scrape_sources", settings["metrics_scrape_sources"])
    if settings.get("nginx_host") and not settings.get("nginx_status_listen"):
        found.append(
            problem(
                "nginx_status_listen",
                settings.get("nginx_status_listen"),
                "nginx's exporter reads the stub_status server there: give it an address (127.0.0.1:8079)",
            )
        )
    return found
