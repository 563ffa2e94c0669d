"""Apps in the shape of Flask's tutorial, from a directory and from a wheel: their data
(users, posts, the instance config) outlives a deploy and a rollback made under load."""

from __future__ import annotations

import hashlib
import json

import pytest
from testlib import docker_hosts, http_get, load, output
from testlib import step as record

testinfra_hosts = docker_hosts("app")

APPS = ["flaskr", "wheelr"]
KEYS = {app: f"{app}-key-from-the-instance-config" for app in APPS}
# Where Flask finds the instance folder: beside the package in the source tree, or in the
# virtualenv for the installed wheel; both are links to the app's shared directory.
INSTANCE = {"flaskr": "instance", "wheelr": "venv/var/flaskr-instance"}
STEPS = ["flaskr-deploy-v2", "flaskr-rollback", "wheelr-deploy-v2", "wheelr-rollback"]
TIMEOUT_MS = 5000


@pytest.mark.parametrize("app", APPS)
def test_a_user_registered_logged_in_and_wrote_posts(host, app):
    # register and login redirect (302) on success; each post redirects to the index.
    assert host.file(f"/root/steps/{app}-use.txt").content_string.split() == ["302"] * 5


@pytest.mark.parametrize("name", STEPS)
def test_each_deploy_and_rollback_succeeded_with_no_failed_request(host, name):
    assert record(host, name)["rc"] == 0, output(host, name)
    assert record(host, name)["load_outlasted_playbook"], name
    totals = load(host, name)
    print(name, totals)
    assert totals["requests"] >= 500, totals
    errors = {key: totals[key] for key in ("non2xx", "connect", "read", "write")}
    assert errors == dict.fromkeys(errors, 0), totals
    assert totals["max_ms"] < TIMEOUT_MS, totals


@pytest.mark.parametrize("app", APPS)
def test_the_load_saw_the_new_version_then_the_old_one_again(host, app):
    deployed = load(host, f"{app}-deploy-v2")["versions"]
    assert deployed.get("1.0.0", 0) > 0, deployed
    assert deployed.get("2.0.0", 0) > 0, deployed
    rolled_back = load(host, f"{app}-rollback")["versions"]
    assert rolled_back.get("1.0.0", 0) > 0, rolled_back
    assert http_get(host, "/about", f"{app}.test").json()["version"] == "1.0.0"


@pytest.mark.parametrize("app", APPS)
def test_users_and_posts_outlived_the_deploy_and_the_rollback(host, app):
    assert host.file(f"/root/steps/{app}-login-after.txt").content_string.split() == ["302"]
    # Logged in with the cookie the login set: the page greets the user by name.
    assert "<span>ada</span>" in host.file(f"/root/steps/{app}-index-after.html").content_string
    posts = json.loads(host.file(f"/root/steps/{app}-posts-after.json").content_string)
    assert [(p["title"], p["author"]) for p in posts] == [
        ("first", "ada"),
        ("second", "ada"),
        ("third", "ada"),
    ]


@pytest.mark.parametrize("app", APPS)
def test_the_app_runs_with_the_key_of_its_instance_config(host, app):
    about = http_get(host, "/about", f"{app}.test").json()
    assert about["secret_key_sha256"] == hashlib.sha256(KEYS[app].encode()).hexdigest()
    assert about["instance_path"].endswith(INSTANCE[app])


@pytest.mark.parametrize("app", APPS)
def test_the_instance_folder_is_shared_and_only_the_app_writes_it(host, app):
    shared = host.file(f"/srv/{app}/shared/{INSTANCE[app]}")
    assert shared.is_directory
    assert (shared.user, shared.group, shared.mode) == (app, app, 0o750)
    config = host.file(f"/srv/{app}/shared/{INSTANCE[app]}/config.py")
    assert (config.user, config.group, config.mode) == ("root", app, 0o640)
    database = host.file(f"/srv/{app}/shared/{INSTANCE[app]}/flaskr.sqlite")
    assert database.user == app
    # Every release links the same directory; the release itself stays root's.
    for release in host.check_output(f"ls /srv/{app}/releases").split():
        link = host.file(f"/srv/{app}/releases/{release}/{INSTANCE[app]}")
        assert link.is_symlink, release
        assert link.linked_to == f"/srv/{app}/shared/{INSTANCE[app]}", release
        assert host.file(f"/srv/{app}/releases/{release}").user == "root"
    # The app user can write its instance folder and not its release.
    assert host.run(f"runuser -u {app} -- touch /srv/{app}/shared/{INSTANCE[app]}/probe").rc == 0
    assert host.run(f"runuser -u {app} -- touch /srv/{app}/current/probe").rc != 0


def test_the_factory_is_called_by_a_root_owned_wsgi_file(host):
    wsgi = host.file("/srv/flaskr/wsgi.py")
    assert (wsgi.user, wsgi.mode) == ("root", 0o644)
    assert "application = create_app()" in wsgi.content_string
    assert "wsgi-file = /srv/flaskr/wsgi.py" in host.file("/etc/uwsgi/vassals/flaskr.ini").content_string


def test_the_wheel_release_holds_the_wheel_and_no_source(host):
    release = host.file("/srv/wheelr/current").linked_to
    files = host.check_output(f"ls {release}").split()
    assert "flaskr-1.0.0-py3-none-any.whl" in files
    assert "flaskr" not in files, "the package comes from the virtualenv"
