"""The flaskapp role's input checks (module_utils/flaskapp_checks.py) as a filter.

{{ settings | flaskstack.stack.flaskapp_problems }}   # flaskapp_* with nginx_sites, uwsgi_vassals, ...
{{ app | flaskstack.stack.flaskapp_shared }}          # an app's shared links, directories and files
{{ app | flaskstack.stack.flaskapp_fingerprint(release, inputs) }}  # what a deploy of it is asked for
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from ansible_collections.flaskstack.stack.plugins.module_utils.flaskapp_checks import (
    flaskapp_problems,
    shared_layout,
)

# The collection's directories whose files decide what a deploy writes: a new version of
# the roles or plugins is a new fingerprint for every app.
CODE_DIRS = ("roles", "plugins")
COLLECTION_ROOT = Path(__file__).resolve().parents[2]


@cache
def code_digest(root: Path = COLLECTION_ROOT) -> str:
    """SHA-256 over the names and bytes of every file under CODE_DIRS of the collection."""
    digest = hashlib.sha256()
    for top in CODE_DIRS:
        files = (p for p in (root / top).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for path in sorted(files):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def flaskapp_fingerprint(app: dict, release: str, inputs: dict) -> str:
    """The SHA-256 of what a deploy of APP is asked for: its definition, its RELEASE id, the
    role variables in INPUTS, and the collection's code; '' when RELEASE is unknown (a git
    source, whose commit only a fetch on the host tells)."""
    if not release:
        return ""
    wanted = {"app": app, "release": release, "inputs": inputs, "code": code_digest()}
    return hashlib.sha256(json.dumps(wanted, sort_keys=True, default=str).encode()).hexdigest()


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "flaskapp_problems": flaskapp_problems,
            "flaskapp_shared": shared_layout,
            "flaskapp_fingerprint": flaskapp_fingerprint,
        }
