"""The setups measured side by side, and one wrk run against one of them.

Every setup runs on the benchmark host under its own systemd units and port; only one
setup's units run at a time. wrk (Debian's) runs inside the host too, so the traffic
never leaves the container.
"""

from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass
from typing import Any

from tools.bench.lab import LabError, host_sh, say

# wrk gives up on a request after this long and counts it as a timeout (a socket error).
WRK_TIMEOUT_SECONDS = 2
# wrk threads: one per core of this 2-core machine at most, never more than connections.
WRK_MAX_THREADS = 2
WRK_SCRIPT = "/etc/bench/wrk-json.lua"
MARKER = "BENCH_JSON "


@dataclass(frozen=True)
class Endpoint:
    key: str
    path: str
    title: str


@dataclass(frozen=True)
class Setup:
    key: str
    title: str
    chain: str
    details: str
    static_by: str
    port: int
    units: tuple[str, ...]
    # Endpoints measured; the others are the same request for this setup.
    endpoints: tuple[str, ...] = ("json", "page", "static")
    # Scheme and host of its URLs: over HTTPS a name, which wrk sends in the TLS handshake (SNI).
    base: str = "http://127.0.0.1"

    def url(self, endpoint: Endpoint) -> str:
        return f"{self.base}:{self.port}{endpoint.path}"


ENDPOINTS = (
    Endpoint("json", "/", "JSON endpoint `/`"),
    Endpoint("page", "/page", "template page `/page`"),
    Endpoint("static", "/static/style.css", "static file `/static/style.css` (180 bytes)"),
)

SETUPS = (
    Setup(
        key="flaskstack",
        title="flaskstack defaults",
        chain="nginx → uWSGI emperor → Flask",
        details="site.yml with every role default: the nginx role's nginx.conf, the app's vassal",
        static_by="nginx (alias, `expires 7d`)",
        port=80,
        units=("nginx", "uwsgi-emperor"),
    ),
    Setup(
        key="flaskstack-https",
        title="flaskstack defaults over HTTPS",
        chain="nginx (TLS 1.3, ECDSA P-256) → uWSGI emperor → Flask",
        details="the same site with its `tls` (a self-signed certificate, `redirect: false`, so plain HTTP "
        "still answers for the row above), wrk over HTTPS with keep-alive: the ratio is the cost of TLS",
        static_by="nginx (alias, `expires 7d`)",
        port=443,
        units=("nginx", "uwsgi-emperor"),
        endpoints=("json",),
        base="https://localhost",
    ),
    Setup(
        key="tutorial",
        title="tutorial",
        chain="nginx (Debian's nginx.conf) → uWSGI → Flask",
        details="uWSGI ini with `module`, `master`, 5 processes, unix socket with `chmod-socket = 660`, "
        "`vacuum`, `die-on-term`, its own service; a site with `include uwsgi_params; uwsgi_pass unix:…`",
        static_by="Flask (through uWSGI)",
        port=8002,
        units=("bench-plain-nginx", "bench-tutorial-uwsgi"),
    ),
    Setup(
        key="gunicorn",
        title="nginx → Gunicorn",
        chain="nginx (Debian's nginx.conf) → Gunicorn → Flask",
        details="Gunicorn with (2 x cores) + 1 sync workers on a unix socket; "
        "a site with `include proxy_params; proxy_pass http://unix:…`",
        static_by="Flask (through Gunicorn)",
        port=8003,
        units=("bench-plain-nginx", "bench-gunicorn"),
    ),
    Setup(
        key="granian",
        title="nginx → Granian",
        chain="nginx (Debian's nginx.conf) → Granian (WSGI) → Flask",
        details="Granian with its README's starting point for WSGI: `--workers` one per core, its other "
        "settings (blocking threads, backpressure, runtime) left to Granian, on a unix socket; a site "
        "with `include proxy_params; proxy_pass http://unix:…`, as for Gunicorn",
        static_by="Flask (through Granian)",
        port=8006,
        units=("bench-plain-nginx", "bench-granian"),
    ),
    Setup(
        key="granian-alone",
        title="Granian alone",
        chain="Granian (WSGI, HTTP/1.1) → Flask",
        details="the same Granian answering HTTP on a TCP port itself, static files from its own "
        "static route (`--static-path-mount` of the app's static directory)",
        static_by="Granian (`--static-path-route /static`)",
        port=8007,
        units=("bench-granian-alone",),
    ),
    Setup(
        key="uwsgi-http",
        title="uWSGI HTTP, no nginx",
        chain="uWSGI (`http11-socket`) → Flask",
        details="flaskstack's vassal file, run by itself, with `http11-socket` (HTTP/1.1, keep-alive; "
        "a plain `http-socket` closes the connection after every answer) and `tcp-nodelay` (without it "
        "a file answer waits about 40 ms for the client's delayed ACK) instead of its unix socket",
        static_by="Flask (through uWSGI)",
        port=8004,
        units=("bench-uwsgi-http",),
    ),
    Setup(
        key="nginx-return-200",
        title="nginx `return 200`",
        chain="nginx alone",
        details="a server of flaskstack's nginx answering `return 200` to every URL (measured once, "
        "on `/`, and shown for every endpoint)",
        static_by="—",
        port=8005,
        units=("nginx",),
        endpoints=("json",),
    ),
)

