"""roles/nginx alone: configuration, sites, removal, caching, gzip and validation.

The prepare step runs small uwsgi-protocol backends on 127.0.0.1:9001, 9002 and 9003
(flaskstack-backend@PORT), each answering `backend PORT`, so the tests see which upstream
server answered a request.
"""

from __future__ import annotations

import collections
import time

import pytest
from testlib import assert_running, docker_hosts, http_get

testinfra_hosts = docker_hosts("web")


def test_nginx_enabled_and_running(host):
    assert_running(host, "nginx")


@pytest.mark.parametrize(
    "path",
    [
        "/etc/nginx/nginx.conf",
        "/etc/nginx/sites-enabled/files.conf",
        "/etc/nginx/sites-enabled/balanced.conf",
    ],
)
def test_config_is_valid_and_only_root_may_change_it(host, path):
    """Owner and mode are the point: what the files say is shown by the requests below."""
    assert host.run("nginx -t").rc == 0
    conf = host.file(path)
    assert (conf.user, conf.group, conf.mode) == ("root", "root", 0o644)
    assert "Ansible managed" in conf.content_string


def test_removed_site_no_longer_listens(host):
    # The prepare step's old.conf answered on port 8081; curl exits 7: connection refused.
    assert http_get(host, "/", "old.test", port=8081).exit_code == 7


def test_debian_welcome_page_is_not_served(host):
    # Debian's default site answers any name, localhost included, with its welcome page.
    assert http_get(host, "/", "localhost").no_answer


def test_unknown_host_gets_no_answer(host):
    assert http_get(host, "/", "nobody.test").no_answer


def test_site_answers_by_name_without_version(host):
    response = http_get(host, "/", "files.test")
    assert (response.status, response.body) == (200, "files home")
    assert response.headers["server"] == "nginx"


def test_static_file_with_cache_headers(host):
    response = http_get(host, "/static/hello.txt", "files.test")
    assert response.status == 200
    assert response.body == "hello from nginx\n"
    assert response.headers["cache-control"] == "max-age=3600"
    assert "expires" in response.headers


def test_missing_static_file_is_404(host):
    assert http_get(host, "/static/nope.txt", "files.test").status == 404


def test_static_file_that_appears_later_is_served_at_once(host):
    # open_file_cache keeps descriptors, not misses: a file that a deploy adds is found on
    # its first request, even right after requests for it were answered 404.
    path = "/srv/www/late.txt"
    host.run(f"rm -f {path}")
    assert [http_get(host, "/static/late.txt", "files.test").status for _ in range(3)] == [404] * 3
    try:
        host.run(f"echo late > {path}")
        response = http_get(host, "/static/late.txt", "files.test")
        assert (response.status, response.body) == (200, "late\n")
    finally:
        host.run(f"rm -f {path}")


def test_static_requests_reach_the_access_log_within_seconds(host):
    # The locations that serve files log through a buffer flushed every second.
    url = f"/static/hello.txt?logged={time.time_ns()}"
    assert http_get(host, url, "files.test").status == 200
    deadline = time.monotonic() + 5
    while url not in host.file("/var/log/nginx/access.log").content_string:
        assert time.monotonic() < deadline, f"no access log line for {url} after 5 s"
        time.sleep(0.2)


def test_text_is_gzipped(host):
    result = host.run(
        "curl -s -o /dev/null -w '%{size_download} %header{content-encoding}' "
        "-H 'Host: files.test' -H 'Accept-Encoding: gzip' http://127.0.0.1/static/big.css"
    )
    size, encoding = result.stdout.split()
    assert encoding == "gzip"
    assert int(size) < 3500 / 10


def answers_by_server(host, count: int, name: str = "balanced.test", path: str = "/") -> collections.Counter:
    """Bodies of COUNT requests one after another (`backend PORT`, or the status)."""
    script = (
        f"for i in $(seq {count}); do curl --silent --max-time 10 --header 'Host: {name}'"
        f" --write-out ' %{{http_code}}\\n' http://127.0.0.1{path}; done"
    )
    return collections.Counter(host.check_output(script).splitlines())


def test_upstream_site_balances_over_servers_by_weight(host):
    # least_conn: with one request at a time every server has no connection, and nginx
    # picks among them by weight (9002 has weight=2).
    answers = answers_by_server(host, 30)
    assert set(answers) == {"backend 9001 200", "backend 9002 200"}, answers
    assert answers["backend 9002 200"] > answers["backend 9001 200"] > 0, answers


