"""The table of playbooks/status.yml: what each host's flaskstack-status read, for a person.

    {{ reports | flaskstack.stack.status_table }}

REPORTS: a list of {"host", "groups": [names], "report": what playbooks/files/flaskstack-status
printed on it, or "error": why it could not be read}. Times are UTC.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from typing import Any

MIB = 1024 * 1024


def when(timestamp: float | None) -> str:
    if timestamp is None:
        return "?"
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%d %H:%M")


def release(entry: dict[str, Any] | None) -> str:
    return f"{entry['id']} ({when(entry.get('since'))})" if entry else "-"


def table(headers: list[str], rows: Iterable[list[Any]], indent: str = "  ") -> list[str]:
    """HEADERS and ROWS as lines of columns aligned to their widest cell."""
    cells = [headers] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    return [
        indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]


def app_rows(apps: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for app in apps:
        health = app.get("health") or {}
        health_text = (
            str(health.get("status") or f"none ({health.get('msg', 'not asked')})") if health else "-"
        )
        if not app.get("running"):
            rows.append(
                [
                    app["name"],
                    release(app.get("live")),
                    release(app.get("previous")),
                    "DOWN",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    health_text,
                ]
            )
            continue
        rows.append(
            [
                app["name"],
                release(app.get("live")),
                release(app.get("previous")),
                f"{app['workers']} ({app['busy']} busy, {app['idle']} idle)",
                app["requests"],
                app["exceptions"],
                app["respawns"],
                app["harakiri"],
                f"{app['rss'] / MIB:.0f}",
                f"{app['listen_queue']}/{app['listen_queue_max']}",
                "-" if app["listen_queue_overflows"] is None else app["listen_queue_overflows"],
                health_text,
            ]
        )
    return rows


def host_lines(entry: dict[str, Any], now: float) -> list[str]:
    lines = [f"{entry['host']} [{', '.join(entry.get('groups', []))}]"]
    if entry.get("error"):
        return [*lines, f"  UNREADABLE: {entry['error']}"]
    report = entry.get("report", {})
    if report.get("apps"):
        headers = ["app", "live (since)", "previous (since)", "workers", "requests", "exceptions", "respawns"]
        headers += ["harakiri", "RSS MiB", "queue/max", "overflows", "health"]
        lines += table(headers, app_rows(report["apps"]))
        lines += [f"  {app['name']}: {app['error']}" for app in report["apps"] if app.get("error")]
    nginx = report.get("nginx")
    if nginx is not None:
        if "error" in nginx:
            lines.append(f"  nginx: stub_status unreadable: {nginx['error']}")
        else:
            lines.append(
                f"  nginx: {nginx['active']} active connections ({nginx['reading']} reading,"
                f" {nginx['writing']} writing, {nginx['waiting']} waiting),"
                f" {nginx['requests']} requests since start"
            )
    servers = report.get("upstreams")
    if servers:
        rows = [
            [
                server["upstream"],
                server["host"],
                server["address"],
                server["weight"],
                " ".join(flag for flag in ("backup", "down") if server[flag]) or "-",
                "yes" if server["opens"] else "NO",
            ]
            for server in servers
        ]
        lines += table(["upstream", "host", "server", "weight", "flags", "connects"], rows)
    for certificate in report.get("certificates", []):
        if "error" in certificate:
            lines.append(f"  certificate {certificate['path']}: UNREADABLE: {certificate['error']}")
            continue
        days = (certificate["expires"] - now) / 86400
        left = "EXPIRED" if days < 0 else f"in {days:.0f} days"
        lines.append(
            f"  certificate {certificate['path']} ({certificate['subject']}):"
            f" expires {when(certificate['expires'])} ({left})"
        )
    return lines


def status_table(reports: list[dict[str, Any]], now: float | None = None) -> str:
    """Every host's lines, one block per host."""
    moment = time.time() if now is None else now
    return "\n".join(line for entry in reports for line in host_lines(entry, moment)) + "\n"


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"status_table": status_table}
