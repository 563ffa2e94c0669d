"""The benchmark host: one systemd container from the lab image, provisioned by site.yml.

The container is started the way tools/demo.sh starts the demo's, publishes nothing (the
load generator runs inside it) and is reached with `docker exec`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CONTAINER = "flaskstack-bench"
INVENTORY = ROOT / "inventories" / "bench" / "hosts.yml"
# Tasks of each converge listed in the profile (the slowest first).
PROFILE_TASKS = 15

# systemd as PID 1 without --privileged: the flags of tools/demo.sh, without -p.
DOCKER_RUN_FLAGS = (
    "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined", "--cgroupns=host",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock",
)  # fmt: skip


class LabError(RuntimeError):
    """The lab host could not be set up or did not answer as expected."""


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def run(
    argv: list[str], timeout: float | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a controller command, capturing its output; LabError with its stderr if it fails."""
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise LabError(f"{shlex.join(argv)} exited {result.returncode}:\n{result.stderr.strip()}")
    return result


def host_sh(script: str, timeout: float | None = 120, check: bool = True) -> str:
    """Run a bash script as root inside the benchmark container; its stdout."""
    return run(["docker", "exec", CONTAINER, "bash", "-c", script], timeout=timeout, check=check).stdout


def lab_image() -> str:
    """The Debian 12 lab image (built by tools/lab-image.sh if its recipe changed)."""
    return run([str(ROOT / "tools" / "lab-image.sh"), "bookworm"]).stdout.strip()


def container_exists() -> bool:
    return run(["docker", "inspect", CONTAINER], check=False).returncode == 0


def remove_container() -> None:
    if container_exists():
        run(["docker", "rm", "-f", CONTAINER])
        say(f"removed container {CONTAINER}")


def start_container() -> str:
    """A fresh container (any old one is removed first), once its systemd is up; its image."""
    image = lab_image()
    remove_container()
    say(f"starting container {CONTAINER} from {image} (nothing published)")
    run(["docker", "run", "-d", "--name", CONTAINER, "--hostname", CONTAINER, *DOCKER_RUN_FLAGS, image])
    for _ in range(60):
        state = host_sh("systemctl is-system-running || true", check=False).strip()
        if state in ("running", "degraded"):
            return image
        time.sleep(1)
    raise LabError(f"systemd in {CONTAINER} did not come up; see: docker logs {CONTAINER}")


@dataclass
class PlaybookRun:
    """One ansible-playbook run against the benchmark host, as profile_tasks saw it."""

    playbook: str
    label: str
    wall_seconds: float
    profile_seconds: float | None
    recap: dict[str, int]
    slowest_tasks: list[dict[str, Any]] = field(default_factory=list)
    log: str = ""
    # Commands run on the host (one per module call, plus the temporary directories of the
    # tasks that copy files), counted from -vvv output; None when not counted.
    host_calls: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


RECAP_LINE = re.compile(rf"^{re.escape(CONTAINER)}\s+:\s+(?P<counts>(?:\w+=\d+\s*)+)$")
# profile_tasks' banner line: "... (0:00:00.018)       0:01:14.624 ******"
PROFILE_CLOCK = re.compile(r"\s(\d+):(\d\d):(\d\d(?:\.\d+)?) \*+\s*$")
# profile_tasks' summary lines: "role : task name ------------ 6.86s"
PROFILE_TASK = re.compile(r"^(?P<name>.+?) -+ (?P<seconds>\d+(?:\.\d+)?)s$")


def parse_recap(output: str) -> dict[str, int]:
    for line in output.splitlines():
        match = RECAP_LINE.match(line.strip())
        if match:
            return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match["counts"])}
    return {}


def parse_profile(output: str) -> tuple[float | None, list[dict[str, Any]]]:
    """The total seconds profile_tasks reports last, and its list of slowest tasks."""
    lines = output.splitlines()
    total = None
    for line in lines:
        clock = PROFILE_CLOCK.search(line)
        if clock:
            hours, minutes, seconds = clock.groups()
            total = round(int(hours) * 3600 + int(minutes) * 60 + float(seconds), 1)
    tasks = []
    if "TASKS RECAP" in output:
        recap = lines[max(i for i, line in enumerate(lines) if "TASKS RECAP" in line) :]
        for line in recap:
            match = PROFILE_TASK.match(line.strip())
            if match:
                tasks.append({"task": match["name"], "seconds": float(match["seconds"])})
    return total, tasks


