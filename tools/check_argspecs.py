"""Check that each role's defaults/main.yml matches the main entry point of meta/argument_specs.yml.

Every default variable must be a documented option with the same default, and every
option must either have a default in defaults/main.yml or be `required: true` (a value
with no sane default). Each option needs a description. Exit status 1 on any mismatch.

Usage: python tools/check_argspecs.py roles/*/
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def undocumented_options(options: dict[str, Any], prefix: str = "") -> list[str]:
    """Names of options (nested ones included) that lack a description."""
    missing = []
    for name, spec in options.items():
        if not spec.get("description"):
            missing.append(prefix + name)
        missing.extend(undocumented_options(spec.get("options") or {}, f"{prefix}{name}."))
    return missing


def check_role(role: Path) -> list[str]:
    """Mismatches between one role's defaults and its argument spec, as messages."""
    defaults = load_yaml(role / "defaults" / "main.yml") or {}
    specs = load_yaml(role / "meta" / "argument_specs.yml")["argument_specs"]
    options: dict[str, Any] = specs["main"].get("options") or {}
    problems = []
    for name in sorted(defaults.keys() - options.keys()):
        problems.append(f"{name}: in defaults/main.yml but not in argument_specs (main)")
    for name, spec in sorted(options.items()):
        if name in defaults:
            if spec.get("required"):
                problems.append(f"{name}: required in argument_specs yet has a default")
            elif spec.get("default") != defaults[name]:
                problems.append(
                    f"{name}: default {defaults[name]!r} in defaults/main.yml"
                    f" but {spec.get('default')!r} in argument_specs"
                )
        elif not spec.get("required"):
            problems.append(f"{name}: neither in defaults/main.yml nor required")
    for entry_point, spec in specs.items():
        for name in undocumented_options(spec.get("options") or {}):
            problems.append(f"{name}: no description in entry point {entry_point}")
    return problems


def main(roles: list[str]) -> int:
    failed = False
    for role in map(Path, roles):
        problems = check_role(role)
        for problem in problems:
            print(f"{role.name}: {problem}")
        failed = failed or bool(problems)
        if not problems:
            print(f"{role.name}: defaults match argument_specs")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
