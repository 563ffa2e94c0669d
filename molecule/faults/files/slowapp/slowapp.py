"""A test app that takes as long as it is told (molecule/faults).

`/sleep/N` answers after N seconds (at most 120); anything else answers at once. The
faults scenario gives it a 4-second harakiri: `/sleep/10` must be killed and logged while
the app keeps serving other requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "/")
    if path.startswith("/sleep/") and path[len("/sleep/") :].isdigit():
        seconds = min(int(path[len("/sleep/") :]), 120)
        time.sleep(seconds)
        body = f"slept {seconds}\n".encode()
    else:
        body = b"ok\n"
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