# The docker connection's -vvv line for each command it runs in the container.
HOST_CALL = re.compile(rf"^<{re.escape(CONTAINER)}> EXEC \[", re.MULTILINE)


def ansible_playbook(
    playbook: Path,
    label: str,
    log_path: Path,
    extra_vars: dict[str, Any] | None = None,
    count_calls: bool = False,
) -> PlaybookRun:
    """Run a playbook against the benchmark inventory with the profile_tasks callback.

    count_calls runs it with -vvv and counts the commands it ran on the host: a measure of
    a converge's cost that the machine's load does not change.
    """
    argv = ["ansible-playbook", "-i", str(INVENTORY), str(playbook)]
    if extra_vars:
        argv += ["--extra-vars", json.dumps(extra_vars)]
    if count_calls:
        argv.append("-vvv")
    env = {
        **ansible_env(),
        "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
        "PROFILE_TASKS_TASK_OUTPUT_LIMIT": str(PROFILE_TASKS),
        "ANSIBLE_NOCOLOR": "1",
    }
    say(f"{label}: ansible-playbook {playbook.relative_to(ROOT)} (log: {log_path.relative_to(ROOT)})")
    started = time.monotonic()
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    output = result.stdout + result.stderr
    log_path.write_text(output, encoding="utf-8")
    if result.returncode != 0:
        tail = "\n".join(output.splitlines()[-40:])
        raise LabError(f"{label}: ansible-playbook exited {result.returncode}; end of {log_path}:\n{tail}")
    profile_total, slowest = parse_profile(output)
    recap = parse_recap(output)
    host_calls = len(HOST_CALL.findall(output)) if count_calls else None
    counted = f", {host_calls} commands on the host" if count_calls else ""
    say(f"{label}: {wall:.1f} s, " + " ".join(f"{key}={value}" for key, value in recap.items()) + counted)
    return PlaybookRun(
        playbook=str(playbook.relative_to(ROOT)),
        label=label,
        wall_seconds=round(wall, 1),
        profile_seconds=profile_total,
        recap=recap,
        slowest_tasks=slowest,
        log=str(log_path.relative_to(ROOT)),
        host_calls=host_calls,
    )


def ansible_env() -> dict[str, str]:
    return {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}


def pipelining() -> dict[str, Any]:
    """ANSIBLE_PIPELINING as the converges see it: what the Docker connection reads."""
    result = subprocess.run(
        ["ansible-config", "dump", "--format", "json"],
        cwd=ROOT,
        env=ansible_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        settings = json.loads(result.stdout)
    except json.JSONDecodeError:
        return {"value": None, "origin": "unknown"}
    setting = next((item for item in settings if item.get("name") == "ANSIBLE_PIPELINING"), {})
    return {"value": setting.get("value"), "origin": setting.get("origin", "unknown")}


def host_facts() -> dict[str, Any]:
    """What the numbers depend on: cores, CPU, kernel and the software's versions."""
    script = r"""
        nproc
        grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'
        uname -r
        nginx -v 2>&1 | cut -d/ -f2
        uwsgi-core --version
        /opt/bench-gunicorn/bin/gunicorn --version | sed 's/.*version \(.*\))/\1/'
        /srv/sample/current/venv/bin/python -c 'import importlib.metadata as m; print(m.version("flask"))'
        python3 -c 'import platform; print(platform.python_version())'
        dpkg-query -W -f='${Version}\n' wrk
    """
    keys = ("cores", "cpu", "kernel", "nginx", "uwsgi", "gunicorn", "flask", "python", "wrk")
    values = host_sh(script).splitlines()
    if len(values) != len(keys):
        raise LabError(f"unexpected answer about the host: {values}")
    facts: dict[str, Any] = dict(zip(keys, values, strict=True))
    facts["cores"] = int(facts["cores"])
    return facts


def load_average() -> str:
    """The host's load average (1, 5, 15 minutes): the machine is shared, the numbers are not alone."""
    return host_sh("cut -d' ' -f1-3 /proc/loadavg").strip()
