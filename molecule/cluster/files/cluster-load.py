#!/usr/bin/python3
"""Load through the balancer at a fixed concurrency until SIGINT, counting every request.

    cluster-load NAME [GET_THREADS POST_THREADS]

GET threads keep their connection alive and request / (the JSON names the host and the
version that answered), then the static file that version's pages name
(/static/app-vMAJOR.css). A GET sent on a kept-alive connection that the balancer closed
while idle (a reload) before any byte of answer is sent again once on a new connection, as
HTTP clients do for idempotent requests; those are counted apart (stale_retries).
POST threads send POST /orders {"id": ...} on a new connection each (a POST is never
resent), and remember each id the app said it stored (201).
Each thread waits 20 ms between an answer and its next request.

On SIGINT it writes /root/load/NAME.json: per kind, requests, answers by status, socket
errors, p99 (ms); the answers of / per host and version; per host the time of its first
and last answer of each version; and the ids accepted (and their number), to compare with
what the app stored.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict

HOST, PORT, NAME_HEADER = "127.0.0.1", 80, "sample.test"
PAUSE = 0.02
TIMEOUT = 15
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: Counter = Counter()
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.errors: dict[str, Counter] = defaultdict(Counter)
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.answers: Counter = Counter()
        self.seen: dict[str, dict[str, list[float]]] = defaultdict(dict)
        self.accepted: list[str] = []
        self.stale_retries = 0
        self.start = time.monotonic()

    def record(self, kind: str, status: int | None, error: str | None, seconds: float) -> None:
        with self.lock:
            self.requests[kind] += 1
            if status is not None:
                self.statuses[kind][str(status)] += 1
                self.latencies[kind].append(seconds)
            else:
                self.errors[kind][error or "unknown"] += 1

    def answer(self, host: str, version: str) -> None:
        now = round(time.monotonic() - self.start, 3)
        with self.lock:
            self.answers[f"{host} {version}"] += 1
            span = self.seen[host].setdefault(version, [now, now])
            span[1] = now

    def report(self) -> dict:
        def p99(values: list[float]) -> float:
            if not values:
                return 0.0
            ordered = sorted(values)
            return round(1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1)

        kinds = sorted(self.requests)
        return {
            "seconds": round(time.monotonic() - self.start, 1),
            "requests": sum(self.requests.values()),
            "non_2xx": sum(n for k in kinds for s, n in self.statuses[k].items() if not s.startswith("2")),
            "socket_errors": sum(sum(self.errors[k].values()) for k in kinds),
            "stale_retries": self.stale_retries,
            "kinds": {
                k: {
                    "requests": self.requests[k],
                    "statuses": dict(self.statuses[k]),
                    "errors": dict(self.errors[k]),
                    "p99_ms": p99(self.latencies[k]),
                }
                for k in kinds
            },
            "p99_ms": p99([v for k in kinds for v in self.latencies[k]]),
            "answers": dict(self.answers),
            "posts_accepted": len(self.accepted),
            "spans": self.seen,
            "accepted": self.accepted,
        }


def get_loop(tally: Tally, stop: threading.Event) -> None:
    conn: http.client.HTTPConnection | None = None
    static = None
    while not stop.is_set():
        path, kind = (static, "static") if static else ("/", "get")
        static = None
        started = time.monotonic()
        status, error, body = None, None, b""
        for attempt in (1, 2):
            reused = conn is not None
            if conn is None:
                conn = http.client.HTTPConnection(HOST, PORT, timeout=TIMEOUT)
            try:
                conn.request("GET", path, headers={"Host": NAME_HEADER})
                response = conn.getresponse()
                body = response.read()
                status = response.status
                if response.will_close:
                    conn.close()
                    conn = None
                break
            except STALE as exc:
                conn.close()
                conn = None
                if reused and attempt == 1:
                    with tally.lock:
                        tally.stale_retries += 1
                    continue
                error = type(exc).__name__
            except OSError as exc:
                conn.close()
                conn = None
                error = type(exc).__name__
            break
        tally.record(kind, status, error, time.monotonic() - started)
        if kind == "get" and status == 200:
            answer = json.loads(body)
            tally.answer(answer.get("host", "?"), answer.get("version", "?"))
            static = f"/static/app-v{answer.get('version', '0').split('.')[0]}.css"
        time.sleep(PAUSE)


def post_loop(tally: Tally, stop: threading.Event) -> None:
    while not stop.is_set():
        order = uuid.uuid4().hex
        started = time.monotonic()
        status, error = None, None
        conn = http.client.HTTPConnection(HOST, PORT, timeout=TIMEOUT)
        try:
            conn.request(
                "POST",
                "/orders",
                body=json.dumps({"id": order}),
                headers={"Host": NAME_HEADER, "Content-Type": "application/json"},
            )
            response = conn.getresponse()
            response.read()
            status = response.status
        except OSError as exc:
            error = type(exc).__name__
        finally:
            conn.close()
        tally.record("post", status, error, time.monotonic() - started)
        if status == 201:
            with tally.lock:
                tally.accepted.append(order)
        time.sleep(PAUSE)


def main() -> int:
    name = sys.argv[1]
    getters = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    posters = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    os.makedirs("/root/load", exist_ok=True)
    with open(f"/root/load/{name}.pid", "w", encoding="utf-8") as handle:
        handle.write(str(os.getpid()))
    tally, stop = Tally(), threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threads = [threading.Thread(target=get_loop, args=(tally, stop)) for _ in range(getters)]
    threads += [threading.Thread(target=post_loop, args=(tally, stop)) for _ in range(posters)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 900
    while not stop.is_set() and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join()
    with open(f"/root/load/{name}.json", "w", encoding="utf-8") as handle:
        json.dump(tally.report(), handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
