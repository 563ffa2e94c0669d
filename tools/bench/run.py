"""`make bench`: flaskstack's defaults against the alternatives, measured on one container.

1. start a fresh lab container, flaskstack-bench (nothing published);
2. converge site.yml through inventories/bench/ with profile_tasks: a first converge and a
   no-change one over the docker connection, a no-change one over SSH (a key pair made for
   the run, pipelining, ControlPersist), all timed; then one more no-change converge over each
   transport with -vvv, whose commands and module calls on the host are counted;
3. set up the alternatives beside it (tools/bench/alternatives.yml);
4. for each setup in turn (the others stopped): wrk inside the container against each
   endpoint at each concurrency;
5. save the numbers as JSON and write the page and the plot (tools/bench/report.py).

    python -m tools.bench.run            # the full run: docs/performance.{json,md,png}
    python -m tools.bench.run --smoke    # 1 s runs at 1 and 8 connections, into build/bench-smoke/
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tools.bench import lab, load, report

# Gunicorn from PyPI, into a virtualenv of its own on the host.
GUNICORN_VERSION = "27.0.1"
GRANIAN_VERSION = "2.8.9"
FULL = {"seconds": 5.0, "warmup": 1.0, "connections": [1, 8, 32, 128, 512]}
SMOKE = {"seconds": 1.0, "warmup": 0.0, "connections": [1, 8]}
# Seconds each wrk run costs beyond its duration (docker exec, wrk's start), for the estimate.
RUN_OVERHEAD_SECONDS = 0.6


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--smoke", action="store_true", help="tiny durations; results into build/bench-smoke/"
    )
    parser.add_argument("--seconds", type=float, help="measured seconds per point")
    parser.add_argument("--warmup", type=float, help="warm-up seconds before each point (0: none)")
    parser.add_argument("--connections", type=int, nargs="+", help="concurrencies to measure")
    parser.add_argument("--out", type=Path, help="directory of the JSON, the page and the plot")
    parser.add_argument("--keep", action="store_true", help="leave the container running at the end")
    arguments = parser.parse_args(argv)
    defaults = SMOKE if arguments.smoke else FULL
    for name in ("seconds", "warmup", "connections"):
        if getattr(arguments, name) is None:
            setattr(arguments, name, defaults[name])
    if arguments.out is None:
        arguments.out = lab.ROOT / ("build/bench-smoke" if arguments.smoke else "docs")
    arguments.logs = lab.ROOT / ("build/bench-smoke" if arguments.smoke else "build/bench")
    return arguments


def commit() -> str:
    result = subprocess.run(
        ["git", "-C", str(lab.ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "unknown"


def plan(arguments: argparse.Namespace) -> list[tuple[load.Setup, str, int]]:
    return [
        (setup, endpoint, connections)
        for setup in load.SETUPS
        for endpoint in setup.endpoints
        for connections in arguments.connections
    ]


FIRST = "first converge"
NO_CHANGE = "no-change converge"
COUNTED = "no-change converge, -vvv, counted"


def provision(arguments: argparse.Namespace) -> tuple[list[lab.PlaybookRun], lab.PlaybookRun]:
    """The converges of site.yml on the fresh host, then the alternatives beside it."""
    site = lab.ROOT / "site.yml"
    docker = lab.DOCKER
    converges = [
        lab.ansible_playbook(site, FIRST, arguments.logs / "converge-1.log", transport=docker),
        lab.ansible_playbook(site, NO_CHANGE, arguments.logs / "converge-2-docker.log", transport=docker),
    ]
    ssh = lab.ssh_transport(arguments.logs / "ssh")
    converges.append(
        lab.ansible_playbook(site, NO_CHANGE, arguments.logs / "converge-3-ssh.log", transport=ssh)
    )
    # Not timed: -vvv slows the controller. They count what a no-change converge asks the host.
    for n, transport in ((4, docker), (5, ssh)):
        log = arguments.logs / f"converge-{n}-{transport.name}-counted.log"
        converges.append(lab.ansible_playbook(site, COUNTED, log, count_calls=True, transport=transport))
    alternatives = lab.ansible_playbook(
        lab.ROOT / "tools" / "bench" / "alternatives.yml",
        "alternatives",
        arguments.logs / "alternatives.log",
        {
            "bench_ports": load.playbook_ports(),
            "bench_gunicorn_version": GUNICORN_VERSION,
            "bench_granian_version": GRANIAN_VERSION,
        },
    )
    return converges, alternatives


def no_change_summary(converges: list[lab.PlaybookRun]) -> dict[str, dict[str, Any]]:
    """Per transport: the timed no-change converge's seconds and changes, the counted one's calls."""
    summary: dict[str, dict[str, Any]] = {}
    for run in converges:
        if run.label == NO_CHANGE:
            summary.setdefault(run.transport, {}).update(
                wall_seconds=run.wall_seconds, changed=run.recap.get("changed"), log=run.log
            )
        elif run.label == COUNTED:
            summary.setdefault(run.transport, {}).update(
                host_calls=run.host_calls,
                module_calls=run.module_calls,
                host_tasks=run.host_tasks,
                counted_log=run.log,
            )
    return summary


def measure_all(arguments: argparse.Namespace, memory: dict[str, int]) -> list[dict[str, Any]]:
    """Every point of every setup; MEMORY gets each setup's resident memory (bytes)."""
    points = []
    for setup in load.SETUPS:
        switch_started = time.monotonic()
        load.start_setup(setup)
        lab.say(
            f"--- {setup.title}: {setup.chain} (port {setup.port}), "
            f"answering {time.monotonic() - switch_started:.1f} s after the switch"
        )
        for endpoint in setup.endpoints:
            for connections in arguments.connections:
                points.append(load.measure(setup, endpoint, connections, arguments.seconds, arguments.warmup))
        # Right after its heaviest load, before its units stop: what the server tree holds.
        memory[setup.key] = load.memory(setup)
        lab.say(f"    resident memory of its processes: {memory[setup.key] / 2**20:.0f} MiB")
    load.stop_all()
    return points


