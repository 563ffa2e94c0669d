"""playbooks/status.yml's two halves, against real sockets and files in a temporary
directory: the script that reads a host (playbooks/files/flaskstack-status, with the
flaskapp role's helpers of this checkout) and the filter that makes its table
(plugins/filter/status.py)."""

from __future__ import annotations

import http.server
import importlib.machinery
import json
import os
import socket
import subprocess
import sys
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from ansible_collections.flaskstack.stack.plugins.filter.status import status_table

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "playbooks" / "files" / "flaskstack-status"
HELPERS = ROOT / "roles" / "flaskapp" / "files"
STUB = (
    "Active connections: 3 \nserver accepts handled requests\n 10 10 42 \nReading: 0 Writing: 1 Waiting: 2 \n"
)


def serve_forever(server: socket.socket, answer: bytes) -> None:
    while True:
        try:
            connection, _ = server.accept()
        except OSError:
            return
        with connection:
            connection.sendall(answer)


@pytest.fixture
def http_server() -> Iterator[dict]:
    """/healthz answers 200 (recording the Host header), /stub_status nginx's counters."""
    seen: dict = {"hosts": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen["hosts"].append(self.headers["Host"])
            body = STUB.encode() if self.path == "/stub_status" else b"ok"
            self.send_response(200 if self.path in ("/stub_status", "/healthz") else 404)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    seen["base"] = f"http://127.0.0.1:{server.server_port}"
    yield seen
    server.shutdown()


@pytest.fixture
def host(tmp_path: Path, http_server: dict) -> Iterator[dict]:
    """One app host and balancer: app `shop` with two releases and a stats socket whose
    workers are this process's own pid (so their RSS is real), and member files naming a
    server that accepts connections and one that does not."""
    root = tmp_path / "srv" / "shop"
    for name, since in (("old", 1_700_000_000), ("new", 1_700_003_600)):
        (root / "releases" / name).mkdir(parents=True)
        marker = root / "releases" / name / ".flaskstack-release"
        marker.touch()
        os.utime(marker, (since, since))
    (root / "current").symlink_to("releases/new")
    (root / "previous").symlink_to("releases/old")
    workers = [
        {"id": 1, "pid": os.getpid(), "status": "busy", "requests": 30, "exceptions": 1, "harakiri_count": 1},
        {"id": 2, "pid": os.getpid(), "status": "idle", "requests": 12, "exceptions": 0, "harakiri_count": 0},
    ]
    workers[0]["respawn_count"], workers[1]["respawn_count"] = 3, 1
    # A unix socket nobody accepts on, with two connections waiting in its backlog of 5 (the
    # kernel's numbers: uWSGI's stats read 0 for it), and a TCP socket as uWSGI reports it.
    app_socket = socket.socket(socket.AF_UNIX)
    app_socket.bind(str(tmp_path / "app.sock"))
    app_socket.listen(5)
    waiting = [socket.socket(socket.AF_UNIX) for _ in range(2)]
    for connection in waiting:
        connection.connect(str(tmp_path / "app.sock"))
    stats = {"pid": os.getpid(), "listen_queue": 4, "listen_queue_errors": 7}
    stats["sockets"] = [
        {"name": "127.0.0.1:9000", "queue": 4, "max_queue": 100},
        {"name": str(tmp_path / "app.sock"), "queue": 0, "max_queue": 0},
    ]
    stats["workers"] = workers
    stats_path = tmp_path / "stats.sock"
    stats_server = socket.socket(socket.AF_UNIX)
    stats_server.bind(str(stats_path))
    stats_server.listen(8)
    threading.Thread(
        target=serve_forever, args=(stats_server, json.dumps(stats).encode()), daemon=True
    ).start()
    listening = socket.create_server(("127.0.0.1", 0))
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    members = tmp_path / "members.d" / "shop-uwsgi"
    members.mkdir(parents=True)
    (members / "app1.conf").write_text(
        f"# managed\nserver 127.0.0.1:{listening.getsockname()[1]} weight=2 max_fails=1 fail_timeout=5s;\n"
    )
    (members / "app2.conf").write_text(
        f"server 127.0.0.1:{closed_port} weight=1 max_fails=1 fail_timeout=5s down;\n"
    )
    spec = {
        "apps": [
            {
                "name": "shop",
                "root": str(root),
                "stats": str(stats_path),
                "health_url": http_server["base"] + "/healthz",
                "host": "shop.test",
            },
            {"name": "gone", "root": str(tmp_path / "srv" / "gone"), "stats": str(tmp_path / "no.sock")},
        ],
        "stub_status": http_server["base"] + "/stub_status",
        "members_dir": str(tmp_path / "members.d"),
        "nginx": False,
    }
    spec["apps"][1].update(health_url=http_server["base"] + "/healthz", host="gone.test")
    yield {"spec": spec, "listening": listening.getsockname()[1], "closed": closed_port}
    stats_server.close()
    listening.close()
    for connection in [*waiting, app_socket]:
        connection.close()


def read(spec: dict) -> dict:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), json.dumps(spec)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "FLASKSTACK_HELPERS": str(HELPERS)},
    )
    return json.loads(done.stdout)