def test_upstream_site_answers_by_each_name(host):
    for name in ("balanced.test", "www.balanced.test"):
        assert http_get(host, "/", name).body.startswith("backend 900"), name


def test_upstream_site_sends_requests_to_the_server_that_is_up(host):
    host.check_output("systemctl stop flaskstack-backend@9001")
    try:
        assert answers_by_server(host, 10) == {"backend 9002 200": 10}
    finally:
        host.check_output("systemctl start flaskstack-backend@9001")


def test_site_directives_apply(host):
    # client_max_body_size 1m: a 2 MB body is refused by nginx before any backend sees it.
    status = host.check_output(
        "head -c 2000000 /dev/zero | curl --silent --output /dev/null --write-out '%{http_code}' "
        "--header 'Host: balanced.test' --data-binary @- http://127.0.0.1/"
    )
    assert status == "413"


def test_location_set_with_its_own_upstream(host):
    upstreams = host.file("/etc/nginx/upstreams.d/files.extra.conf")
    assert (upstreams.user, upstreams.group, upstreams.mode) == ("root", "root", 0o644)
    # /extra/ of site files goes to the location set's own upstream (port 9003 only).
    assert answers_by_server(host, 4, "files.test", "/extra/") == {"backend 9003 200": 4}


def test_location_set_tries_each_upstream_entry_once_on_error(host):
    """With its backend down, the request tries both entries of the upstream (the server
    is listed twice, max_fails=0), then nginx answers 502; when the backend is back, the
    next request is served at once (max_fails=0 never marks the server down)."""
    host.check_output("systemctl stop flaskstack-backend@9003")
    try:
        before = int(host.check_output("wc -l < /var/log/nginx/error.log"))
        assert http_get(host, "/extra/", "files.test").status == 502
        log = host.check_output(f"tail -n +{before + 1} /var/log/nginx/error.log")
        assert log.count('upstream: "uwsgi://127.0.0.1:9003"') == 2, log
    finally:
        host.check_output("systemctl start flaskstack-backend@9003")
    host.run("timeout 10 sh -c 'until ss -ltn | grep -q 127.0.0.1:9003; do sleep 0.2; done'")
    assert http_get(host, "/extra/", "files.test").body == "backend 9003"


def test_broken_site_was_refused_and_never_went_live(host):
    assert not host.file("/root/broken-site-accepted").exists
    refused = host.file("/root/broken-site-refused")
    assert refused.exists
    assert "unknown directive" in refused.content_string
    assert "this_is_not_a_directive" not in host.file("/etc/nginx/sites-enabled/files.conf").content_string
    assert http_get(host, "/", "files.test").body == "files home"


def nginx_master(host) -> str:
    return host.check_output("systemctl show --property MainPID --value nginx")


def test_systemd_holds_the_listening_sockets_and_nginx_inherited_them(host):
    assert_running(host, "nginx.socket")
    unit = host.file("/etc/systemd/system/nginx.socket")
    assert (unit.user, unit.mode) == ("root", 0o644)
    # nginx took its sockets from systemd (fds 3 and 4) instead of binding its own: one
    # socket per address, open in both systemd and nginx.
    started = host.check_output("journalctl --unit nginx --no-pager --output cat")
    assert 'using inherited sockets from "3;4;"' in started
    listening = host.check_output("ss --no-header --listening --tcp --numeric --processes 'sport = :80'")
    assert len(listening.splitlines()) == 2, listening
    assert {line.split()[3] for line in listening.splitlines()} == {"0.0.0.0:80", "[::]:80"}, listening
    for line in listening.splitlines():
        assert '"systemd"' in line, listening
        assert '"nginx"' in line, listening


# The two tests below stop nginx; they run last in this file and leave it running.
def test_stopped_nginx_is_started_by_the_next_connection(host):
    host.check_output("systemctl stop nginx")
    response = http_get(host, "/", "files.test")
    assert (response.status, response.body) == (200, "files home")
    assert_running(host, "nginx")


def test_connection_during_nginx_restart_waits_instead_of_being_refused(host):
    """SIGKILL to every nginx process, then connect at once: the connection waits in the
    backlog of the socket systemd holds until the restarted nginx accepts it."""
    before = nginx_master(host)
    host.check_output("systemctl kill --signal=SIGKILL nginx")
    response = http_get(host, "/", "files.test")
    assert (response.status, response.body) == (200, "files home"), response
    assert nginx_master(host) not in ("0", before)
    assert_running(host, "nginx")