ALL_UNITS = tuple(dict.fromkeys(unit for setup in SETUPS for unit in setup.units))


def playbook_ports() -> dict[str, int]:
    """bench_ports for tools/bench/alternatives.yml: each alternative's port."""
    return {
        setup.key.replace("-", "_"): setup.port for setup in SETUPS if not setup.key.startswith("flaskstack")
    }


def endpoint(key: str) -> Endpoint:
    return next(item for item in ENDPOINTS if item.key == key)


def start_setup(setup: Setup) -> None:
    """Stop every setup's units, start this one's, and wait until each of its URLs answers 200."""
    units = " ".join(ALL_UNITS)
    host_sh(f"systemctl stop {units} && systemctl start {' '.join(setup.units)}")
    for key in setup.endpoints:
        url = setup.url(endpoint(key))
        # Why curl's retries: a vassal or worker may still be importing the app.
        status = host_sh(
            "curl --fail --silent --output /dev/null --write-out '%{http_code}' --retry 30 --retry-delay 1 "
            f"--retry-connrefused --retry-all-errors --max-time 5 --insecure {shlex.quote(url)}",
            check=False,
        ).strip()
        if status != "200":
            journal = host_sh(f"journalctl --no-pager --lines 30 {' '.join('-u ' + u for u in setup.units)}")
            raise LabError(f"{setup.key}: {url} answered {status or 'nothing'}, not 200\n{journal}")


def memory(setup: Setup) -> int:
    """Resident memory (bytes) of every process of the setup's units: the whole server tree,
    masters and workers. A process belongs to a unit when its control group ends in
    /system.slice/UNIT.service (/proc/PID/cgroup: cgroup v1 or v2, any container nesting)."""
    units = "|".join(setup.units)  # plain names: letters, digits, dashes
    output = host_sh(
        f"grep -l -E '/system\\.slice/({units})\\.service$' /proc/[0-9]*/cgroup 2>/dev/null"
        " | cut -d/ -f3 | while read -r pid; do awk '{print $2}' /proc/$pid/statm 2>/dev/null; done"
        " | awk -v page=$(getconf PAGESIZE) '{total += $1} END {print total * page}'"
    )
    total = int(output.strip() or 0)
    if total <= 0:
        raise LabError(f"{setup.key}: no process of {', '.join(setup.units)} found to measure")
    return total


def stop_all() -> None:
    host_sh(f"systemctl stop {' '.join(ALL_UNITS)}")


def wrk(url: str, connections: int, seconds: float) -> dict[str, Any]:
    """One wrk run inside the host; the numbers its done() script printed."""
    threads = min(connections, WRK_MAX_THREADS)
    command = shlex.join(
        [
            "wrk", "--threads", str(threads), "--connections", str(connections),
            "--duration", f"{seconds:g}s", "--timeout", f"{WRK_TIMEOUT_SECONDS}s",
            "--latency", "--script", WRK_SCRIPT, url,
        ]
    )  # fmt: skip
    # 512 connections need more open files than a shell's default allows.
    output = host_sh(f'ulimit -n "$(ulimit -Hn)" && {command}', timeout=seconds + 60)
    for line in output.splitlines():
        if line.startswith(MARKER):
            numbers: dict[str, Any] = json.loads(line.removeprefix(MARKER))
            numbers["threads"] = threads
            return numbers
    raise LabError(f"wrk printed no {MARKER.strip()} line:\n{output}")


def measure(
    setup: Setup, endpoint_key: str, connections: int, seconds: float, warmup: float
) -> dict[str, Any]:
    """Warm up, then measure one point; requests/s, latencies in ms and error counts."""
    url = setup.url(endpoint(endpoint_key))
    if warmup > 0:
        wrk(url, connections, warmup)
    raw = wrk(url, connections, seconds)
    elapsed = raw["duration_us"] / 1e6
    socket_errors = {
        "connect": raw["connect_errors"],
        "read": raw["read_errors"],
        "write": raw["write_errors"],
        "timeout": raw["timeouts"],
    }
    point = {
        "setup": setup.key,
        "endpoint": endpoint_key,
        "connections": connections,
        "threads": raw["threads"],
        "seconds": round(elapsed, 3),
        "requests": raw["requests"],
        "requests_per_second": round(raw["requests"] / elapsed, 1) if elapsed else 0.0,
        "latency_ms": {
            name: round(raw[f"latency_{name}_us"] / 1000, 3) for name in ("p50", "p90", "p99", "max", "mean")
        },
        "non_2xx": raw["status_errors"],
        "socket_errors": socket_errors,
        "bytes": raw["bytes"],
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    errors = point["non_2xx"] + sum(socket_errors.values())
    say(
        f"{setup.key:17} {endpoint_key:6} c={connections:<4} {point['requests_per_second']:>9.0f} req/s  "
        f"p50 {point['latency_ms']['p50']:7.2f} ms  p99 {point['latency_ms']['p99']:8.2f} ms  errors {errors}"
    )
    return point
