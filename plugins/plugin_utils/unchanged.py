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
import re
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


def attribute_differences(args: Mapping[str, Any], owner: str, group: str, mode: str) -> list[str]:
    """Which of the owner, group and mode that ARGS set differ from those `stat` printed
    (those ARGS do not set are not compared, as the builtin would not change them either)."""
    found = []
    if args.get("owner") is not None and str(args["owner"]) != owner:
        found.append("owner")
    if args.get("group") is not None and str(args["group"]) != group:
        found.append("group")
    wanted = wanted_mode(args.get("mode"))
    if wanted is not None and (not mode.isdigit() or int(mode, 8) != wanted):
        found.append("mode")
    return found


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
    return found + attribute_differences(args, owner, group, mode)


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


# flaskstack.stack.file: the states whose "already so" one `stat` can tell.
FILE_ARGS = frozenset({"path", "state", "owner", "group", "mode", "modification_time", "access_time"})
FILE_STATES = frozenset({"directory", "absent", "touch"})


def file_comparable(args: Mapping[str, Any]) -> bool:
    """Whether the fast path can judge a file task with ARGS (else ansible.builtin.file runs).

    A touch counts only when it keeps both times (`preserve`): it then only makes sure the
    file exists, which `stat` can tell; a touch that sets a time always changes the file.
    """
    if set(args) - FILE_ARGS or not isinstance(args.get("path"), str):
        return False
    state = args.get("state")
    if state not in FILE_STATES:
        return False
    if state == "touch" and not all(args.get(t) == "preserve" for t in ("modification_time", "access_time")):
        return False
    if state != "touch" and ({"modification_time", "access_time"} & set(args)):
        return False
    try:
        wanted_mode(args.get("mode"))
    except ValueError:
        return False
    return True


def file_probe_command(path: str) -> str:
    """The one command run on the host: `absent`, or the type, owner:group and mode of PATH."""
    quoted = shlex.quote(path)
    stat = f"stat -L -c '%F|%U|%G|%a' -- {quoted}"
    return f"if [ -e {quoted} ] || [ -L {quoted} ]; then {stat}; else echo absent; fi"


def file_differences(args: Mapping[str, Any], rc: int, stdout: str) -> list[str]:
    """What keeps PATH (FILE_PROBE output) from being what the file task ARGS describe."""
    text = stdout.strip()
    if rc != 0 or not text:
        return ["no answer to compare"]
    state = args["state"]
    if text == "absent":
        return [] if state == "absent" else ["absent"]
    if state == "absent":
        return ["present"]
    kind, owner, group, mode = [*text.split("|"), "", "", ""][:4]
    wanted_kind = ("directory",) if state == "directory" else ("regular file", "regular empty file")
    found = [] if kind in wanted_kind else [f"a {kind}, not a {wanted_kind[0]}"]
    return found + attribute_differences(args, owner, group, mode)


# flaskstack.stack.apt: packages named plainly (no version, wildcard, .deb or URL).
APT_ARGS = frozenset({"name", "state", "update_cache", "cache_valid_time"})
PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$")


def apt_names(args: Mapping[str, Any]) -> list[str] | None:
    """The package names the fast path can check for ARGS; None when only ansible.builtin.apt can."""
    if set(args) - APT_ARGS or args.get("state", "present") != "present":
        return None
    names = args.get("name")
    names = [names] if isinstance(names, str) else names
    if not isinstance(names, list) or not names:
        return None
    if not all(isinstance(n, str) and PACKAGE_NAME.match(n) for n in names):
        return None
    return names


def apt_probe_command(names: list[str]) -> str:
    """The one command run on the host: each package's name and dpkg's status of it."""
    quoted = " ".join(shlex.quote(n) for n in names)
    return f"dpkg-query -W -f='${{binary:Package}} ${{db:Status-Abbrev}}\\n' -- {quoted}"


def apt_missing(names: list[str], rc: int, stdout: str) -> list[str]:
    """The NAMES dpkg does not show installed (DPKG_PROBE output); empty when all are."""
    if rc != 0:
        return ["unknown to dpkg"]
    installed = set()
    for line in stdout.splitlines():
        package, _, status = line.partition(" ")
        if status.startswith("ii"):
            installed.update({package, package.split(":")[0]})
    return [n for n in names if n not in installed]
