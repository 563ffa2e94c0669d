"""A cluster under load: one nginx balancer, app hosts joining, deployed host by host,
broken, rolled back host by host, scaled out, killed and scaled in.

side_effect.yml ran each step's playbook from the controller while files/cluster-load.py on
the balancer kept GETs (kept alive) and POSTs (a connection each) going through it; these
tests read what was recorded on the balancer and what the app hosts stored.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter

import pytest
import testinfra
from testlib import docker_hosts, http_get, load, output, step, unix_json, whole_output

testinfra_hosts = docker_hosts("balancers")

APP_HOSTS = ["fs-cluster-app1", "fs-cluster-app2", "fs-cluster-app3"]
# Load threads (cluster-load's defaults): each has at most one request in flight.
IN_FLIGHT_AT_MOST = 6 + 3
STEPS = [
    "step1-two-hosts",
    "step2-rolling-deploy-v2",
    "step3-broken-v3",
    "step4-rollback-v1",
    "step5-scale-out",
    "step6-kill-app2",
    "step7-scale-in",
    "step7b-app2-stays-down",
    "step7c-app2-repaired",
    "step8-converge-again",
    "step9-status",
    "step10-status-json",
]
# The steps that kill an app host: at most the requests in flight on it fail.
KILL_STEPS = ["step6-kill-app2", "step7b-app2-stays-down"]
CLEAN_STEPS = [s for s in STEPS if s not in KILL_STEPS]


def app_host(name: str):
    return testinfra.get_host(f"docker://{name}")


def stored_orders(name: str) -> list[str]:
    """The ids in the app's SQLite file on an app host, read from the file (a retired host
    no longer runs the app)."""
    script = (
        "import glob, sqlite3, json\n"
        "ids = []\n"
        "for path in glob.glob('/srv/sample/shared/**/orders.sqlite', recursive=True):\n"
        "    ids += [r[0] for r in sqlite3.connect(path).execute('SELECT id FROM orders')]\n"
        "print(json.dumps(ids))\n"
    )
    return json.loads(app_host(name).check_output(f"python3 -c {shlex.quote(script)}"))


def answering_hosts(totals: dict) -> set[str]:
    return {key.split()[0] for key in totals["answers"]}


def task_output(text: str, task: str) -> str:
    """What a playbook's output says under the first task named TASK (up to the next task)."""
    return text.split(f"{task}]")[1].split("TASK [")[0]


def assert_only_app2_failed(host, name: str) -> list[str]:
    """A step that killed app2: at most the requests in flight failed, and every upstream
    error the balancer logged meanwhile names app2 (what docs/runbooks/host-down.md reads
    there). The balancer's upstream error lines of the step."""
    totals = load(host, name)
    failed = totals["non_2xx"] + totals["socket_errors"]
    print(f"{name}: {failed} failed of {totals['requests']} ({totals['kinds']})")
    assert failed <= IN_FLIGHT_AT_MOST, totals["kinds"]
    errors = json.loads(host.file(f"/root/steps/{name}.nginx-errors.json").content_string)
    print("the balancer's error log meanwhile:", len(errors), "lines", *errors[:6], sep="\n  ")
    named = [line for line in errors if 'upstream: "' in line]
    assert all("172.31.250.12:" in line for line in named), [
        line for line in named if "172.31.250.12:" not in line
    ]
    return errors


def assert_moved_host_by_host(spans: dict, old: str, new: str) -> None:
    """Each of app1 and app2 answered the old version, then the new one (drained while it
    switched: its last old answer came before its first new one), and one host at a time:
    the second still answered the old version after the first answered the new one."""
    switched = {}
    for name in ("fs-cluster-app1", "fs-cluster-app2"):
        versions = spans[name]
        assert set(versions) == {old, new}, versions
        assert versions[old][1] < versions[new][0], versions
        switched[name] = versions[new][0]
    first, second = sorted(switched, key=switched.get)
    assert spans[second][old][1] > spans[first][new][0], spans


