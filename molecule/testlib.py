"""Helpers shared by the Testinfra tests of every Molecule scenario.

Tests pick their hosts by inventory group, then talk to them with Testinfra's docker
backend (`docker exec`), which is much faster than a round trip through Ansible.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from typing import Any

import testinfra.utils.ansible_runner
import yaml


def role_default(role: str, name: str) -> Any:
    """A variable's default from roles/ROLE/defaults/main.yml, so tests follow the roles."""
    path = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "roles", role, "defaults", "main.yml")
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)[name]


def docker_hosts(group: str) -> list[str]:
    """Testinfra host specs of the Molecule instances in an inventory group."""
    runner = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
    return [f"docker://{name}" for name in runner.get_hosts(group)]


def journal(host: Any, unit: str, lines: int = 40) -> str:
    """The last lines of a unit's journal, to explain a failed assertion."""
    return host.run(f"journalctl --unit {shlex.quote(unit)} --lines {lines} --no-pager").stdout


def assert_running(host: Any, unit: str) -> None:
    """The unit is enabled and running; otherwise fail with its journal."""
    service = host.service(unit)
    assert service.is_enabled, f"{unit} is not enabled\n{journal(host, unit)}"
    assert service.is_running, f"{unit} is not running\n{journal(host, unit)}"


@dataclass
class Response:
    """What curl saw: exit code, status (0 for no answer), headers, body."""

    exit_code: int
    status: int
    headers: dict[str, str]
    body: str

    @property
    def no_answer(self) -> bool:
        """The server closed the connection without a byte of answer (nginx's 444).

        curl says 52 (empty reply) or 56 (reset), depending on how the close arrives.
        """
        return self.status == 0 and self.exit_code in (52, 56)

    def json(self) -> Any:
        return json.loads(self.body)


def assert_masked_and_cannot_start(host: Any, unit: str) -> None:
    """UNIT is masked, not running, and `systemctl start` refuses it as masked."""
    assert host.run(f"systemctl is-enabled {unit}").stdout.strip() == "masked"
    assert not host.service(unit).is_running
    started = host.run(f"systemctl start {unit}")
    assert started.rc != 0, started
    assert "masked" in started.stderr, started
    assert not host.service(unit).is_running


def http_get(host: Any, path: str, host_header: str, port: int = 80) -> Response:
    """GET http://127.0.0.1:PORT/PATH from inside the host, with the given Host header."""
    command = (
        f"curl --silent --include --max-time 10 --header {shlex.quote('Host: ' + host_header)}"
        f" http://127.0.0.1:{port}{shlex.quote(path)}"
    )
    return parse_response(host.run(command))


