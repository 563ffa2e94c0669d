"""roles/flaskapp: apps from a directory and from git, each with its own user, release and socket.

The dieonce test app shows how nginx handles a worker that dies before answering.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
import tempfile
import time
import uuid

import pytest
from testlib import assert_running, docker_hosts, http_get, role_default, unix_json, uwsgi_get
from testlib import test_nginx_and_the_emperor_are_sandboxed as test_nginx_and_the_emperor_are_sandboxed
from testlib import test_no_app_or_worker_process_runs_as_root as test_no_app_or_worker_process_runs_as_root

testinfra_hosts = docker_hosts("app")

APPS = {"dirapp": "dirapp", "gitapp": "gitsvc", "dieonce": "dieonce"}  # app name -> user
NAMES = {"dirapp": "dirapp.test", "gitapp": "gitapp.test", "dieonce": "dieonce.test"}
# For each app, the user of another app, who must not reach it.
STRANGERS = {"dirapp": "gitsvc", "gitapp": "dirapp", "dieonce": "dirapp"}


@pytest.fixture(scope="module", autouse=True)
def apps_started(host):
    """One request to each app first: a vassal may start only at the first connection to
    its socket."""
    for app, name in NAMES.items():
        assert http_get(host, "/healthz", name).status == 200, app


@pytest.mark.parametrize("unit", ["nginx", "uwsgi-emperor"])
def test_services(host, unit):
    assert_running(host, unit)


@pytest.mark.parametrize(("app", "user"), APPS.items())
def test_user_group_and_shell(host, app, user):
    account = host.user(user)
    assert account.shell == "/usr/sbin/nologin"
    assert account.group == user
    assert account.home == f"/srv/{app}/data"
    data = host.file(f"/srv/{app}/data")
    assert (data.user, data.group, data.mode) == (user, user, 0o750)


@pytest.mark.parametrize(("app", "user"), APPS.items())
def test_socket_answers_nginx_and_its_app_only(host, app, user):
    socket = f"/run/uwsgi/{app}/socket"
    for allowed in ("www-data", user):
        assert uwsgi_get(host, socket, "/healthz", NAMES[app], user=allowed).status == 200, allowed
    refused = uwsgi_get(host, socket, "/healthz", NAMES[app], user=STRANGERS[app])
    assert refused.exit_code == 3, refused
    assert "Permission denied" in refused.body, refused


@pytest.mark.parametrize(("app", "user"), APPS.items())
def test_env_file_is_readable_by_its_app_only(host, app, user):
    env = host.file(f"/etc/flaskapp/{app}.env")
    assert (env.user, env.group, env.mode) == ("root", user, 0o640)
    assert host.run(f"runuser -u {user} -- cat {env.path}").rc == 0
    assert host.run(f"runuser -u {STRANGERS[app]} -- cat {env.path}").rc != 0


@pytest.mark.parametrize(("app", "name"), [("dirapp", "dirapp.test"), ("gitapp", "www.gitapp.test")])
def test_each_app_answers_by_its_name(host, app, name):
    response = http_get(host, "/", name)
    assert response.status == 200
    assert response.json()["app"] == app


def test_settings_reach_the_app_verbatim(host):
    assert http_get(host, "/", "gitapp.test").json()["greeting"] == "Hi; with {braces} and % signs"


def nginx_log_lines(host, marker: str, log: str = "access.log") -> list[str]:
    """The lines of nginx's LOG that hold MARKER, once there are any (within 15 s)."""
    deadline = time.monotonic() + 15
    while True:
        lines = [
            line for line in host.file(f"/var/log/nginx/{log}").content_string.splitlines() if marker in line
        ]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)


