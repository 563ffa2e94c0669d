"""Load against nginx while a fault is injected, and how long the app took to serve again.

    python3 probe.py --url http://ADDRESS/ --host alpha.test --duration 25 --fault-at 5 \
        --report fault.json -- COMMAND THAT INJECTS THE FAULT...

CONNECTIONS threads send GET requests back to back over keep-alive connections (a new
connection after any error) for DURATION seconds; at FAULT_AT seconds the command runs.
The report counts requests and errors (by kind) and gives the recovery time: from the
fault to the end of the last failed request, after which every request succeeded; 0 when
no request failed. Runs on the controller: faults such as a container restart cannot be
measured from inside the host.

With --cpu-hog N, N processes spin on the CPU for the whole run, beside the load: the
fault then hits a machine with no idle core, as on a slow or busy host, where a process
takes longer to come back and timing luck cannot hide a lost request.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Tally:
    """What every thread saw, under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[float, float, str]] = field(default_factory=list)
    slowest: float = 0.0

    def add(self, started: float, ended: float, error: str | None) -> None:
        with self.lock:
            self.requests += 1
            self.slowest = max(self.slowest, ended - started)
            if error is not None:
                self.errors[error] += 1
                self.failures.append((started, ended, error))


def worker(address: tuple[str, int], path: str, host: str, stop: float, tally: Tally) -> None:
    connection = None
    while time.monotonic() < stop:
        if connection is None:
            connection = http.client.HTTPConnection(*address, timeout=10)
        started = time.monotonic()
        error = None
        try:
            connection.request("GET", path, headers={"Host": host})
            response = connection.getresponse()
            response.read()
            if not 200 <= response.status < 300:
                error = f"status {response.status}"
                time.sleep(0.01)  # like a client that does not hammer a failing server
            if response.getheader("connection", "").lower() == "close":
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException) as exc:
            error = type(exc).__name__
            connection.close()
            connection = None
            time.sleep(0.01)  # a refused connection comes back at once: do not spin either
        tally.add(started, time.monotonic(), error)


def spin(stop: float) -> None:
    """Keep one core busy until STOP (time.monotonic())."""
    while time.monotonic() < stop:
        pass


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--host", required=True, help="Host header")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=float, default=25)
    parser.add_argument("--fault-at", type=float, default=5)
    parser.add_argument("--cpu-hog", type=int, default=0, help="processes that keep a core busy")
    parser.add_argument("--report", required=True)
    parser.add_argument("fault", nargs="+", help="command that injects the fault")
    args = parser.parse_args()

    url = urlsplit(args.url)
    address = (url.hostname or "127.0.0.1", url.port or 80)
    tally = Tally()
    start = time.monotonic()
    stop = start + args.duration
    threads = [
        threading.Thread(target=worker, args=(address, url.path or "/", args.host, stop, tally), daemon=True)
        for _ in range(args.connections)
    ]
    hogs = [multiprocessing.Process(target=spin, args=(stop,), daemon=True) for _ in range(args.cpu_hog)]
    for process in hogs + threads:
        process.start()
    time.sleep(args.fault_at)
    fault_time = time.monotonic()
    fault = subprocess.run(args.fault, capture_output=True, text=True, check=False)
    for process in threads + hogs:
        process.join()

    last_failure_end = max((ended for _, ended, _ in tally.failures), default=None)
    # Failed before the fault was even injected: the fault cannot be the cause.
    failures_before_fault = sum(1 for _, ended, _ in tally.failures if ended < fault_time)
    report = {
        "fault": " ".join(args.fault),
        "fault_rc": fault.returncode,
        "fault_output": (fault.stdout + fault.stderr)[-500:],
        "connections": args.connections,
        "cpu_hogs": args.cpu_hog,
        "requests": tally.requests,
        "errors": sum(tally.errors.values()),
        "errors_by_kind": dict(tally.errors),
        "errors_before_fault": failures_before_fault,
        "recovery_s": round(last_failure_end - fault_time, 2) if last_failure_end else 0.0,
        "served_after_recovery_s": round(stop - (last_failure_end or fault_time), 2),
        "slowest_s": round(tally.slowest, 2),
        # The first failures: seconds from the fault to the request's start, its duration, what failed.
        "failures": [
            [round(started - fault_time, 3), round(ended - started, 3), error]
            for started, ended, error in sorted(tally.failures)[:20]
        ],
    }
    with open(args.report, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
