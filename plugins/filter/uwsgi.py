"""The uwsgi role's input checks (module_utils/uwsgi_checks.py) as filters.

{{ settings | flaskstack.stack.uwsgi_problems }}          # the main entry point's variables
{{ uwsgi_vassal | flaskstack.stack.uwsgi_vassal_problems('uwsgi_vassal', uwsgi_somaxconn) }}
"""

from __future__ import annotations

from typing import Any

from ansible_collections.flaskstack.stack.plugins.module_utils.uwsgi_checks import (
    uwsgi_problems,
    vassal_problems,
)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"uwsgi_problems": uwsgi_problems, "uwsgi_vassal_problems": vassal_problems}
