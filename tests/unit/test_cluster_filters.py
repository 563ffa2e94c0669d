"""The filters a cluster's balancers and rolling deploys read the inventory with
(plugins/filter/cluster.py)."""

from __future__ import annotations

from typing import Any

from ansible_collections.flaskstack.stack.plugins.filter import cluster

SHOP = {"name": "shop", "server_names": ["shop.test"], "static": [{"url": "/static/", "path": "static"}]}
ADMIN = {"name": "admin", "site": "shop", "url_prefix": "/admin/", "server_names": ["shop.test"]}
SETTINGS = {
    "keepalive": 32,
    "method": "",
    "listen": [],
    "connect_timeout": 1,
    "read_timeout": 60,
    "next_upstream_tries": 3,
    "next_upstream_timeout": 10,
}


def hostvars(**hosts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name.replace("_", "-"): values for name, values in hosts.items()}


def test_cluster_apps_lists_each_app_once_present_if_a_live_host_runs_it() -> None:
    hv = hostvars(
        a1={"flaskapp_apps": [SHOP, dict(ADMIN, state="absent")]},
        a2={"flaskapp_apps": [SHOP, ADMIN]},
        a3={"flaskapp_apps": [dict(SHOP, name="old")], "flaskapp_retired": True},
    )
    apps = cluster.cluster_apps(["a1", "a2", "a3"], hv)
    assert [(a["name"], a["state"]) for a in apps] == [
        ("shop", "present"),
        ("admin", "present"),
        ("old", "absent"),
    ]


def test_cluster_serving_skips_retired_down_and_backup_hosts() -> None:
    hv = hostvars(
        a1={"flaskapp_apps": [SHOP]},
        a2={"flaskapp_apps": [SHOP], "flaskapp_retired": True},
        a3={"flaskapp_apps": [SHOP], "flaskapp_balancer_down": "true"},
        a4={"flaskapp_apps": [SHOP], "flaskapp_balancer_backup": True},
        a5={"flaskapp_apps": [dict(SHOP, state="absent")]},
        a6={"flaskapp_apps": [SHOP]},
    )
    assert cluster.cluster_serving(["a1", "a2", "a3", "a4", "a5", "a6"], hv, "shop") == ["a1", "a6"]


def test_balancer_sites_proxy_each_app_and_its_mounted_apps_to_their_members() -> None:
    (site,) = cluster.balancer_sites([SHOP, ADMIN], SETTINGS)
    assert site["name"] == "shop"
    assert site["server_names"] == ["shop.test"]
    assert "listen" not in site
    assert site["upstreams"] == [
        {"name": "shop", "members": "members.d/shop/*.conf", "keepalive": 32},
        {"name": "admin", "members": "members.d/admin/*.conf", "keepalive": 32},
    ]
    paths = [(loc["path"], loc.get("match", ""), loc["proxy_pass"]) for loc in site["locations"]]
    assert paths == [
        ("/", "", "shop"),
        ("/static/", "", "shop"),
        ("/admin/", "", "admin"),
        ("/admin", "=", "admin"),
    ]
    static = site["locations"][1]
    assert "http_404" in static["proxy_next_upstream"]
    assert "http_404" not in site["locations"][0]["proxy_next_upstream"]
    assert "non_idempotent" not in site["locations"][0]["proxy_next_upstream"]


def test_balancer_sites_remove_the_site_of_an_app_no_host_runs() -> None:
    assert cluster.balancer_sites([dict(SHOP, state="absent")], SETTINGS) == [
        {"name": "shop", "state": "absent"}
    ]


def test_balancer_sites_take_the_listen_and_method_given() -> None:
    (site,) = cluster.balancer_sites([SHOP], dict(SETTINGS, listen=["8000"], method="least_conn"))
    assert site["listen"] == ["8000"]
    assert site["upstreams"][0]["balance"] == "least_conn"


def test_balancer_sites_serve_an_apps_tls_and_only_its_own() -> None:
    tls = {"source": "selfsigned", "hsts_max_age": 0}
    (site,) = cluster.balancer_sites([dict(SHOP, tls=tls), ADMIN], SETTINGS)
    assert site["tls"] == tls
    assert site["tls"] is not tls  # a copy: the balancer's site never changes the inventory's app
    (plain,) = cluster.balancer_sites([SHOP, ADMIN], SETTINGS)
    assert "tls" not in plain


def test_live_releases_name_each_app_or_why_not() -> None:
    found = {"stdout_lines": ["/srv/shop=releases/1a2b3c4d5e6f", "/srv/blog=releases/ffffffffffff"]}
    assert cluster.flaskapp_live_releases(found, ["shop", "cart"]) == "shop 1a2b3c4d5e6f, cart not deployed"
    assert cluster.flaskapp_live_releases({"unreachable": True, "msg": "gone"}, ["shop"]) == "not read (gone)"
