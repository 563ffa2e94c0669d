"""Units as `systemctl show` prints them, so one command tells the role every unit's state."""

from __future__ import annotations

from typing import Any


def uwsgi_systemctl_units(output: str) -> dict[str, dict[str, str]]:
    """`systemctl show --property=Id,...` output for several units: {Id: {property: value}}.

    systemctl prints one block of Key=Value lines per unit, blocks separated by an empty
    line; a unit that does not exist has LoadState=not-found.
    """
    units = {}
    for block in output.strip().split("\n\n"):
        properties = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if "Id" in properties:
            units[properties["Id"]] = properties
    return units


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"uwsgi_systemctl_units": uwsgi_systemctl_units}
