"""systemd settings from the inventory as unit file lines (module_utils/checks.py).

{{ nginx_sandbox_settings | combine(nginx_sandbox_overrides) | flaskstack.stack.systemd_lines }}
"""

from __future__ import annotations

from typing import Any

from ansible_collections.flaskstack.stack.plugins.module_utils.checks import systemd_lines


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"systemd_lines": systemd_lines}