@pytest.mark.parametrize("name", STEPS)
def test_each_step_is_counted_and_printed(host, name):
    totals = load(host, name)
    print(
        f"{name}: rc={step(host, name)['rc']} requests={totals['requests']} non_2xx={totals['non_2xx']}"
        f" socket_errors={totals['socket_errors']} stale_keepalive_resent={totals['stale_retries']}"
        f" p99={totals['p99_ms']}ms posts_accepted={len(totals['accepted'])} answers={totals['answers']}"
    )
    assert totals["requests"] > 100, totals
    assert totals["kinds"]["post"]["requests"] > 20, totals


@pytest.mark.parametrize("name", CLEAN_STEPS)
def test_no_request_fails(host, name):
    totals = load(host, name)
    assert totals["non_2xx"] == 0, totals["kinds"]
    assert totals["socket_errors"] == 0, totals["kinds"]


def test_step1_answers_come_from_both_app_hosts(host):
    assert answering_hosts(load(host, "step1-two-hosts")) == {"fs-cluster-app1", "fs-cluster-app2"}


def test_step2_the_rolling_deploy_moves_answers_host_by_host(host):
    assert step(host, "step2-rolling-deploy-v2")["rc"] == 0, output(host, "step2-rolling-deploy-v2")
    assert_moved_host_by_host(load(host, "step2-rolling-deploy-v2")["spans"], "1.0.0", "2.0.0")


def test_step2_static_files_of_both_versions_were_found(host):
    static = load(host, "step2-rolling-deploy-v2")["kinds"]["static"]
    assert set(static["statuses"]) == {"200"}, static
    assert static["requests"] > 100, static


def test_an_app_host_serves_the_previous_releases_static_files_too(host):
    """A page of the version going away, still out after the last host of that version was
    drained, names that version's file (app-v1.css in the deploy, app-v2.css in the
    rollback): a host serves it from its previous release. app2 ends on v1, after v2."""
    serving = app_host("fs-cluster-app2")
    for name in ("app-v1.css", "app-v2.css", "style.css"):
        answer = http_get(serving, f"/static/{name}", "sample.test", port=8080)
        assert answer.status == 200, (name, answer)
    assert http_get(serving, "/static/app-v3.css", "sample.test", port=8080).status == 404


def test_step2_the_play_says_which_host_runs_which_release(host):
    text = output(host, "step2-rolling-deploy-v2")
    assert re.search(r"fs-cluster-app1: sample [0-9a-f]{12}", text), text
    assert re.search(r"fs-cluster-app2: sample [0-9a-f]{12}", text), text


def test_step3_the_broken_release_stops_at_the_first_host(host):
    record = step(host, "step3-broken-v3")
    text = output(host, "step3-broken-v3")
    assert record["rc"] != 0, text
    assert "flaskstack_missing_dependency" in text, text
    assert "stopped there" in text, text
    # The first host was refused before its switch, the second never reached: both run v2.
    assert load(host, "step3-broken-v3")["answers"].keys() == {
        "fs-cluster-app1 2.0.0",
        "fs-cluster-app2 2.0.0",
    }
    recap = "\n".join(record["recap"])
    assert "fs-cluster-app2" not in recap or re.search(r"fs-cluster-app2\s+: ok=\d+\s+changed=0", recap), (
        recap
    )


def test_step4_the_rollback_moves_answers_host_by_host_back_to_v1(host):
    assert step(host, "step4-rollback-v1")["rc"] == 0, output(host, "step4-rollback-v1")
    assert_moved_host_by_host(load(host, "step4-rollback-v1")["spans"], "2.0.0", "1.0.0")


def live_releases(host, name: str) -> dict[str, str]:
    """The release of `sample` that the step's play said each host runs, at its end."""
    return dict(re.findall(r"(fs-cluster-app\d): sample ([0-9a-f]{12})", output(host, name)))


def test_step4_every_host_ends_on_the_release_before_v2(host):
    deployed = live_releases(host, "step2-rolling-deploy-v2")
    rolled_back = live_releases(host, "step4-rollback-v1")
    assert rolled_back.keys() == {"fs-cluster-app1", "fs-cluster-app2"}, output(host, "step4-rollback-v1")
    # A release is named after its content: v1's is the same on both hosts, and not v2's.
    assert len(set(rolled_back.values())) == 1, rolled_back
    assert set(rolled_back.values()).isdisjoint(deployed.values()), (deployed, rolled_back)


