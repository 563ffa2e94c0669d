"""A test app whose worker dies before answering, once per key (molecule/flaskapp).

`/die?key=K`: the first request with key K ends the worker's process before a byte of
answer, like a worker that a reload or `max-requests` ends just after it accepted a
connection; later requests with key K answer 200. `/sleep?seconds=N` answers after N
seconds (at most 30): slower than the app's nginx_read_timeout, nginx answers 504. Any other
path answers 200 (health check). Markers are files in DIEONCE_DIR, one per key.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/sleep":
        seconds = parse_qs(environ.get("QUERY_STRING", "")).get("seconds", ["0"])[0]
        time.sleep(min(int(seconds), 30) if seconds.isdigit() else 0)
        body = b"slept\n"
    elif environ.get("PATH_INFO") == "/die":
        key = parse_qs(environ.get("QUERY_STRING", "")).get("key", [""])[0]
        if not re.fullmatch(r"[A-Za-z0-9-]{1,40}", key):
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"key: 1 to 40 letters, digits or dashes\n"]
        marker = Path(os.environ["DIEONCE_DIR"]) / key
        if not marker.exists():
            marker.write_text(f"{environ['REQUEST_METHOD']} {os.getpid()}\n")
            os._exit(1)
        body = f"{environ['REQUEST_METHOD']} survived in {os.getpid()}\n".encode()
    else:
        body = b"ok\n"
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
