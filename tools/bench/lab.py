"""The benchmark host: one systemd container from the lab image, provisioned by site.yml.

The container is started the way tools/demo.sh starts the demo's, publishes nothing (the
load generator runs inside it) and is reached with `docker exec`. site.yml converges it over
two transports: the docker connection, as the lab does, and SSH to its bridge address, as
users' hosts are reached (a key pair made for the run, pipelining and ControlPersist).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

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
    argv: list[str], timeout: float | None = None, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a controller command, capturing its output; LabError with its stderr if it fails."""
    result = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise LabError(f"{shlex.join(argv)} exited {result.returncode}:\n{result.stderr.strip()}")
    return result


def host_sh(script: str, timeout: float | None = 120, check: bool = True, stdin: str | None = None) -> str:
    """Run a bash script as root inside the benchmark container (STDIN its input); its stdout."""
    argv = ["docker", "exec", *(["-i"] if stdin is not None else []), CONTAINER, "bash", "-c", script]
    return run(argv, timeout=timeout, check=check, stdin=stdin).stdout


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


@dataclass(frozen=True)
class Transport:
    """How ansible-playbook reaches the benchmark host, and how its -vvv output names it."""

    name: str  # "docker" or "ssh"
    inventories: tuple[Path, ...]
    address: str  # -vvv prefixes each line about the host with <ADDRESS>
    exec_marker: str  # what follows <ADDRESS> on the line of each command run on the host

    def command_lines(self, output: str) -> list[str]:
        """The -vvv lines of the commands run on the host (not on the controller)."""
        prefix = f"<{self.address}> {self.exec_marker}"
        return [line for line in output.splitlines() if line.startswith(prefix)]


DOCKER = Transport("docker", (INVENTORY,), CONTAINER, "EXEC [")
SSH_PORT = 22


def container_address() -> str:
    """The container's address on Docker's bridge network."""
    answer = run(
        ["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", CONTAINER]
    )
    addresses = answer.stdout.split()
    if not addresses:
        raise LabError(f"{CONTAINER} has no address on a Docker network")
    return addresses[0]


def ssh_transport(directory: Path) -> Transport:
    """SSH as root to the container's bridge address, port 22, with a key pair made for this run.

    The public key goes into root's authorized_keys and the container's host key into a
    known_hosts file of the run, both through `docker exec`, so the first connection is
    already checked (StrictHostKeyChecking=yes) and ~/.ssh is not touched. An inventory in
    DIRECTORY turns inventories/bench/ into an SSH one when it is passed after it (-i ... -i
    ...): pipelining and ControlPersist are the connection's settings from ansible.cfg and
    Ansible's defaults, as users have them.
    """
    missing = [tool for tool in ("ssh", "ssh-keygen") if shutil.which(tool) is None]
    if missing:
        raise LabError(f"no {' or '.join(missing)} on the controller: apt-get install openssh-client")
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / "id_ed25519"
    public_key = directory / "id_ed25519.pub"
    for path in (key, public_key):
        path.unlink(missing_ok=True)
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{CONTAINER} bench run", "-f", str(key)])
    host_sh(
        "install -d -m 0700 /root/.ssh && install -m 0600 /dev/stdin /root/.ssh/authorized_keys",
        stdin=public_key.read_text(encoding="utf-8"),
    )
    address = container_address()
    known_hosts = directory / "known_hosts"
    host_key = host_sh("cat /etc/ssh/ssh_host_ed25519_key.pub").split()[:2]
    known_hosts.write_text(f"{address} {' '.join(host_key)}\n", encoding="utf-8")
    options = f"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={known_hosts} -o IdentitiesOnly=yes"
    inventory = directory / "hosts.yml"
    host_vars = {
        "ansible_connection": "ansible.builtin.ssh",
        "ansible_host": address,
        "ansible_port": SSH_PORT,
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(key),
        "ansible_ssh_common_args": options,
    }
    inventory.write_text(
        "# Written by tools/bench/lab.py for one run: the benchmark host over SSH. Use it after\n"
        "# inventories/bench/hosts.yml: ansible-playbook -i inventories/bench/hosts.yml -i THIS ...\n"
        "---\n" + yaml.safe_dump({"all": {"hosts": {CONTAINER: host_vars}}}, sort_keys=False),
        encoding="utf-8",
    )
    probe = ["ssh", "-p", str(SSH_PORT), "-i", str(key), *options.split(), "-o", "BatchMode=yes"]
    probe += ["-o", "ConnectTimeout=5", f"root@{address}", "true"]
    for _ in range(20):
        answer = run(probe, timeout=30, check=False)
        if answer.returncode == 0:
            say(f"ssh root@{address}: answers with the run's key (inventory: {inventory.relative_to(ROOT)})")
            return Transport("ssh", (INVENTORY, inventory), address, "SSH: EXEC ")
        time.sleep(1)
    raise LabError(f"ssh root@{address} did not answer: {answer.stderr.strip()}")


@dataclass
class PlaybookRun:
    """One ansible-playbook run against the benchmark host, as profile_tasks saw it."""

    playbook: str
    label: str
    transport: str
    wall_seconds: float
    profile_seconds: float | None
    recap: dict[str, int]
    slowest_tasks: list[dict[str, Any]] = field(default_factory=list)
    log: str = ""
    # Counted from -vvv output (None when not counted): the commands run on the host (module
    # calls, the temporary directories and file transfers of tasks that copy files), the
    # module calls among them (each start of the host's Python with a module), and the tasks
    # that called at least one module on the host.
    host_calls: int | None = None
    module_calls: int | None = None
    host_tasks: int | None = None

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