def test_the_request_id_reaches_the_app_and_the_access_log(host):
    # Debian 13 logs JSON lines (nginx_access_log_json in molecule.yml), Debian 12 text.
    json_log = "escape=json" in host.file("/etc/nginx/nginx.conf").content_string
    assert json_log == (host.system_info.codename == "trixie")
    given = f"probe-{uuid.uuid4().hex}"
    answer = host.check_output(
        f"curl -s -H 'Host: dirapp.test' -H 'X-Request-ID: {given}' http://127.0.0.1/?{given}"
    )
    assert json.loads(answer)["request_id"] == given
    # Without one (or with one that is not a plain token), nginx makes its own.
    made = []
    for header in ("", "-H 'X-Request-ID: two words;'"):
        marker = uuid.uuid4().hex
        answer = host.check_output(f"curl -s -H 'Host: dirapp.test' {header} http://127.0.0.1/?{marker}")
        made.append((marker, json.loads(answer)["request_id"]))
        assert re.fullmatch(r"[0-9a-f]{32}", made[-1][1]), answer
    for marker, request_id in [(given, given), *made]:
        (line,) = nginx_log_lines(host, marker)
        if json_log:
            entry = json.loads(line)
            assert entry["request_id"] == request_id
            assert (entry["status"], entry["host"], entry["method"]) == (200, "dirapp.test", "GET")
            assert entry["upstream_addr"].startswith("unix:/run/uwsgi/dirapp/socket")
            assert float(entry["upstream_time"]) <= entry["request_time"] + 0.001
        else:
            assert f"rid={request_id}" in line
            assert "ua=unix:/run/uwsgi/dirapp/socket" in line
            assert '"GET /?' in line
            assert " 200 " in line


def test_uwsgi_answers_http_itself_on_loopback_when_asked(host):
    # gitapp's uwsgi_options: http-socket on 127.0.0.1:8001, beside nginx's socket.
    answer = json.loads(host.check_output("curl -s --max-time 5 http://127.0.0.1:8001/"))
    assert answer["app"] == "gitapp"
    assert answer["request_id"] is None  # no nginx in between
    assert host.socket("tcp://127.0.0.1:8001").is_listening
    assert not host.socket("tcp://0.0.0.0:8001").is_listening


def test_code_belongs_to_root_and_is_read_only_for_the_app(host):
    release = host.file("/srv/dirapp/current").linked_to
    code = host.file(f"{release}/src/flaskstack_sample/__init__.py")
    assert (code.user, code.mode & 0o022) == ("root", 0)
    assert host.run("runuser -u dirapp -- test -w %s", code.path).rc != 0


def test_git_release_is_named_after_the_commit(host):
    commit = host.check_output("git -C /srv/git-src/sample rev-parse v1")
    assert host.file("/srv/gitapp/current").linked_to == f"/srv/gitapp/releases/{commit[:12]}"
    assert not host.file(f"/srv/gitapp/releases/{commit[:12]}/.git").exists


def test_dir_release_leaves_caches_behind(host):
    release = host.file("/srv/dirapp/current").linked_to
    assert host.run(f"find {release} -name __pycache__ -not -path '*/venv/*'").stdout == ""
    assert not host.file(f"{release}/.venv").exists


def test_dir_release_ships_no_secret_or_editor_file(host):
    # The source beside the code holds these (prepare.yml); the release has the code only.
    release = host.file("/srv/dirapp/current").linked_to
    left_out = [
        ".env",
        ".env.production",
        "server.key",
        "src/cert.pem",
        ".git",
        "src/flaskstack_sample/wsgi.py~",
        ".app.py.swp",
    ]
    assert [name for name in left_out if host.file(f"{release}/{name}").exists] == []
    assert host.file(f"{release}/src/flaskstack_sample/wsgi.py").exists
    assert "leaked" not in host.run(f"grep -r leaked {release} --exclude-dir=venv").stdout


def test_the_packed_source_is_gone_from_the_controller():
    leftovers = glob.glob(os.path.join(tempfile.gettempdir(), "flaskstack-pack.*"))
    assert leftovers == []


def test_uwsgi_options_per_app(host):
    """gitapp's own uwsgi_options, in its running vassal: 2 workers, as its user. (Its
    harakiri of 20 s would show only in a request that hangs that long; the faults
    scenario shows harakiri at work, so here it is read from the vassal file.)"""
    workers = unix_json(host, "/run/uwsgi/gitapp/stats.sock")["workers"]
    assert len(workers) == 2
    for worker in workers:
        assert host.check_output(f"ps -o user= -p {worker['pid']}") == "gitsvc"
    assert "harakiri = 20" in host.file("/etc/uwsgi/vassals/gitapp.ini").content_string


