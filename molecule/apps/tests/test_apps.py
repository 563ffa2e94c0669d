"""Apps in the shape of Flask's tutorial, from a source directory that moves to a wheel,
from a private package index, and from a uv lock: their data (users, posts, the instance
config) outlives every deploy and rollback, made under load."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from testlib import docker_hosts, http_get, load, output, parse_response, whole_output
from testlib import step as record
from testlib import test_nginx_and_the_emperor_are_sandboxed as test_nginx_and_the_emperor_are_sandboxed
from testlib import test_no_app_or_worker_process_runs_as_root as test_no_app_or_worker_process_runs_as_root

testinfra_hosts = docker_hosts("app")

APPS = ["flaskr", "pkgr", "uvr"]
KEYS = {app: f"{app}-key-from-the-instance-config" for app in APPS}
# uvr's secret was rotated under load (side_effect.yml, step uvr-rotate-secret).
ROTATED = "uvr-rotated-key"
# The deploy and the rollback of each app that changes version under load.
STEPS = {"flaskr": ("flaskr-wheel-v2", "flaskr-rollback"), "pkgr": ("pkgr-deploy-v2", "pkgr-rollback")}
# Where Flask looks for the instance folder: beside the package in a source tree, in the
# virtualenv for an installed package. Both are links to the app's one shared directory.
SOURCE_TREE, INSTALLED = "instance", "venv/var/flaskr-instance"
POSTS = [("first", "ada"), ("second", "ada"), ("third", "ada")]
TIMEOUT_MS = 5000
SITE_PACKAGES = "venv/lib/python3.11/site-packages"


def assert_no_failed_request(totals: dict) -> None:
    errors = {key: totals[key] for key in ("non2xx", "connect", "read", "write")}
    assert errors == dict.fromkeys(errors, 0), totals


def posts(host, path: str) -> list[tuple[str, str]]:
    return [(p["title"], p["author"]) for p in json.loads(host.file(path).content_string)]


@pytest.mark.parametrize("app", APPS)
def test_a_user_registered_logged_in_and_wrote_posts(host, app):
    # register and login redirect (302) on success; each post redirects to the index.
    assert host.file(f"/root/steps/{app}-use.txt").content_string.split() == ["302"] * 5


@pytest.mark.parametrize("name", [name for steps in STEPS.values() for name in steps])
def test_each_deploy_and_rollback_succeeded_with_no_failed_request(host, name):
    assert record(host, name)["rc"] == 0, output(host, name)
    assert record(host, name)["load_outlasted_playbook"], name
    totals = load(host, name)
    print(name, totals)
    assert totals["requests"] >= 500, totals
    assert_no_failed_request(totals)
    assert totals["max_ms"] < TIMEOUT_MS, totals


@pytest.mark.parametrize("app", STEPS)
def test_the_load_saw_the_new_version_then_the_old_one_again(host, app):
    deploy, rollback = STEPS[app]
    deployed = load(host, deploy)["versions"]
    assert deployed.get("1.0.0", 0) > 0, deployed
    assert deployed.get("2.0.0", 0) > 0, deployed
    rolled_back = load(host, rollback)["versions"]
    assert rolled_back.get("1.0.0", 0) > 0, rolled_back
    assert http_get(host, "/about", f"{app}.test").json()["version"] == "1.0.0"


def assert_refused_while_v1_served(host, name: str, *phrases: str) -> None:
    """The deploy of step NAME failed with PHRASES in its message, the live release said so,
    and the load saw only 1.0.0, with no failed request."""
    assert record(host, name)["rc"] != 0
    text = output(host, name)
    for phrase in (*phrases, "stays live"):
        assert phrase in text, (phrase, text)
    totals = load(host, name)
    assert_no_failed_request(totals)
    assert totals["versions"] == {"1.0.0": totals["requests"]}, totals


def test_a_failing_hook_stops_the_deploy_with_its_output(host):
    assert_refused_while_v1_served(
        host,
        "flaskr-failing-hook",
        " of flaskr was not put live: hook `flask --app flaskr migrate-that-does-not-exist` exited 2",
        "No such command",
    )


def test_a_version_the_index_lacks_stops_the_deploy_with_pips_error(host):
    # The message names the app and the release, then pip's own words.
    assert_refused_while_v1_served(
        host,
        "pkgr-deploy-missing",
        " of pkgr was not put live: installing it (artifact: ",
        "No matching distribution found for flaskr==9.9.9",
    )
    assert http_get(host, "/about", "pkgr.test").json()["version"] == "1.0.0"


def test_flaskr_as_a_wheel_found_the_data_its_source_tree_wrote(host):
    about = json.loads(host.file("/root/steps/flaskr-about-wheel.json").content_string)
    assert about["version"] == "2.0.0"
    # The wheel's package ran from the virtualenv, so Flask used the other path.
    assert about["instance_path"].endswith(INSTALLED), about
    assert posts(host, "/root/steps/flaskr-posts-wheel.json") == POSTS


@pytest.mark.parametrize("app", APPS)
def test_users_and_posts_outlived_the_deploys_and_the_rollbacks(host, app):
    assert host.file(f"/root/steps/{app}-login-after.txt").content_string.split() == ["302"]
    # Logged in with the cookie the login set: the page greets the user by name.
    assert "<span>ada</span>" in host.file(f"/root/steps/{app}-index-after.html").content_string
    assert posts(host, f"/root/steps/{app}-posts-after.json") == POSTS


def test_a_rotated_secret_reaches_every_worker_without_a_failed_request(host):
    assert record(host, "uvr-rotate-secret")["rc"] == 0, output(host, "uvr-rotate-secret")
    totals = load(host, "uvr-rotate-secret")
    print("uvr-rotate-secret", totals)
    assert totals["requests"] >= 500, totals
    assert_no_failed_request(totals)
    # The new instance config, then the workers reloaded one at a time.
    found = whole_output(host, "uvr-rotate-secret")
    written = found.split("Write the shared files of uvr]")[1].split("TASK [")[0]
    assert "changed:" in written, written
    reload = found.split("Reload the workers for the changed WSGI entry or shared files: uvr]")[1][:300]
    assert "changed:" in reload, reload
    about = json.loads(host.file("/root/steps/uvr-about-rotated.json").content_string)
    assert about["secret_key_sha256"] == hashlib.sha256(ROTATED.encode()).hexdigest()
    # And every answer since.
    seen = {http_get(host, "/about", "uvr.test").json()["secret_key_sha256"] for _ in range(20)}
    assert seen == {hashlib.sha256(ROTATED.encode()).hexdigest()}


@pytest.mark.parametrize(
    ("app", "instance"), [("flaskr", SOURCE_TREE), ("pkgr", INSTALLED), ("uvr", SOURCE_TREE)]
)
def test_the_app_runs_with_the_key_of_its_instance_config(host, app, instance):
    about = http_get(host, "/about", f"{app}.test").json()
    key = ROTATED if app == "uvr" else KEYS[app]
    assert about["secret_key_sha256"] == hashlib.sha256(key.encode()).hexdigest()
    assert about["instance_path"].endswith(instance), about


@pytest.mark.parametrize("app", APPS)
def test_the_instance_folder_is_shared_and_only_the_app_writes_it(host, app):
    shared = host.file(f"/srv/{app}/shared/instance")
    assert shared.is_directory
    assert (shared.user, shared.group, shared.mode) == (app, app, 0o750)
    config = host.file(f"/srv/{app}/shared/instance/config.py")
    assert (config.user, config.group, config.mode) == ("root", app, 0o640)
    assert host.file(f"/srv/{app}/shared/instance/flaskr.sqlite").user == app
    # Every complete release (a deploy whose install failed leaves one without its marker)
    # links both places Flask may look to the one directory; the release stays root's.
    complete = host.check_output(f"ls /srv/{app}/releases/*/.flaskstack-release").split()
    assert complete
    for release in [path.split("/")[4] for path in complete]:
        assert host.file(f"/srv/{app}/releases/{release}").user == "root"
        for path in (SOURCE_TREE, INSTALLED):
            link = host.file(f"/srv/{app}/releases/{release}/{path}")
            assert link.is_symlink, (release, path)
            assert link.linked_to == f"/srv/{app}/shared/instance", (release, path)
    # The app user can write its instance folder and not its release.
    assert host.run(f"runuser -u {app} -- touch /srv/{app}/shared/instance/probe").rc == 0
    assert host.run(f"runuser -u {app} -- touch /srv/{app}/current/probe").rc != 0


def test_the_factory_is_called_by_a_root_owned_wsgi_file(host):
    wsgi = host.file("/srv/flaskr/wsgi.py")
    assert (wsgi.user, wsgi.mode) == ("root", 0o644)
    assert "application = create_app()" in wsgi.content_string
    assert "wsgi-file = /srv/flaskr/wsgi.py" in host.file("/etc/uwsgi/vassals/flaskr.ini").content_string


def test_flaskr_kept_both_its_source_release_and_its_wheel_release(host):
    current = host.file("/srv/flaskr/current").linked_to
    previous = host.file("/srv/flaskr/previous").linked_to
    # Rolled back: the source tree is live, the wheel's release is the previous one.
    assert "flaskr" in host.check_output(f"ls {current}").split()
    assert "flaskr-2.0.0-py3-none-any.whl" in host.check_output(f"ls {previous}").split()
    assert "flaskr" not in host.check_output(f"ls {previous}").split(), "the wheel's package is in the venv"


def installed(host, app: str, dist: str) -> tuple[str, str]:
    """The version of DIST in the live release of APP, and the tool that installed it."""
    info = host.check_output(f"ls -d /srv/{app}/current/{SITE_PACKAGES}/{dist}-*.dist-info")
    version = info.rsplit("/", 1)[1].removeprefix(f"{dist}-").removesuffix(".dist-info")
    return version, host.file(f"{info}/INSTALLER").content_string.strip()


def test_pkgr_came_from_the_private_index_as_an_sdist_pip_built(host):
    assert installed(host, "pkgr", "flaskr") == ("1.0.0", "pip")
    # The virtualenv, the link to the instance folder and the role's marker: no source.
    files = sorted(host.check_output("ls -A /srv/pkgr/current/").split())
    assert files == [".flaskstack-release", "instance", "venv"], files
    # The index served the sdist (it holds no wheel of flaskr), which pip then built.
    index_log = host.check_output("journalctl -u test-index --no-pager -o cat")
    assert "GET /simple/flaskr/flaskr-1.0.0.tar.gz" in index_log, index_log[-2000:]


def test_uvr_was_installed_by_uv_with_exactly_what_its_lock_pins(host):
    assert installed(host, "uvr", "flask") == ("3.1.3", "uv")
    assert installed(host, "uvr", "werkzeug") == ("3.1.9", "uv")
    assert installed(host, "uvr", "flaskr") == ("1.0.0", "uv")
    # uv came from the package index into its own virtualenv, apart from every app.
    assert host.file("/opt/flaskstack/uv/bin/uv").is_file


def test_a_converge_repairs_edits_by_hand_and_leaves_the_rest_alone(host):
    assert record(host, "converge-repairs")["rc"] == 0, output(host, "converge-repairs")
    assert record(host, "converge-again")["rc"] == 0, output(host, "converge-again")
    # The fast path names what it found, and the full deploy of those apps puts it right.
    found = whole_output(host, "converge-repairs")
    # uvr's record is its last converge's: the edit is what the fast path finds first.
    assert "uvr: /etc/flaskapp/uvr.env changed" in found, found[-3000:]
    # pkgr's record is its deploy of version 2 (rolled back since): the first difference
    # found is the release, and its full deploy also puts wsgi.py back.
    assert "pkgr: its definition, release or the roles changed" in found, found[-3000:]
    assert host.file("/etc/flaskapp/uvr.env").mode == 0o640
    assert host.file("/srv/pkgr/wsgi.py").contains("create_app")
    # Then every app is as its last deploy left it: nothing runs, nothing changes.
    assert "none: each app is as its last deploy left it" in whole_output(host, "converge-again")
    recap = output(host, "converge-again").split("PLAY RECAP")[-1]
    assert re.search(r"fs-apps-bookworm\s+: ok=\d+\s+changed=0\s", recap), recap
    for name in ("converge-repairs", "converge-again"):
        totals = load(host, name)
        print(name, totals)
        assert totals["requests"] > 0, totals
        assert_no_failed_request(totals)


def test_uvr_answers_over_https_with_its_own_certificate(host):
    # Its deploys' health checks went this way too (they would have failed otherwise).
    result = host.run(
        "curl --silent --show-error --include --max-time 10 --cacert /etc/nginx/tls/uvr/fullchain.pem"
        " --resolve uvr.test:443:127.0.0.1 https://uvr.test/about"
    )
    response = parse_response(result)
    assert response.status == 200, response
    assert response.headers["strict-transport-security"] == "max-age=63072000"
    plain = http_get(host, "/about", "uvr.test")  # redirect: false
    assert plain.status == 200
    assert "strict-transport-security" not in plain.headers  # HSTS on HTTPS answers only