def broken_points(points: list[dict[str, Any]], expected: int) -> list[str]:
    """What shows the harness itself failed (not a slow setup): missing runs, runs without a request."""
    problems = [f"{len(points)} runs measured, {expected} planned"] if len(points) != expected else []
    problems += [
        f"{p['setup']} {p['endpoint']} at {p['connections']}: no request completed"
        for p in points
        if not p["requests"]
    ]
    return problems


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    arguments.out.mkdir(parents=True, exist_ok=True)
    arguments.logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    planned = plan(arguments)
    estimate = len(planned) * (arguments.seconds + arguments.warmup + RUN_OVERHEAD_SECONDS)
    lab.say(f"{len(planned)} runs planned, about {estimate / 60:.1f} minutes of load after provisioning")
    try:
        image = lab.start_container()
        converges, alternatives = provision(arguments)
        host = lab.host_facts()
        host["load_before"] = lab.load_average()
        memory: dict[str, int] = {}
        points = measure_all(arguments, memory)
        host["load_after"] = lab.load_average()
    except (lab.LabError, subprocess.TimeoutExpired) as error:
        lab.say(f"failed: {error}")
        lab.say(f"the container {lab.CONTAINER} is left for a look; docker rm -f {lab.CONTAINER} removes it")
        return 1
    data = {
        "mode": "smoke" if arguments.smoke else "full",
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "commit": commit(),
        "image": image,
        "settings": {
            "seconds": arguments.seconds,
            "warmup_seconds": arguments.warmup,
            "connections": arguments.connections,
            "wrk_timeout_seconds": load.WRK_TIMEOUT_SECONDS,
            "wrk_max_threads": load.WRK_MAX_THREADS,
        },
        "host": host,
        "provisioning": [run.as_dict() for run in converges],
        "no_change_converge": no_change_summary(converges),
        "pipelining": lab.pipelining(),
        "ssh_connection": lab.ssh_settings(),
        "alternatives_setup": alternatives.as_dict(),
        "setups": [asdict(setup) for setup in load.SETUPS],
        "endpoints": [asdict(endpoint) for endpoint in load.ENDPOINTS],
        "points": points,
        "memory_bytes": memory,
        "total_seconds": round(time.monotonic() - started, 1),
    }
    results = arguments.out / "performance.json"
    results.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md, png = report.write(data, arguments.out)
    lab.say(f"wrote {results}, {md} and {png} in {data['total_seconds'] / 60:.1f} minutes")
    if not arguments.keep:
        lab.remove_container()
    problems = broken_points(points, len(planned))
    for problem in problems:
        lab.say(f"harness problem: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
