"""Turn hey's text summary into the JSON totals that count.lua writes for wrk.

Usage: python3 hey-report.py HEY_OUTPUT REPORT_JSON
Status codes other than 2xx count as non2xx; each error line of hey's "Error distribution"
is filed as a connect, timeout or read error by its message.
"""

import json
import re
import sys


def totals(text: str) -> dict:
    report = {"requests": 0, "non2xx": 0, "connect": 0, "read": 0, "write": 0, "timeout": 0}
    for code, count in re.findall(r"\[(\d{3})\]\s+(\d+) responses", text):
        report["requests"] += int(count)
        if not code.startswith("2"):
            report["non2xx"] += int(count)
    errors = text.split("Error distribution:", 1)[1] if "Error distribution:" in text else ""
    for count, message in re.findall(r"\[(\d+)\]\s+(.*)", errors):
        kind = "connect" if "dial" in message else "timeout" if "Timeout" in message else "read"
        report[kind] += int(count)
        report["requests"] += int(count)
    total = re.search(r"Total:\s+([\d.]+) secs", text)
    report["seconds"] = round(float(total.group(1)), 1) if total else None
    p99 = re.search(r"99% in ([\d.]+) secs", text)
    report["p99_ms"] = round(float(p99.group(1)) * 1000, 1) if p99 else None
    slowest = re.search(r"Slowest:\s+([\d.]+) secs", text)
    report["max_ms"] = round(float(slowest.group(1)) * 1000, 1) if slowest else None
    report["versions"] = {}
    return report


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as source:
        report = totals(source.read())
    with open(sys.argv[2], "w", encoding="utf-8") as target:
        json.dump(report, target)
    print(json.dumps(report))