# A command that starts the host's Python runs a module: with pipelining the module comes on
# stdin (`/bin/sh -c '/usr/bin/python3 && sleep 0'`), without it as an AnsiballZ file argument.
MODULE_CALL = re.compile(r"/python[\d.]*(?![\w/-])")
# A task's or handler's banner: what the host's commands after it belong to.
TASK_BANNER = re.compile(r"^(?:TASK|RUNNING HANDLER) \[")


def count_host_work(output: str, transport: Transport) -> tuple[int, int, int]:
    """Commands run on the host, module calls among them, tasks with a module call: from -vvv."""
    commands = set(transport.command_lines(output))
    calls = tasks = 0
    task_called = False
    for line in output.splitlines():
        if TASK_BANNER.match(line):
            task_called = False
        elif line in commands and MODULE_CALL.search(line):
            calls += 1
            tasks += not task_called
            task_called = True
    return len(transport.command_lines(output)), calls, tasks


def ansible_playbook(
    playbook: Path,
    label: str,
    log_path: Path,
    extra_vars: dict[str, Any] | None = None,
    count_calls: bool = False,
    transport: Transport = DOCKER,
) -> PlaybookRun:
    """Run a playbook against the benchmark host over TRANSPORT with the profile_tasks callback.

    count_calls runs it with -vvv and counts the commands and module calls it ran on the
    host: a measure of a converge's cost that the machine's load does not change.
    """
    argv = ["ansible-playbook"]
    for inventory in transport.inventories:
        argv += ["-i", str(inventory)]
    argv.append(str(playbook))
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
    say(
        f"{label}: ansible-playbook {playbook.relative_to(ROOT)} over {transport.name}"
        f" (log: {log_path.relative_to(ROOT)})"
    )
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
    host_calls = module_calls = host_tasks = None
    counted = ""
    if count_calls:
        host_calls, module_calls, host_tasks = count_host_work(output, transport)
        if not module_calls:
            raise LabError(f"{label}: no module call on the host found in {log_path}")
        counted = f", {host_calls} commands on the host, {module_calls} module calls in {host_tasks} tasks"
    say(f"{label}: {wall:.1f} s, " + " ".join(f"{key}={value}" for key, value in recap.items()) + counted)
    return PlaybookRun(
        playbook=str(playbook.relative_to(ROOT)),
        label=label,
        transport=transport.name,
        wall_seconds=round(wall, 1),
        profile_seconds=profile_total,
        recap=recap,
        slowest_tasks=slowest,
        log=str(log_path.relative_to(ROOT)),
        host_calls=host_calls,
        module_calls=module_calls,
        host_tasks=host_tasks,
    )


def ansible_env() -> dict[str, str]:
    return {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}


def repo_path(origin: str) -> str:
    """A setting's origin as ansible-config names it, a file inside the repository made relative."""
    path = Path(origin)
    if path.is_absolute() and path.is_relative_to(ROOT):
        return str(path.relative_to(ROOT))
    return origin


def config_dump(*plugin_type: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        ["ansible-config", "dump", "--format", "json", *(["-t", *plugin_type] if plugin_type else [])],
        cwd=ROOT,
        env=ansible_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        return []


def setting(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found = next((item for item in items if item.get("name") == name), {})
    return {"value": found.get("value"), "origin": repo_path(found.get("origin", "unknown"))}


def pipelining() -> dict[str, Any]:
    """ANSIBLE_PIPELINING as the converges see it: what the Docker connection reads."""
    return setting(config_dump(), "ANSIBLE_PIPELINING")


def ssh_settings() -> dict[str, Any]:
    """The ssh connection's pipelining and ssh_args (ControlMaster, ControlPersist) as it sees them."""
    plugins = config_dump("connection")
    ssh = next((plugin["ssh"] for plugin in plugins if isinstance(plugin, dict) and "ssh" in plugin), [])
    return {name: setting(ssh, name) for name in ("pipelining", "ssh_args")}


def host_facts() -> dict[str, Any]:
    """What the numbers depend on: cores, CPU, kernel and the software's versions."""
    script = r"""
        nproc
        grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'
        uname -r
        nginx -v 2>&1 | cut -d/ -f2
        uwsgi-core --version
        /opt/bench-gunicorn/bin/gunicorn --version | sed 's/.*version \(.*\))/\1/'
        /opt/bench-granian/bin/granian --version | awk '{print $2}'
        /srv/sample/current/venv/bin/python -c 'import importlib.metadata as m; print(m.version("flask"))'
        python3 -c 'import platform; print(platform.python_version())'
        dpkg-query -W -f='${Version}\n' wrk
    """
    keys = ("cores", "cpu", "kernel", "nginx", "uwsgi", "gunicorn", "granian", "flask", "python", "wrk")
    values = host_sh(script).splitlines()
    if len(values) != len(keys):
        raise LabError(f"unexpected answer about the host: {values}")
    facts: dict[str, Any] = dict(zip(keys, values, strict=True))
    facts["cores"] = int(facts["cores"])
    return facts


def load_average() -> str:
    """The host's load average (1, 5, 15 minutes): the machine is shared, the numbers are not alone."""
    return host_sh("cut -d' ' -f1-3 /proc/loadavg").strip()