def test_step5_the_new_host_answers_only_once_healthy(host):
    totals = load(host, "step5-scale-out")
    assert step(host, "step5-scale-out")["rc"] == 0, output(host, "step5-scale-out")
    # The inventory names v1 again after the rollback: every host, the new one too, runs it.
    assert "fs-cluster-app3 1.0.0" in totals["answers"], totals["answers"]
    assert {key.split()[1] for key in totals["answers"]} == {"1.0.0"}, totals["answers"]


def test_step6_a_killed_host_costs_at_most_the_requests_in_flight(host):
    errors = assert_only_app2_failed(host, "step6-kill-app2")
    assert [line for line in errors if 'upstream: "' in line]
    assert any("while connecting to upstream" in line for line in errors)


def test_step6_the_killed_host_is_used_again_without_a_playbook(host):
    # The next steps' loads ran after it came back: it answered in step 7.
    assert "fs-cluster-app2" in answering_hosts(load(host, "step7-scale-in"))


def test_step7_the_retired_host_left_first(host):
    assert step(host, "step7-scale-in")["rc"] == 0, output(host, "step7-scale-in")
    assert answering_hosts(load(host, "step8-converge-again")) == {"fs-cluster-app2", "fs-cluster-app3"}
    assert not host.file("/etc/nginx/members.d/sample/fs-cluster-app1.conf").exists
    retired = app_host("fs-cluster-app1")
    assert not retired.file("/etc/uwsgi-emperor/vassals/sample.ini").exists
    assert retired.file("/srv/sample/current").is_symlink  # its files and data stay


def test_step7b_a_host_that_stays_down_leaves_every_upstream(host):
    """docs/runbooks/host-down.md, section 3: app2 killed, taken out of the app group, and
    site.yml run on the balancers alone, which remove its member files."""
    name = "step7b-app2-stays-down"
    assert step(host, name)["rc"] == 0, output(host, name)
    recap = step(host, name)["recap"]
    assert len(recap) == 1, recap
    assert recap[0].startswith("fs-cluster-lb "), recap
    assert_only_app2_failed(host, name)
    removed = task_output(
        whole_output(host, name), "Remove the member files of hosts that are no longer app hosts"
    )
    print(removed.strip())
    for members in ("sample", "sample-uwsgi", "tiers"):
        assert f"/etc/nginx/members.d/{members}/fs-cluster-app2.conf" in removed, removed
    assert "changed: [fs-cluster-lb]" in removed, removed


def test_step7c_the_repaired_host_joins_again_once_back_in_the_group(host):
    name = "step7c-app2-repaired"
    assert step(host, name)["rc"] == 0, output(host, name)
    assert "fs-cluster-app2" in answering_hosts(load(host, name)), load(host, name)["answers"]
    # Its member files were gone: its apps ran their full deploy, which joined them again.
    said = task_output(whole_output(host, name), "Say which apps run their full deploy, and why")
    answer = said.split("ok: [fs-cluster-app2] =>")[1].split("ok: [")[0]
    assert "sample: its member files on the balancers changed" in answer, said
    assert "tiers: its member files on the balancers changed" in answer, said


def test_each_serving_hosts_deploy_record_holds_its_member_files(host):
    """The fast path compares these lines with the balancer's own (flaskapp: unchanged.yml):
    a record that held none let a host whose member files were removed skip its deploy, so
    step 7c left it out of every upstream."""
    for name in ("fs-cluster-app2", "fs-cluster-app3"):
        record = json.loads(app_host(name).file("/var/lib/flaskstack/deployed/sample.json").content_string)
        lines = record["members"]["fs-cluster-lb"]
        print(name, lines)
        # Owner and mode, then the SHA-1, of members.d/sample/ and members.d/sample-uwsgi/.
        assert len(lines) == 4, lines
        assert all(line.endswith((f"/{name}.conf", f"/{name}.conf 0:0 644")) for line in lines), lines


def test_step8_a_second_converge_changes_nothing(host):
    recap = step(host, "step8-converge-again")["recap"]
    assert recap, output(host, "step8-converge-again")
    changed = [line for line in recap if not re.search(r"changed=0\s", line)]
    assert not changed, recap


