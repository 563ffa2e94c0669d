"""roles/nginx alone: configuration, sites, removal, caching, gzip and validation.

The prepare step runs small uwsgi-protocol backends on 127.0.0.1:9001, 9002 and 9003
(flaskstack-backend@PORT), each answering `backend PORT`, so the tests see which upstream
server answered a request.
"""

from __future__ import annotations

import collections
import json
import re
import shlex
import subprocess
import time
from pathlib import Path

import pytest
from testlib import assert_running, docker_hosts, http_get, parse_response
from testlib import test_nginx_and_the_emperor_are_sandboxed as test_nginx_and_the_emperor_are_sandboxed
from testlib import test_no_app_or_worker_process_runs_as_root as test_no_app_or_worker_process_runs_as_root

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


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "SAMEORIGIN",
    "content-security-policy": "frame-ancestors 'self'",
}


@pytest.mark.parametrize("path", ["/static/hello.txt", "/static/nope.txt"])
def test_security_headers_by_default_on_every_answer(host, path):
    response = http_get(host, path, "files.test")
    assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS


def test_a_site_sets_its_own_security_headers(host):
    response = http_get(host, "/hello.txt", "limited.test")
    assert response.status == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert "referrer-policy" not in response.headers
    assert response.headers["permissions-policy"] == "camera=(), microphone=()"
    assert response.headers["x-content-type-options"] == "nosniff"


def burst(
    host, source: str, requests: int, server_name: str, path: str = "/hello.txt"
) -> collections.Counter:
    """Answers by status of REQUESTS sent at once (30 at a time) to this host's SOURCE address,
    which is then also the client's; socket errors count as status 0."""
    output = host.check_output(
        f"hey -n {requests} -c 30 -t 5 -disable-keepalive -host {server_name} http://{source}{path}"
    )
    counts: collections.Counter = collections.Counter()
    lines = output.splitlines()
    if "Status code distribution:" in lines:
        for line in lines[lines.index("Status code distribution:") + 1 :]:
            if not line.strip().startswith("["):
                break
            status, count = line.strip().split()[:2]
            counts[int(status.strip("[]"))] += int(count)
    counts[0] = requests - sum(counts.values())
    return counts


def test_a_burst_from_one_client_beyond_the_rate_limit_gets_429(host):
    # limited.test: 10 requests/s and 20 more at once per client. The host's own network
    # address is a client like any other (loopback is exempt).
    address = host.check_output("hostname -I").split()[0]
    started = time.monotonic()
    counts = burst(host, address, 300, "limited.test")
    seconds = time.monotonic() - started
    print(f"{host.backend.hostname}: 300 requests in {seconds:.2f} s from {address}: {dict(counts)}")
    assert counts[0] == 0, counts
    assert set(counts) <= {0, 200, 429}, counts
    # The burst passes, plus what the rate allows meanwhile; the rest is refused at once.
    assert 20 <= counts[200] <= 21 + 10 * seconds + 1, counts
    assert counts[429] >= 300 - (21 + 10 * seconds + 1), counts
    # The limit holds per site: the default one (100/s, 200 at once) takes the same burst.
    time.sleep(1)
    default = burst(host, address, 150, "files.test", "/static/hello.txt")
    assert default[200] == 150, default


def test_loopback_is_not_rate_limited(host):
    counts = burst(host, "127.0.0.1", 300, "limited.test")
    assert counts[200] == 300, counts


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


def test_a_site_file_changed_by_hand_is_written_again(host):
    # side_effect.yml added a line and made the file private, then converged again.
    site = host.file("/etc/nginx/sites-enabled/balanced.conf")
    assert "changed by hand" not in site.content_string
    assert (site.user, site.group, site.mode) == ("root", "root", 0o644)


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


SSLYZE = Path(__file__).resolve().parents[3] / "build" / "sslyze" / "bin" / "sslyze"
SELFSIGNED = "/etc/nginx/tls/secure/fullchain.pem"
TEST_CA = "/root/test-ca.pem"


def https(host, name: str, path: str = "/", cacert: str = SELFSIGNED, options: str = ""):
    """GET https://NAME/PATH from inside the host (NAME resolved to 127.0.0.1, so SNI and the
    certificate check use it), trusting CACERT."""
    command = (
        f"curl --silent --show-error --include --max-time 10 --cacert {cacert} {options}"
        f" --resolve {name}:443:127.0.0.1 {shlex.quote(f'https://{name}{path}')}"
    )
    return parse_response(host.run(command))