def test_static_prefix_served_by_nginx(host):
    def requests_served() -> int:
        return sum(
            worker["requests"] for worker in unix_json(host, "/run/uwsgi/dirapp/stats.sock")["workers"]
        )

    before = requests_served()
    response = http_get(host, "/assets/style.css", "dirapp.test")
    assert response.status == 200
    assert response.headers["cache-control"] == "max-age=86400"
    assert requests_served() == before, "the static file went through uWSGI"


def test_apps_do_not_answer_for_each_other(host):
    assert http_get(host, "/assets/style.css", "gitapp.test").status == 404


def die_once(host, method: str, key: str):
    """Status and body of METHOD /die?key=KEY on the dieonce app, through nginx."""
    result = host.run(
        "curl --silent --max-time 10 --request %s --header 'Host: dieonce.test' "
        "--write-out '\n%%{http_code}' http://127.0.0.1/die?key=%s",
        method,
        key,
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), body


def test_get_whose_worker_died_before_answering_is_resent(host):
    """The app's upstream lists its socket twice (uwsgi_next_upstream error): a GET whose
    worker died is tried once more."""
    key = f"get-{uuid.uuid4().hex[:12]}"
    status, body = die_once(host, "GET", key)
    # The first try reached a worker (it left its marker and died); the second answered.
    first = host.file(f"/srv/dieonce/data/{key}").content_string.split()
    assert first[0] == "GET"
    assert status == 200, body
    assert body.startswith("GET survived in ")
    assert body.split()[-1] != first[1], "a different worker process answered"


def test_post_whose_worker_died_is_not_resent(host):
    key = f"post-{uuid.uuid4().hex[:12]}"
    status, _ = die_once(host, "POST", key)
    assert host.file(f"/srv/dieonce/data/{key}").content_string.startswith("POST ")
    assert status == 502
    # What docs/runbooks/502-504.md reads for a worker that died in the request.
    (line,) = nginx_log_lines(host, key, "error.log")
    assert "upstream prematurely closed connection while reading response header from upstream" in line, line
    # Sent again by the client, it is served at once: the app itself kept running, and
    # max_fails=0 kept nginx from marking its only socket down after the failure.
    assert die_once(host, "POST", key)[0] == 200


def test_an_answer_slower_than_the_read_timeout_is_a_504_the_error_log_explains(host):
    # dieonce's nginx_read_timeout (2 s) is its location's uwsgi_read_timeout.
    assert "uwsgi_read_timeout 2s;" in host.file("/etc/nginx/sites-enabled/dieonce.conf").content_string
    marker = uuid.uuid4().hex
    result = host.run(
        "curl --silent --output /dev/null --max-time 20 --header 'Host: dieonce.test' "
        "--write-out '%%{http_code} %%{time_total}' 'http://127.0.0.1/sleep?seconds=4&m=%s'",
        marker,
    )
    status, seconds = result.stdout.split()
    print(f"a 4 s answer behind a 2 s read timeout: {status} after {float(seconds):.1f} s")
    assert status == "504"
    assert 2 <= float(seconds) < 4
    (line,) = nginx_log_lines(host, marker, "error.log")
    assert (
        "upstream timed out (110: Connection timed out) while reading response header from upstream" in line
    )
    assert 'host: "dieonce.test"' in line


def test_app_that_cannot_import_fails_the_play_with_a_clear_message(host):
    assert not host.file("/root/broken-app-accepted").exists
    message = host.file("/root/broken-app-refused").content_string
    # Caught before it went live: its WSGI module does not import.
    assert "of broken was not put live: importing flaskstack_sample.missing:application failed" in message
    assert "ModuleNotFoundError: No module named 'flaskstack_sample.missing'" in message
    # The emperor and the other apps' workers were not touched, and they still answer.
    emperor, *workers = host.file("/root/before-broken-app").content_string.split()
    assert host.service("uwsgi-emperor").systemd_properties["MainPID"] == emperor
    assert set(workers) <= set(host.check_output("pgrep -f '^\\[(dirapp|gitapp)\\]'").split())
    assert http_get(host, "/", "dirapp.test").status == 200


