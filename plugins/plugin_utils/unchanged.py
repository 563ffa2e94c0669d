"""The one question `flaskstack.stack.template` and `flaskstack.stack.copy` ask first: is the
file on the host already what the task would write?

A template or copy task that changes nothing still costs the builtin actions two module
runs on the host (stat, then file) and a temporary directory made and removed: four
commands, two of them a Python start. Most runs of the roles change nothing, so these
actions first compare the file with the content rendered on the controller, in ONE plain
command on the host (`stat` and `sha1sum`, no Python), and hand the task to the builtin
action only when something differs or cannot be compared. Comparing never changes the
host, and a wrong "differs" only costs the builtin run it would have cost anyway.
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Mapping
from typing import Any

# Arguments this fast path understands; any other one (backup, attributes, follow, ...)
# hands the task to the builtin action as it is.
KNOWN_ARGS = frozenset({"src", "dest", "content", "owner", "group", "mode", "validate", "force"})


def wanted_mode(mode: Any) -> int | None:
    """MODE as a number (0o644 for "0644", 420 or "644"); None if the task sets no mode.

    Raises ValueError for what only the builtin action understands (u=rw,g=r, preserve).
    """
    if mode is None:
        return None
    if isinstance(mode, bool):
        raise ValueError(mode)
    if isinstance(mode, int):
        return mode
    text = str(mode)
    if text.isdigit():
        return int(text, 8)
    raise ValueError(mode)


def probe_command(dest: str) -> str:
    """The one command run on the host: the file's type, owner:group and mode, then its SHA-1."""
    quoted = shlex.quote(dest)
    return f"stat -L -c '%F|%U|%G|%a' -- {quoted} && sha1sum -- {quoted}"


def differences(args: Mapping[str, Any], content: bytes, rc: int, stdout: str) -> list[str]:
    """What keeps the host's file (PROBE output) from being what ARGS and CONTENT describe.

    An empty list means the file is already right: same bytes, and the owner, group and
    mode the task sets (those it does not set are not compared, as the builtin would not
    change them either).
    """
    lines = stdout.strip().splitlines()
    if rc != 0 or len(lines) != 2:
        return ["no regular file to compare"]
    kind, owner, group, mode = [*lines[0].split("|"), "", "", ""][:4]
    found = []
    if kind != "regular file" and kind != "regular empty file":
        found.append(f"a {kind}, not a regular file")
    if lines[1].split()[0] != hashlib.sha1(content).hexdigest():
        found.append("content")
    if args.get("owner") is not None and str(args["owner"]) != owner:
        found.append("owner")
    if args.get("group") is not None and str(args["group"]) != group:
        found.append("group")
    wanted = wanted_mode(args.get("mode"))
    if wanted is not None and (not mode.isdigit() or int(mode, 8) != wanted):
        found.append("mode")
    return found


def comparable(args: Mapping[str, Any]) -> bool:
    """Whether the fast path can judge a task with ARGS (else the builtin action runs)."""
    if set(args) - KNOWN_ARGS or not isinstance(args.get("dest"), str):
        return False
    if args.get("force") is not None and str(args["force"]).lower() not in ("true", "yes", "1"):
        return False
    try:
        wanted_mode(args.get("mode"))
    except ValueError:
        return False
    return True