def test_tls_site_answers_over_https_with_its_certificate(host):
    response = https(host, "secure.test")
    assert (response.status, response.body) == (200, "secure https HTTP/2.0"), response
    assert https(host, "www.secure.test").status == 200
    response = https(host, "filed.test", cacert=TEST_CA)
    assert (response.status, response.body) == (200, "filed https"), response


def test_http_moves_to_https_keeping_path_and_query(host):
    response = http_get(host, "/a/b?x=1&y=two", "secure.test")
    assert response.status == 301, response
    assert response.headers["location"] == "https://secure.test/a/b?x=1&y=two"


def test_acme_challenges_stay_on_plain_http(host):
    # Not redirected: answered from the ACME web root (empty here).
    assert http_get(host, "/.well-known/acme-challenge/token", "secure.test").status == 404


def test_hsts_by_default_and_none_when_turned_off(host):
    assert https(host, "secure.test").headers["strict-transport-security"] == "max-age=63072000"
    filed = https(host, "filed.test", cacert=TEST_CA)
    assert "strict-transport-security" not in filed.headers
    # redirect: false serves the site over plain HTTP too.
    assert (http_get(host, "/", "filed.test").status, http_get(host, "/", "filed.test").body) == (
        200,
        "filed http",
    )


def test_alpn_negotiates_http2(host):
    version = host.check_output(
        f"curl --silent --output /dev/null --write-out '%{{http_version}}' --http2 --cacert {SELFSIGNED}"
        " --resolve secure.test:443:127.0.0.1 https://secure.test/"
    )
    assert version == "2"


def test_unknown_name_gets_no_certificate(host):
    # The TLS catch-all refuses the handshake: curl exits 35 (SSL connect error).
    result = host.run("curl --silent --insecure --resolve nobody.test:443:127.0.0.1 https://nobody.test/")
    assert result.rc == 35, result


def test_keys_only_root_reads_in_a_directory_only_root_enters(host):
    for path in ("/etc/nginx/tls", "/etc/nginx/tls/secure", "/etc/nginx/tls/filed"):
        directory = host.file(path)
        assert (directory.user, directory.group, directory.mode) == ("root", "root", 0o700), path
    for site in ("secure", "filed"):
        key = host.file(f"/etc/nginx/tls/{site}/privkey.pem")
        assert (key.user, key.group, key.mode) == ("root", "root", 0o600)
        chain = host.file(f"/etc/nginx/tls/{site}/fullchain.pem")
        assert (chain.user, chain.mode) == ("root", 0o644)
    assert host.run("sudo -u www-data cat /etc/nginx/tls/secure/privkey.pem").rc != 0


def test_selfsigned_certificate_names_the_site_and_lasts_a_year_at_most(host):
    text = host.check_output(f"openssl x509 -in {SELFSIGNED} -noout -ext subjectAltName -enddate -startdate")
    assert "DNS:secure.test, DNS:www.secure.test" in text
    days = host.check_output(
        f'echo $(( ($(date -d "$(openssl x509 -in {SELFSIGNED} -noout -enddate | cut -d= -f2)" +%s)'
        f' - $(date -d "$(openssl x509 -in {SELFSIGNED} -noout -startdate | cut -d= -f2)" +%s)) / 86400 ))'
    )
    assert int(days) <= 366