def test_removed_app_leaves_nothing_behind(host):
    for path in (
        "/etc/uwsgi/vassals/broken.ini",
        "/etc/nginx/sites-enabled/broken.conf",
        "/run/uwsgi/broken",
        "/etc/flaskapp/broken.env",
        "/srv/broken",
    ):
        assert not host.file(path).exists, path
    assert not host.user("broken").exists
    assert host.run("pgrep -f '\\[broken\\]'").rc == 1


# These replace dirapp's workers (a vassal restart, a killed worker): after the tests that
# check that other apps' workers were left alone.
CACHE_PROBE = """
import json, threading, urllib.request
seen, failed = [], []
def ask():
    for _ in range(25):
        request = urllib.request.Request("http://127.0.0.1/cache", headers={"Host": "dirapp.test"})
        try:
            seen.append(json.load(urllib.request.urlopen(request, timeout=30)))
        except Exception as error:
            failed.append(repr(error))
threads = [threading.Thread(target=ask) for _ in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
print(json.dumps({"answers": seen, "failed": failed}))
"""


QUEUE_PROBE = """
import socket, time, urllib.request
silent = [socket.socket(socket.AF_UNIX) for _ in range(8)]
for connection in silent:
    connection.connect("/run/uwsgi/dirapp/socket")
time.sleep(0.5)
print(urllib.request.urlopen("http://127.0.0.1:9117/metrics", timeout=20).read().decode())
"""


def cache_probe(host) -> dict:
    """200 GETs of dirapp's /cache, 8 at a time: the answers (each names its worker and the
    first worker the cache remembers) and the requests that failed."""
    return json.loads(host.check_output(f"python3 -c {shlex.quote(CACHE_PROBE)}"))


def cache_answers(host) -> list[dict]:
    """cache_probe's answers, once every request was answered."""
    probe = cache_probe(host)
    assert not probe["failed"], probe["failed"][:5]
    return probe["answers"]


def scrape(host, port: int) -> str:
    return host.check_output(f"curl -s --max-time 20 http://127.0.0.1:{port}/metrics")


def metric(text: str, name: str, labels: str = "") -> float:
    """The value of NAME{LABELS} in a Prometheus text page."""
    pattern = rf"^{re.escape(name)}{re.escape('{' + labels + '}') if labels else ''} (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    assert found, f"no {name}{{{labels}}} in:\n{text[:3000]}"
    return float(found.group(1))


def test_the_exporters_listen_on_loopback_only(host):
    for unit, port in (("prometheus-nginx-exporter", 9113), ("flaskstack-uwsgi-exporter", 9117)):
        assert_running(host, unit)
        assert host.socket(f"tcp://127.0.0.1:{port}").is_listening
        assert not host.socket(f"tcp://0.0.0.0:{port}").is_listening
        assert not host.socket(f"tcp://:::{port}").is_listening


