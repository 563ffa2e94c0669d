"""The whole stack on one host: nginx -> uWSGI emperor -> the sample app, as site.yml sets it up."""

from __future__ import annotations

import pytest
from testlib import (
    assert_masked_and_cannot_start,
    assert_running,
    docker_hosts,
    http_get,
    role_default,
    unix_json,
    uwsgi_get,
)
from testlib import test_nginx_and_the_emperor_are_sandboxed as test_nginx_and_the_emperor_are_sandboxed
from testlib import test_no_app_or_worker_process_runs_as_root as test_no_app_or_worker_process_runs_as_root

testinfra_hosts = docker_hosts("app")

APP = "sample"
APP_HOST = "sample.flaskstack.test"
RUN_DIR = f"/run/uwsgi/{APP}"


@pytest.fixture(scope="module", autouse=True)
def app_started(host):
    """One request first: a vassal may start only at the first connection to its socket."""
    assert http_get(host, "/healthz", APP_HOST).status == 200


@pytest.mark.parametrize("unit", ["nginx", "uwsgi-emperor"])
def test_service_enabled_and_running(host, unit):
    assert_running(host, unit)


def test_debian_uwsgi_service_installed_later_cannot_start(host):
    """The side effect installed Debian's uwsgi package after the converge: its service,
    masked by the uwsgi role, did not start with the package and cannot be started, and
    our emperor still serves the app."""
    assert host.package("uwsgi").is_installed
    assert_masked_and_cannot_start(host, "uwsgi")
    assert_running(host, "uwsgi-emperor")
    assert http_get(host, "/", APP_HOST).json()["app"] == APP


def test_nginx_config_is_valid(host):
    result = host.run("nginx -t")
    assert result.rc == 0, result.stderr


def test_vassal_file_belongs_to_root(host):
    """Owner and mode are what this asserts: the app's user cannot change its own vassal
    (and so its uid, or what it runs); what the file says is shown by the requests below."""
    vassal = host.file(f"/etc/uwsgi/vassals/{APP}.ini")
    assert (vassal.user, vassal.group, vassal.mode) == ("root", "root", 0o644)
    assert host.run(f"runuser -u {APP} -- test -w {vassal.path}").rc != 0


@pytest.mark.parametrize(("user", "allowed"), [("www-data", True), (APP, True), ("nobody", False)])
def test_socket_answers_nginx_and_the_app_only(host, user, allowed):
    response = uwsgi_get(host, f"{RUN_DIR}/socket", "/healthz", APP_HOST, user=user)
    if allowed:
        assert (response.status, response.json()) == (200, {"status": "ok"}), response
    else:
        assert response.exit_code == 3, response
        assert "Permission denied" in response.body, response


def test_app_user_has_no_login_shell(host):
    user = host.user(APP)
    assert user.exists
    assert user.shell == "/usr/sbin/nologin"
    assert user.group == APP


def test_env_file_is_readable_by_app_only(host):
    """Who may read the settings; that they reach the app shows in test_json_through_nginx."""
    env = host.file(f"/etc/flaskapp/{APP}.env")
    assert (env.user, env.group, env.mode) == ("root", APP, 0o640)
    assert host.run(f"runuser -u {APP} -- cat {env.path}").rc == 0
    for other in ("www-data", "nobody"):
        assert host.run(f"runuser -u {other} -- cat {env.path}").rc != 0, other


def test_current_points_at_a_complete_release(host):
    current = host.file(f"/srv/{APP}/current")
    assert current.is_symlink
    release = current.linked_to
    assert release.startswith(f"/srv/{APP}/releases/")
    marker = host.file(f"{release}/.flaskstack-release")
    assert marker.content_string.strip() == release.rsplit("/", 1)[1]
    assert host.file(f"{release}/venv/bin/python").exists
    assert host.file(f"/srv/{APP}/releases").user == "root"


def test_json_through_nginx(host):
    response = http_get(host, "/", APP_HOST)
    assert response.status == 200
    body = response.json()
    assert body["app"] == APP
    assert body["greeting"] == "Hello from the flaskstack demo"
    assert response.headers["content-type"] == "application/json"
    assert "server" not in response.headers or response.headers["server"] == "nginx"


def test_unknown_host_gets_no_answer(host):
    # Debian's default site, which answers any name with its welcome page, is gone.
    response = http_get(host, "/", "unknown.example")
    assert response.no_answer, f"nginx answered a request for an unknown Host: {response}"


def test_healthz(host):
    response = http_get(host, "/healthz", APP_HOST)
    assert (response.status, response.json()) == (200, {"status": "ok"})


def test_template_page(host):
    response = http_get(host, "/page", APP_HOST)
    assert response.status == 200
    assert "<h1>Hello from the flaskstack demo</h1>" in response.body


def test_static_file_is_served_by_nginx_not_uwsgi(host):
    def requests_served() -> int:
        stats = unix_json(host, f"{RUN_DIR}/stats.sock")
        return sum(worker["requests"] for worker in stats["workers"])

    before = requests_served()
    response = http_get(host, "/static/style.css", APP_HOST)
    assert response.status == 200
    assert "font-family" in response.body
    assert response.headers["cache-control"] == "max-age=604800"
    assert requests_served() == before, "the static file went through uWSGI"


def test_emperor_stats_list_the_vassal_and_its_workers(host):
    emperor = unix_json(host, "/run/uwsgi-emperor/stats.sock")
    vassals = {vassal["id"]: vassal for vassal in emperor["vassals"]}
    vassal = vassals[f"/etc/uwsgi/vassals/{APP}.ini"]
    assert (vassal["ready"], vassal["accepting"]) == (1, 1)
    app = unix_json(host, f"{RUN_DIR}/stats.sock")
    cores = int(host.run("nproc").stdout)
    # The scenario sets no processes: the uwsgi role's default, workers per core.
    assert len(app["workers"]) == role_default("uwsgi", "uwsgi_vassal_processes_per_core") * cores
    assert all(worker["status"] in ("idle", "busy") for worker in app["workers"])
