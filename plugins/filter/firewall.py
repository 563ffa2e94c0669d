"""The firewall role's plan and input checks (module_utils/firewall_checks.py) as filters.

{{ settings | flaskstack.stack.firewall_plan }}       # ports a host's rules open, and to whom
{{ settings | flaskstack.stack.firewall_problems }}   # the firewall_* variables' problems
{{ groups['balancers'] | flaskstack.stack.firewall_addresses(hostvars) }}  # where they connect from
"""

from __future__ import annotations

from typing import Any

from ansible_collections.flaskstack.stack.plugins.module_utils.firewall_checks import (
    firewall_addresses,
    firewall_plan,
    firewall_problems,
)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "firewall_addresses": firewall_addresses,
            "firewall_plan": firewall_plan,
            "firewall_problems": firewall_problems,
        }
