"""The flaskapp role's input checks (module_utils/flaskapp_checks.py) as a filter.

{{ settings | flaskstack.stack.flaskapp_problems }}   # flaskapp_* with nginx_sites, uwsgi_vassals, ...
{{ app | flaskstack.stack.flaskapp_shared }}          # an app's shared links, directories and files
"""

from __future__ import annotations

from typing import Any

from ansible_collections.flaskstack.stack.plugins.module_utils.flaskapp_checks import (
    flaskapp_problems,
    shared_layout,
)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"flaskapp_problems": flaskapp_problems, "flaskapp_shared": shared_layout}