def parse_response(result: Any) -> Response:
    """A Response from the output of a command that printed an HTTP answer whole.

    No answer (an exit code, or nothing printed): status 0, and stderr as the body.
    """
    if result.rc != 0 or not result.stdout:
        return Response(result.rc, 0, {}, result.stderr)
    head, _, body = result.stdout.replace("\r\n", "\n").partition("\n\n")
    status_line, *header_lines = head.split("\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Response(result.rc, int(status_line.split()[1]), headers, body)


def unix_json(host: Any, path: str) -> Any:
    """The JSON a uWSGI stats socket sends on connect."""
    script = (
        "import socket,sys\n"
        "s=socket.socket(socket.AF_UNIX)\n"
        "s.connect(sys.argv[1])\n"
        "chunks=[]\n"
        "while (c:=s.recv(65536)): chunks.append(c)\n"
        "sys.stdout.write(b''.join(chunks).decode())\n"
    )
    result = host.run(f"python3 -c {shlex.quote(script)} {shlex.quote(path)}")
    assert result.rc == 0, f"cannot read {path}: {result.stderr}"
    return json.loads(result.stdout)


UWSGI_CLIENT = r"""
import socket, struct, sys
path, uri, host_header = sys.argv[1:4]
env = {"REQUEST_METHOD": "GET", "REQUEST_URI": uri, "PATH_INFO": uri.split("?")[0],
       "QUERY_STRING": uri.partition("?")[2], "SERVER_PROTOCOL": "HTTP/1.1",
       "SERVER_NAME": host_header, "SERVER_PORT": "80", "HTTP_HOST": host_header,
       "REMOTE_ADDR": "127.0.0.1", "SCRIPT_NAME": ""}
body = b"".join(struct.pack("<H", len(k)) + k.encode() + struct.pack("<H", len(v)) + v.encode()
                for k, v in env.items())
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
try:
    s.connect(path)
except OSError as error:
    print(f"connect: {error.strerror}", file=sys.stderr)
    sys.exit(3)
s.sendall(struct.pack("<BHB", 0, len(body), 0) + body)
chunks = []
while (chunk := s.recv(65536)):
    chunks.append(chunk)
sys.stdout.write(b"".join(chunks).decode(errors="replace"))
"""


def uwsgi_get(
    host: Any, socket_path: str, path: str = "/", host_header: str = "localhost", user: str = ""
) -> Response:
    """GET PATH straight from a uWSGI socket, in the uwsgi protocol nginx speaks to it.

    USER: connect as that user (runuser), to show who may use the socket; exit code 3 and
    the error on stderr if the connection is refused. Status 0 if nothing answered.
    """
    runner = f"runuser -u {shlex.quote(user)} -- " if user else ""
    arguments = " ".join(shlex.quote(argument) for argument in (UWSGI_CLIENT, socket_path, path, host_header))
    command = f"{runner}python3 -c {arguments}"
    return parse_response(host.run(command))


# What a step of a side effect under load recorded (molecule/deploy/tasks/step.yml, used by
# the deploy, apps and cluster scenarios): the playbook's exit code and output, and the load's totals.
def step(host: Any, name: str) -> dict:
    return json.loads(host.file(f"/root/steps/{name}.json").content_string)


def load(host: Any, name: str) -> dict:
    return json.loads(host.file(f"/root/load/{name}.json").content_string)


def output(host: Any, name: str) -> str:
    return "\n".join(step(host, name)["output"])


def whole_output(host: Any, name: str) -> str:
    return host.file(f"/root/steps/{name}.log").content_string


def status_entries(text: str) -> list[dict]:
    """Each host's entry of playbooks/status.yml run with -e format=json and Ansible's json
    callback (what docs/runbooks/status.md shows), from the text of its output."""
    document, _ = json.JSONDecoder().raw_decode(text[text.index("{") :])
    shown = document["plays"][0]["tasks"][-1]["hosts"]
    (entries,) = [result["msg"] for result in shown.values()]
    return entries


# The exposure `systemd-analyze security` may give nginx and the emperor ("OK" or better).
EXPOSURE_BOUND = 5.0
SANDBOXED_UNITS = ("nginx.service", "uwsgi-emperor.service")


def exposure(host: Any, unit: str) -> float:
    """UNIT's overall exposure level, from `systemd-analyze security` (0 safest, 10 unsafe)."""
    report = host.check_output(f"systemd-analyze security --no-pager {shlex.quote(unit)}")
    last = report.strip().splitlines()[-1]  # "→ Overall exposure level for nginx.service: 2.6 OK :-)"
    return float(last.split(": ", 1)[1].split()[0])


def test_nginx_and_the_emperor_are_sandboxed(host: Any) -> None:
    """Each running unit of SANDBOXED_UNITS scores at most EXPOSURE_BOUND (every scenario imports it)."""
    units = [unit for unit in SANDBOXED_UNITS if host.service(unit).is_running]
    assert units, f"none of {SANDBOXED_UNITS} runs here"
    scores = {unit: exposure(host, unit) for unit in units}
    print(f"{host.backend.hostname}: exposure {scores}")
    for unit, score in scores.items():
        assert score <= EXPOSURE_BOUND, (
            f"{unit}: {score} > {EXPOSURE_BOUND}\n{host.run(f'systemd-analyze security {unit}').stdout}"
        )


def test_no_app_or_worker_process_runs_as_root(host: Any) -> None:
    """Under the emperor only the emperor is root, under nginx only its master (every scenario imports it)."""
    table = host.check_output("ps -e --no-headers -o pid=,ppid=,user:32=,args=")
    processes = {}
    for line in table.splitlines():
        pid, ppid, user, args = line.split(None, 3)
        processes[int(pid)] = (int(ppid), user, args)

    def below(root: int) -> list[int]:
        found, todo = [], [root]
        while todo:
            parent = todo.pop()
            children = [pid for pid, (ppid, _, _) in processes.items() if ppid == parent]
            found += children
            todo += children
        return found

    checked = 0
    for unit in SANDBOXED_UNITS:
        service = host.service(unit)
        if not service.is_running:
            continue
        main = int(service.systemd_properties["MainPID"])
        for pid in below(main):
            if pid not in processes:
                continue
            checked += 1
            _, user, args = processes[pid]
            assert user != "root", f"{unit}: process {pid} ({args}) runs as root"
    vassal_files = host.run("ls /etc/uwsgi/vassals/ 2>/dev/null").stdout.split()
    print(f"{host.backend.hostname}: {checked} worker and app processes, none as root")
    assert checked > 0 or (not vassal_files and not host.service("nginx.service").is_running)