def test_metrics_count_requests_under_load_and_a_killed_worker_as_a_respawn(host):
    app = 'app="dirapp"'
    # dirapp's stats socket is there once the vassal runs (it may be starting again).
    deadline = time.monotonic() + 60
    while f"flaskstack_uwsgi_up{{{app}}} 1.0" not in scrape(host, 9117):
        assert time.monotonic() < deadline, scrape(host, 9117)
        time.sleep(0.5)
    uwsgi_before, nginx_before = scrape(host, 9117), scrape(host, 9113)
    assert metric(uwsgi_before, "flaskstack_uwsgi_up", app) == 1
    assert metric(uwsgi_before, "flaskstack_uwsgi_workers", app) >= 2
    assert metric(uwsgi_before, "flaskstack_uwsgi_rss_bytes", app) > 10 * 1024 * 1024
    assert metric(uwsgi_before, "flaskstack_uwsgi_emperor_vassal_ready", app) == 1
    sent = len(cache_answers(host))  # 200 requests, 8 at a time
    uwsgi_after, nginx_after = scrape(host, 9117), scrape(host, 9113)
    served = metric(uwsgi_after, "flaskstack_uwsgi_requests_total", app) - metric(
        uwsgi_before, "flaskstack_uwsgi_requests_total", app
    )
    through_nginx = metric(nginx_after, "nginx_http_requests_total") - metric(
        nginx_before, "nginx_http_requests_total"
    )
    print(f"metrics under load: {sent} requests sent, dirapp counted {served:.0f}, nginx {through_nginx:.0f}")
    assert served >= sent
    assert through_nginx >= sent
    assert metric(nginx_after, "nginx_up") == 1
    # The backlog is the emperor's socket's (uwsgi_somaxconn); a unix socket counts no overflow.
    assert metric(uwsgi_after, "flaskstack_uwsgi_listen_queue_max", app) == role_default(
        "uwsgi", "uwsgi_somaxconn"
    )
    assert f"flaskstack_uwsgi_listen_queue_overflows_total{{{app}}}" not in uwsgi_after
    # Connections that send nothing: each worker accepts one and waits for its request; the
    # rest wait in the listen queue, where status and the exporter see them.
    workers = metric(uwsgi_after, "flaskstack_uwsgi_workers", app)
    waiting = metric(
        host.check_output(f"python3 -c {shlex.quote(QUEUE_PROBE)}"), "flaskstack_uwsgi_listen_queue", app
    )
    print(f"listen queue: 8 silent connections, {workers:.0f} workers, {waiting:.0f} waiting")
    assert waiting == 8 - workers
    # A worker killed: the master starts another, and the exporter counts a respawn.
    respawns = metric(uwsgi_after, "flaskstack_uwsgi_respawns_total", app)
    worker = unix_json(host, "/run/uwsgi/dirapp/stats.sock")["workers"][0]["pid"]
    host.check_output(f"kill -9 {worker}")
    deadline = time.monotonic() + 60
    while metric(scrape(host, 9117), "flaskstack_uwsgi_respawns_total", app) < respawns + 1:
        assert time.monotonic() < deadline, "the killed worker did not show up as a respawn"
        time.sleep(0.5)


def test_the_apps_workers_share_its_uwsgi_cache_across_restarts(host):
    vassal = host.file("/etc/uwsgi/vassals/dirapp.ini").content_string
    assert "cache2 = name=dirapp,items=100,blocksize=65536,store=/srv/dirapp/data/uwsgi-cache" in vassal
    answers = cache_answers(host)
    workers = {answer["pid"] for answer in answers}
    remembered = {answer["first_pid"] for answer in answers}
    print(f"uWSGI cache: {len(answers)} answers from {len(workers)} workers, all remembering {remembered}")
    assert {answer["backend"] for answer in answers} == {"UWSGICache"}
    assert len(workers) >= 2
    assert len(remembered) == 1
    # uWSGI's master makes the file before it drops to the app's user; only root and the
    # app reach it, through the app's data directory.
    store = host.file("/srv/dirapp/data/uwsgi-cache")
    assert store.is_file
    data = host.file("/srv/dirapp/data")
    assert (data.user, data.group, data.mode) == ("dirapp", "dirapp", 0o750)
    # The vassal starts again (new master, new workers): the cache comes back from its file.
    host.check_output("touch /etc/uwsgi/vassals/dirapp.ini")
    deadline = time.monotonic() + 90
    failed_meanwhile = []
    while True:
        probe = cache_probe(host)
        after = probe["answers"]
        if after and not probe["failed"] and not workers & {answer["pid"] for answer in after}:
            break
        failed_meanwhile += probe["failed"]
        assert time.monotonic() < deadline, ("dirapp's workers were not replaced", probe["failed"][:5])
        time.sleep(1)
    print(
        f"uWSGI cache: {len(failed_meanwhile)} requests failed while the vassal restarted",
        *failed_meanwhile[:5],
    )
    assert {answer["first_pid"] for answer in after} == remembered
