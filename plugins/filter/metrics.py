"""The metrics role's input checks (module_utils/metrics_checks.py) as a filter.

{{ settings | flaskstack.stack.metrics_problems }}   # the metrics_* variables' problems
"""

from __future__ import annotations

from typing import Any

from ansible_collections.flaskstack.stack.plugins.module_utils.metrics_checks import metrics_problems


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"metrics_problems": metrics_problems}
