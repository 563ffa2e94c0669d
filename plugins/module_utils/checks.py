"""Helpers every role's checks share: one problem sentence, counts, duplicates.

A problem is one sentence naming the variable (with its index path), the bad value and
what is allowed: `VARIABLE = VALUE: what is allowed`. The check functions of each role
(nginx_checks, uwsgi_checks, flaskapp_checks) return lists of them; an empty list means
the input is fine. The roles call them through the collection's filters (plugins/filter).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def problem(where: str, value: Any, why: str) -> str:
    return f"{where} = {value!r}: {why}"


def check_positive(where: str, value: Any, minimum: int = 1) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        return [problem(where, value, f"must be a whole number of at least {minimum}")]
    return []


def check_duplicates(values: Iterable[tuple[str, Any]], what: str, rule: str) -> list[str]:
    """VALUES are (path, value) pairs; report every value given more than once, with RULE."""
    seen: dict[Any, str] = {}
    found = []
    for path, value in values:
        if value in seen:
            found.append(problem(path, value, f"{what} already used by {seen[value]}; {rule}"))
        else:
            seen.setdefault(value, path)
    return found
