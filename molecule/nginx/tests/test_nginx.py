"""roles/nginx alone: configuration, sites, removal, caching, gzip and validation."""

from __future__ import annotations

import time

import pytest
from testlib import assert_running, docker_hosts, http_get

testinfra_hosts = docker_hosts("web")


def test_nginx_enabled_and_running(host):
    assert_running(host, "nginx")


def test_config_is_valid_and_owned_by_root(host):
    assert host.run("nginx -t").rc == 0
    conf = host.file("/etc/nginx/nginx.conf")
    assert (conf.user, conf.group, conf.mode) == ("root", "root", 0o644)
    assert "Ansible managed" in conf.content_string
    assert "server_tokens off;" in conf.content_string


@pytest.mark.parametrize("site", ["files", "balanced"])
def test_site_files(host, site):
    conf = host.file(f"/etc/nginx/sites-enabled/{site}.conf")
    assert (conf.user, conf.group, conf.mode) == ("root", "root", 0o644)


@pytest.mark.parametrize("gone", ["old.conf", "default"])
def test_removed_sites(host, gone):
    assert not host.file(f"/etc/nginx/sites-enabled/{gone}").exists


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


def test_upstream_site_balances_over_servers(host):
    conf = host.file("/etc/nginx/sites-enabled/balanced.conf").content_string
    assert "upstream balanced_app {" in conf
    assert "least_conn;" in conf
    assert "server 127.0.0.1:9002 weight=2;" in conf
    assert "uwsgi_pass balanced_app;" in conf
    assert "server_name balanced.test www.balanced.test;" in conf
    # Nothing listens on the upstream ports: nginx answers 502 itself.
    assert http_get(host, "/", "balanced.test").status == 502


def test_location_set_with_its_own_upstream(host):
    upstreams = host.file("/etc/nginx/upstreams.d/files.extra.conf")
    assert (upstreams.user, upstreams.group, upstreams.mode) == ("root", "root", 0o644)
    assert "upstream files_extra_backend {" in upstreams.content_string
    assert upstreams.content_string.count("server 127.0.0.1:9003 max_fails=0;") == 2
    locations = host.file("/etc/nginx/locations.d/files/extra.conf").content_string
    assert "uwsgi_pass files_extra_backend;" in locations
    assert "uwsgi_next_upstream error;" in locations
    assert "uwsgi_next_upstream_timeout 5s;" in locations
    # Nothing listens on port 9003: the location passes to the upstream and nginx answers 502
    # after trying both entries.
    assert http_get(host, "/extra/", "files.test").status == 502
    log = host.run("tail -n 5 /var/log/nginx/error.log").stdout
    assert log.count('upstream: "uwsgi://127.0.0.1:9003"') >= 2, log


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
    assert "ListenStream=0.0.0.0:80\n" in unit.content_string
    assert "ListenStream=[::]:80\n" in unit.content_string
    # nginx took its sockets from systemd (fds 3 and 4) instead of binding its own: one
    # socket per address, open in both systemd and nginx.
    started = host.check_output("journalctl --unit nginx --no-pager --output cat")
    assert 'using inherited sockets from "3;4;"' in started
    listening = host.check_output("ss --no-header --listening --tcp --numeric --processes 'sport = :80'")
    assert len(listening.splitlines()) == 2, listening
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