def test_the_script_reads_apps_nginx_and_upstreams(host: dict, http_server: dict) -> None:
    report = read(host["spec"])
    shop, gone = report["apps"]
    assert shop["live"] == {"id": "new", "since": 1_700_003_600}
    assert shop["previous"] == {"id": "old", "since": 1_700_000_000}
    assert shop["running"] is True
    assert (shop["workers"], shop["busy"], shop["idle"]) == (2, 1, 1)
    assert (shop["requests"], shop["exceptions"], shop["harakiri"]) == (42, 1, 1)
    # respawn_count counts the first spawn: 3 and 1 are two respawns.
    assert shop["respawns"] == 2
    assert (shop["listen_queue"], shop["listen_queue_max"], shop["listen_queue_overflows"]) == (
        4 + 2,
        100 + 5,
        7,
    )
    # Three times this process's RSS (master and two workers), which is more than 1 MiB.
    assert shop["rss"] > 3 * 1024 * 1024
    assert shop["health"]["status"] == 200
    assert "shop.test" in http_server["hosts"]
    assert gone["running"] is False
    assert gone["live"] is None
    assert "no uWSGI stats" in gone["error"]
    assert report["nginx"] == {
        "active": 3,
        "accepted": 10,
        "handled": 10,
        "requests": 42,
        "reading": 0,
        "writing": 1,
        "waiting": 2,
    }
    servers = {server["host"]: server for server in report["upstreams"]}
    assert servers["app1"]["opens"] is True
    assert servers["app1"]["weight"] == 2
    assert servers["app1"]["down"] is False
    assert servers["app2"]["opens"] is False
    assert servers["app2"]["down"] is True
    assert servers["app2"]["address"] == f"127.0.0.1:{host['closed']}"
    assert "certificates" not in report


def test_without_the_flaskapp_helpers_an_app_says_so(host: dict) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), json.dumps(host["spec"])],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "FLASKSTACK_HELPERS": "/nonexistent"},
    )
    shop = json.loads(done.stdout)["apps"][0]
    assert shop["running"] is False
    assert "run site.yml" in shop["error"]


def test_the_table_shows_every_part(host: dict) -> None:
    now = time.time()
    report = read(host["spec"])
    report["certificates"] = [
        {
            "path": "/etc/nginx/tls/shop/fullchain.pem",
            "subject": "CN=shop.test",
            "expires": now + 40 * 86400 + 60,
        },
        {"path": "/etc/nginx/tls/old.pem", "subject": "CN=old.test", "expires": now - 86400},
        {"path": "/etc/nginx/tls/bad.pem", "error": "unable to load certificate"},
    ]
    reports = [
        {"host": "app1", "groups": ["web", "balancers", "app"], "report": report},
        {"host": "app9", "groups": ["app"], "error": "Failed to connect to the host via ssh"},
    ]
    text = status_table(reports, now=now)
    lines = text.splitlines()
    print(text)
    assert lines[0] == "app1 [web, balancers, app]"
    header, shop, gone = lines[1:4]
    for column in (
        "app",
        "live (since)",
        "previous (since)",
        "workers",
        "respawns",
        "harakiri",
        "RSS MiB",
        "health",
    ):
        assert column in header
    assert shop.split()[:3] == ["shop", "new", "(2023-11-14"]
    assert "old (2023-11-14 22:13)" in shop
    assert "2 (1 busy, 1 idle)" in shop
    # requests, exceptions, respawns, harakiri, RSS MiB, queue/max, overflows, health
    counters = shop.split("idle)")[1].split()
    assert counters[:4] == ["42", "1", "2", "1"]
    assert int(counters[4]) >= 3
    assert counters[5:] == ["6/105", "7", "200"]
    assert gone.split()[:4] == ["gone", "-", "-", "DOWN"]
    assert "nginx: 3 active connections (0 reading, 1 writing, 2 waiting), 42 requests since start" in text
    upstream_rows = [line.split() for line in lines if line.strip().startswith("shop-uwsgi")]
    assert upstream_rows == [
        ["shop-uwsgi", "app1", f"127.0.0.1:{host['listening']}", "2", "-", "yes"],
        ["shop-uwsgi", "app2", f"127.0.0.1:{host['closed']}", "1", "down", "NO"],
    ]
    assert "(CN=shop.test): expires" in text
    assert "(in 40 days)" in text
    assert "(EXPIRED)" in text
    assert "bad.pem: UNREADABLE: unable to load certificate" in text
    assert lines[-2:] == ["app9 [app]", "  UNREADABLE: Failed to connect to the host via ssh"]


def test_an_app_with_only_unix_sockets_has_no_overflow_count(host: dict) -> None:
    """Linux counts no refusal on a unix socket: None in the data, `-` in the table."""
    report = read(host["spec"])
    shop = report["apps"][0]
    loader = importlib.machinery.SourceFileLoader("idle_helper", str(HELPERS / "flaskstack-app-idle"))
    helper = types.ModuleType(loader.name)
    loader.exec_module(helper)
    app_socket = str(Path(host["spec"]["apps"][0]["stats"]).parent / "app.sock")
    unix_only = {"sockets": [{"name": app_socket}]}
    assert helper.listen_queue(unix_only) == {
        "listen_queue": 2,
        "listen_queue_max": 5,
        "listen_queue_overflows": None,
    }
    shop.update(helper.listen_queue(unix_only))
    text = status_table([{"host": "app1", "groups": ["app"], "report": report}], now=time.time())
    row = next(line for line in text.splitlines() if line.strip().startswith("shop "))
    assert row.split()[-3:] == ["2/5", "-", "200"]