def test_step8_the_app_hosts_skip_their_deploys_without_asking_the_balancer_again(host):
    # The fast path held for every app of both serving hosts, and each read its member files
    # in the list the balancer play made in this run: no host asked the balancer again.
    found = whole_output(host, "step8-converge-again")
    said = task_output(found, "Say which apps run their full deploy, and why")
    for name in ("fs-cluster-app2", "fs-cluster-app3"):
        answer = said.split(f"ok: [{name}] =>")[1][:120]
        assert "none: each app is as its last deploy left it" in answer, said
    section = task_output(found, "Read this host's member files on the balancers not listed in this run")
    assert "skipping: [fs-cluster-app2]" in section, section
    assert "(item=" not in section, section


def test_every_accepted_post_is_stored_once(host):
    accepted = [order for name in STEPS for order in load(host, name)["accepted"]]
    stored = [order for name in APP_HOSTS for order in stored_orders(name)]
    assert len(set(accepted)) == len(accepted)
    missing = set(accepted) - set(stored)
    twice = {order for order, times in Counter(stored).items() if times > 1}
    print(f"POSTs accepted {len(accepted)}, stored {len(stored)}, lost {len(missing)}, twice {len(twice)}")
    assert not missing
    assert not twice


def test_the_balancer_upstream_lists_the_serving_hosts(host):
    members = host.file("/etc/nginx/members.d/sample")
    assert sorted(members.listdir()) == ["fs-cluster-app2.conf", "fs-cluster-app3.conf"]
    for name, address in (("fs-cluster-app2", "172.31.250.12"), ("fs-cluster-app3", "172.31.250.13")):
        member = host.file(f"/etc/nginx/members.d/sample/{name}.conf")
        assert member.user == "root"
        assert member.mode == 0o644
        assert f"server {address}:8080 weight=1 max_fails=1 fail_timeout=10s;" in member.content_string
    assert host.run("nginx -t").rc == 0


def worker_requests(name: str, app: str) -> int:
    stats = unix_json(app_host(name), f"/run/uwsgi/{app}/stats.sock")
    return sum(worker["requests"] for worker in stats["workers"])


@pytest.mark.parametrize("app", ["sample", "tiers"])
def test_static_files_never_reach_a_python_worker(host, app):
    serving = APP_HOSTS[1:]
    before = {name: worker_requests(name, app) for name in serving}
    for _ in range(40):
        assert http_get(host, "/static/style.css", f"{app}.test").status == 200
    assert {name: worker_requests(name, app) for name in serving} == before
    answer = http_get(host, "/", f"{app}.test")
    assert answer.status == 200
    assert answer.json()["host"] in serving
    assert sum(worker_requests(name, app) for name in serving) == sum(before.values()) + 1


def test_by_default_the_balancer_speaks_uwsgi_to_each_hosts_private_address(host):
    site = host.file("/etc/nginx/sites-enabled/sample.conf").content_string
    assert "uwsgi_pass sample_sample-uwsgi;" in site
    assert "include members.d/sample-uwsgi/*.conf;" in site
    assert sorted(host.file("/etc/nginx/members.d/sample-uwsgi").listdir()) == [
        "fs-cluster-app2.conf",
        "fs-cluster-app3.conf",
    ]
    for name, address in (("fs-cluster-app2", "172.31.250.12"), ("fs-cluster-app3", "172.31.250.13")):
        member = host.file(f"/etc/nginx/members.d/sample-uwsgi/{name}.conf").content_string
        assert f"server {address}:9000 weight=1 max_fails=1 fail_timeout=10s;" in member
        listening = app_host(name).check_output("ss --listening --tcp --numeric --no-header")
        assert f"{address}:9000 " in listening, listening
        assert "0.0.0.0:9000" not in listening
        assert "*:9000" not in listening


def test_the_two_tier_app_is_proxied_over_http_to_each_hosts_nginx(host):
    site = host.file("/etc/nginx/sites-enabled/tiers.conf").content_string
    assert "proxy_pass http://tiers_tiers;" in site
    assert "proxy_http_version 1.1;" in site
    assert not host.file("/etc/nginx/members.d/tiers-uwsgi").exists
    hosts = {http_get(host, "/", "tiers.test").json()["host"] for _ in range(12)}
    assert hosts == set(APP_HOSTS[1:])