def test_nginx_warns_about_nothing(host):
    # No OCSP stapling warning (stapling is off), no deprecated `listen ... http2` on trixie.
    result = host.run("nginx -t")
    assert result.rc == 0
    assert "[warn]" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("name", "ca"), [("secure.test", SELFSIGNED), ("filed.test", TEST_CA), ("acme", None)]
)
def test_tls_is_compliant_with_mozillas_intermediate_profile(host, tmp_path, name, ca):
    """sslyze (build/sslyze, `make sslyze`) from the controller, at the container's address."""
    assert SSLYZE.exists(), f"{SSLYZE} is missing: make sslyze"
    if name == "acme":  # this host's ACME site, its certificate from Pebble
        name, ca = acme_name(host), pebble_root(host)
    address = host.check_output("hostname -I").split()[0]
    (tmp_path / "ca.pem").write_text(host.file(ca).content_string)
    result = subprocess.run(
        [str(SSLYZE), "--mozilla_config=intermediate", f"--certinfo_ca_file={tmp_path / 'ca.pem'}",
         f"--json_out={tmp_path / 'scan.json'}", f"{name}:443{{{address}}}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    print(result.stdout[-3000:])
    scan = json.loads((tmp_path / "scan.json").read_text())
    assert scan["server_scan_results"][0]["scan_status"] == "COMPLETED", result.stdout
    assert f"{name}:443: OK - Compliant." in result.stdout, result.stdout
    assert result.returncode == 0, result.stdout


PEBBLE_ROOT = "/root/pebble-root.pem"
ACME_LIVE = "/etc/nginx/tls/acme/fullchain.pem"


def acme_name(host) -> str:
    return f"{host.backend.get_hostname()}.acme.test"


def pebble_root(host) -> str:
    """The root Pebble signs with (made when it started), from its management port."""
    host.check_output(f"curl --silent --fail --output {PEBBLE_ROOT} https://fs-nginx-pebble:15000/roots/0")
    return PEBBLE_ROOT


def served_serial(host) -> str:
    name = acme_name(host)
    return host.check_output(
        f"openssl s_client -connect 127.0.0.1:443 -servername {name} </dev/null 2>/dev/null"
        " | openssl x509 -noout -serial"
    )


def test_acme_certificate_chains_to_the_acme_servers_root(host):
    response = https(host, acme_name(host), cacert=pebble_root(host))
    assert (response.status, response.body) == (200, "acme https"), response
    assert response.headers["strict-transport-security"] == "max-age=63072000"
    assert http_get(host, "/x?y=1", acme_name(host)).headers["location"] == f"https://{acme_name(host)}/x?y=1"
    issuer = host.check_output(f"openssl x509 -in {ACME_LIVE} -noout -issuer")
    assert "Pebble Intermediate CA" in issuer, issuer
    key = host.file("/etc/nginx/tls/acme/privkey.pem")
    assert (key.user, key.group, key.mode) == ("root", "root", 0o600)


def test_every_host_of_a_shared_name_got_its_certificate_through_the_one_it_resolves_to(host):
    # shared.acme.test resolves to fs-nginx-bookworm only; fs-nginx-trixie's challenges were
    # answered by bookworm asking trixie (nginx_acme_peers). Each serves its own certificate.
    response = https(host, "shared.acme.test", cacert=pebble_root(host))
    assert (response.status, response.body) == (200, f"shared {host.backend.get_hostname()}"), response
    names = host.check_output(
        "openssl x509 -in /etc/nginx/tls/shared/fullchain.pem -noout -ext subjectAltName"
    )
    assert "DNS:shared.acme.test" in names
    assert "Pebble Intermediate CA" in host.check_output(
        "openssl x509 -in /etc/nginx/tls/shared/fullchain.pem -noout -issuer"
    )


def test_a_token_a_peer_asks_for_is_never_asked_further(host):
    started = time.monotonic()
    result = host.check_output(
        "curl --silent --output /dev/null --write-out '%{http_code}' --header 'X-Flaskstack-Acme-Peer: 1'"
        " --header 'Host: shared.acme.test' http://127.0.0.1/.well-known/acme-challenge/none"
    )
    assert result == "404"
    assert time.monotonic() - started < 2
    # Without the header, the peers are asked (each lacks it too): still 404.
    assert http_get(host, "/.well-known/acme-challenge/none", "shared.acme.test").status == 404


def test_certbot_timer_renews_with_the_hook_that_tests_before_reloading(host):
    assert host.service("certbot.timer").is_enabled
    assert host.service("certbot.timer").is_running
    renewal = host.file("/etc/letsencrypt/renewal/acme.conf").content_string
    assert "renew_hook = /usr/local/sbin/flaskstack-acme-deploy" in renewal, renewal
    assert "server = https://fs-nginx-pebble:14000/dir" in renewal, renewal


def test_forced_renewal_under_load_drops_nothing_and_serves_the_new_serial(host):
    before = served_serial(host)
    # hey: 8 workers, a new TLS connection per request (SNI from -host), 25 requests/s each.
    host.check_output(
        "rm -f /root/renew-load.txt; (hey -z 12s -c 8 -q 25 -t 5 -disable-keepalive"
        f" -host {acme_name(host)} https://127.0.0.1/ > /root/renew-load.txt 2>&1 &)"
    )
    time.sleep(3)
    renewed = host.run("certbot renew --force-renewal --cert-name acme --no-random-sleep-on-renew")
    assert renewed.rc == 0, renewed.stdout + renewed.stderr
    host.check_output("while pgrep -x hey >/dev/null; do sleep 0.5; done")
    totals = json.loads(
        host.check_output(
            "python3 /usr/local/share/flaskstack-hey-report.py /root/renew-load.txt /root/renew-load.json"
        )
    )
    print(f"renewal under load: {totals}")
    assert totals["requests"] > 1000, totals
    assert totals["non2xx"] == 0, totals
    assert totals["connect"] + totals["read"] + totals["write"] + totals["timeout"] == 0, totals
    after = served_serial(host)
    assert after != before
    assert after == host.check_output("openssl x509 -in /etc/letsencrypt/live/acme/cert.pem -noout -serial")
    assert https(host, acme_name(host), cacert=pebble_root(host)).status == 200


def test_a_certificate_nginx_refuses_is_not_put_live(host):
    # A "renewed" lineage whose key is not its certificate's: the hook's nginx -t fails, the
    # served pair comes back, nginx is not reloaded, and the hook says why and fails.
    before = host.file(ACME_LIVE).sha256sum
    host.check_output(
        "rm -rf /root/bad/acme && mkdir -p /root/bad/acme"
        " && cp /etc/nginx/tls/secure/fullchain.pem /root/bad/acme/"
        " && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out /root/bad/acme/privkey.pem"
    )
    result = host.run("RENEWED_LINEAGE=/root/bad/acme /usr/local/sbin/flaskstack-acme-deploy")
    assert result.rc == 1, result
    assert "nginx keeps serving the one it had" in result.stderr, result.stderr
    assert host.file(ACME_LIVE).sha256sum == before
    assert host.file("/etc/nginx/tls/acme/privkey.pem").mode == 0o600
    assert https(host, acme_name(host), cacert=pebble_root(host)).status == 200


def test_a_failed_renewal_leaves_the_served_certificate_and_says_so(host):
    # The ACME server out of reach (docs/runbooks/certificates.md, section 3, first row):
    # the way out goes through a proxy that refuses every connection.
    before = served_serial(host)
    result = host.run(
        "HTTPS_PROXY=http://127.0.0.1:9"
        " certbot renew --force-renewal --cert-name acme --no-random-sleep-on-renew"
    )
    assert result.rc != 0, result
    assert "failed" in (result.stdout + result.stderr).lower(), result
    assert served_serial(host) == before
    assert https(host, acme_name(host), cacert=pebble_root(host)).status == 200
    # What the runbook reads: certbot's own log names the directory it could not reach, and why.
    logged = host.check_output("tail -n 200 /var/log/letsencrypt/letsencrypt.log")
    assert "fs-nginx-pebble" in logged, logged[-3000:]
    assert "Connection refused" in logged, logged[-3000:]


def test_logs_rotate_under_load_and_no_line_is_lost(host):
    """Debian's logrotate config rotates the logs and makes nginx reopen them (its
    postrotate signals the master, which runs under the sandboxed, socket-activated unit):
    a forced rotation in the middle of a load splits its lines between the old file and the
    new one, none lost, and the requests after it land in the new file."""
    assert host.package("logrotate").is_installed
    assert "/var/log/nginx/*.log" in host.file("/etc/logrotate.d/nginx").content_string
    tag, sent = f"rotation{time.time_ns()}", 2000
    # From loopback (exempt from the rate limit): 4 connections at 100 requests/s each.
    host.check_output(
        f"rm -f /root/rotation.txt; (hey -n {sent} -c 4 -q 100 -t 5 -host files.test"
        f" 'http://127.0.0.1/static/hello.txt?{tag}=during' > /root/rotation.txt 2>&1 &)"
    )
    time.sleep(2)
    host.check_output("logrotate --force /etc/logrotate.d/nginx")
    host.check_output("while pgrep -x hey >/dev/null; do sleep 0.2; done")
    answers = {
        int(code): int(count)
        for code, count in re.findall(
            r"\[(\d+)\]\s+(\d+) responses", host.file("/root/rotation.txt").content_string
        )
    }
    assert answers == {200: sent}, host.file("/root/rotation.txt").content_string
    for number in range(10):
        assert http_get(host, f"/static/hello.txt?{tag}=after{number}", "files.test").status == 200
    time.sleep(1.5)  # the static locations' log buffer is flushed every second
    old = host.file("/var/log/nginx/access.log.1").content_string
    new = host.file("/var/log/nginx/access.log").content_string
    before, during = old.count(f"{tag}=during"), new.count(f"{tag}=during")
    print(
        f"log rotation under load: {sent} requests, {before} logged before it, {during} after, 10 more after"
    )
    assert before > 0
    assert during > 0
    assert before + during == sent
    assert new.count(f"{tag}=after") == 10
    assert f"{tag}=after" not in old
    assert host.file("/var/log/nginx/access.log").user == "www-data"


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
