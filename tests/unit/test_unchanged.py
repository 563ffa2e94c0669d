"""flaskstack.stack.template and flaskstack.stack.copy (plugins/action, plugin_utils/unchanged.py).

The pure part, how the host's answer is judged, alone; then the actions for real, on the
controller itself (connection local, no container): a file the builtin wrote is left alone
in ONE command on the host, and whatever differs goes to the builtin, which writes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ansible_collections.flaskstack.stack.plugins.plugin_utils.unchanged import (
    apt_missing,
    apt_names,
    apt_probe_command,
    comparable,
    differences,
    file_comparable,
    file_differences,
    file_probe_command,
    probe_command,
    wanted_mode,
)

ROOT = Path(__file__).resolve().parents[2]
PLAY = Path(__file__).resolve().parent / "files_actions"
PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
CONTENT = b"hello\n"
SHA1 = hashlib.sha1(CONTENT).hexdigest()
RIGHT = f"regular file|root|www-data|640\n{SHA1}  /etc/x.conf\n"
ARGS = {"dest": "/etc/x.conf", "owner": "root", "group": "www-data", "mode": "0640"}


@pytest.mark.parametrize(("mode", "number"), [(None, None), ("0640", 0o640), ("640", 0o640), (0o755, 0o755)])
def test_modes_the_fast_path_reads(mode: object, number: int | None) -> None:
    assert wanted_mode(mode) == number


@pytest.mark.parametrize("mode", ["u=rw,g=r", "preserve", True])
def test_modes_only_the_builtin_reads(mode: object) -> None:
    with pytest.raises(ValueError, match=str(mode)):
        wanted_mode(mode)
    assert not comparable({**ARGS, "mode": mode})


def test_a_file_that_is_right_has_no_difference() -> None:
    assert differences(ARGS, CONTENT, 0, RIGHT) == []
    assert differences({"dest": "/etc/x.conf"}, CONTENT, 0, RIGHT) == [], "unset owner/mode are not compared"


@pytest.mark.parametrize(
    ("stdout", "rc", "expected"),
    [
        (RIGHT.replace(SHA1, "0" * 40), 0, ["content"]),
        (RIGHT.replace("|root|", "|nobody|"), 0, ["owner"]),
        (RIGHT.replace("|www-data|", "|root|"), 0, ["group"]),
        (RIGHT.replace("|640", "|644"), 0, ["mode"]),
        (RIGHT.replace("regular file", "directory"), 0, ["a directory, not a regular file"]),
        ("", 1, ["no regular file to compare"]),
        ("regular file|root|www-data|640\n", 1, ["no regular file to compare"]),
    ],
)
def test_each_difference_is_named(stdout: str, rc: int, expected: list[str]) -> None:
    assert differences(ARGS, CONTENT, rc, stdout) == expected


@pytest.mark.parametrize(
    "args",
    [
        {**ARGS, "backup": True},
        {**ARGS, "remote_src": True},
        {**ARGS, "force": False},
        {"src": "x"},  # no dest
    ],
)
def test_arguments_the_fast_path_leaves_to_the_builtin(args: dict) -> None:
    assert not comparable(args)


def test_the_probe_quotes_the_path() -> None:
    assert probe_command("/etc/a b;rm -rf /") == (
        "stat -L -c '%F|%U|%G|%a' -- '/etc/a b;rm -rf /' && sha1sum -- '/etc/a b;rm -rf /'"
    )


def run_play(
    out: Path,
    *,
    builtin: bool = False,
    template_mode: str = "0640",
    content: str = "hello\n",
    play: str = "play.yml",
    **more: str,
) -> dict:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    extra = {
        "out_dir": str(out),
        "builtin": builtin,
        "template_mode": template_mode,
        "content": content,
        "ansible_python_interpreter": sys.executable,
        **more,
    }
    result = subprocess.run(
        [
            PLAYBOOK,
            "-i",
            "localhost,",
            "-c",
            "local",
            "-vvv",
            str(PLAY / play),
            "-e",
            json.dumps(extra),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    report["log"] = result.stdout
    return report


def commands_of_task(log: str, name: str) -> list[str]:
    """The commands (EXEC lines of -vvv) that the task NAME ran, in order."""
    block = log.split(f"TASK [{name}]")[-1].split("TASK [")[0]
    return re.findall(r"<localhost> EXEC (.*)", block)


def files_of(directory: Path) -> dict[str, tuple[int, bytes]]:
    """Each written file's modification time and content."""
    files = [p for p in directory.iterdir() if p.name != "report.json"]
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in files}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("files")
    run_play(out, builtin=True)
    return out


def test_files_the_builtin_wrote_are_left_alone_in_one_command(written: Path) -> None:
    before = files_of(written)
    report = run_play(written, builtin=False)
    assert report["template"] is False
    assert report["file"] is False
    assert report["content"] is False
    assert files_of(written) == before
    for task in ("Template", "Copy a file of the play", "Copy content"):
        commands = commands_of_task(report["log"], task)
        assert len(commands) == 1, commands
        assert "sha1sum" in commands[0]


def test_what_differs_is_written_by_the_builtin(written: Path) -> None:
    report = run_play(written, builtin=False, template_mode="0644", content="hello again\n")
    assert report["template"] is True
    assert report["content"] is True
    assert report["file"] is False
    assert oct((written / "site.conf").stat().st_mode & 0o777) == "0o644"
    assert (written / "hello.txt").read_text() == "hello again\n"
    # The builtin's own path: a temporary directory and module runs.
    assert len(commands_of_task(report["log"], "Template")) > 1


def test_a_missing_file_is_written_by_the_builtin(tmp_path: Path) -> None:
    report = run_play(tmp_path, builtin=False)
    assert report == {**report, "template": True, "file": True, "content": True}
    assert (tmp_path / "helper.bin").read_bytes() == b"binary\x00data\n"
    assert "value = 42" in (tmp_path / "site.conf").read_text()


# flaskstack.stack.file

DIRECTORY = {"path": "/etc/x", "state": "directory", "owner": "root", "group": "root", "mode": "0755"}
TOUCH = {
    "path": "/run/x",
    "state": "touch",
    "mode": "0644",
    "modification_time": "preserve",
    "access_time": "preserve",
}


def test_a_path_that_is_as_described_has_no_difference() -> None:
    assert file_differences(DIRECTORY, 0, "directory|root|root|755\n") == []
    assert file_differences({"path": "/x", "state": "absent"}, 0, "absent\n") == []
    assert file_differences(TOUCH, 0, "regular empty file|root|root|644\n") == []


@pytest.mark.parametrize(
    ("args", "stdout", "expected"),
    [
        (DIRECTORY, "absent\n", ["absent"]),
        (DIRECTORY, "regular file|root|root|755\n", ["a regular file, not a directory"]),
        (DIRECTORY, "directory|www-data|root|755\n", ["owner"]),
        (DIRECTORY, "directory|root|adm|755\n", ["group"]),
        (DIRECTORY, "directory|root|root|775\n", ["mode"]),
        ({"path": "/x", "state": "absent"}, "directory|root|root|755\n", ["present"]),
        (TOUCH, "absent\n", ["absent"]),
        (TOUCH, "directory|root|root|644\n", ["a directory, not a regular file"]),
        (DIRECTORY, "", ["no answer to compare"]),
    ],
)
def test_each_difference_of_a_path_is_named(args: dict, stdout: str, expected: list[str]) -> None:
    assert file_differences(args, 0, stdout) == expected


@pytest.mark.parametrize(
    "args",
    [
        {"path": "/x", "src": "/y", "state": "link"},
        {"path": "/x", "state": "link"},
        {"path": "/x", "state": "hard"},
        {"path": "/x"},  # the builtin's state: file, or whatever is there
        {**DIRECTORY, "recurse": True},
        {**DIRECTORY, "mode": "u=rwx"},
        {**TOUCH, "modification_time": "now"},
        {"path": "/x", "state": "touch"},
        {**DIRECTORY, "modification_time": "preserve"},
        {"state": "directory"},  # no path
    ],
)
def test_file_arguments_the_fast_path_leaves_to_the_builtin(args: dict) -> None:
    assert not file_comparable(args)


def test_file_arguments_the_fast_path_judges() -> None:
    assert file_comparable(DIRECTORY)
    assert file_comparable(TOUCH)
    assert file_comparable({"path": "/x", "state": "absent"})


def test_the_path_probe_quotes_the_path() -> None:
    quoted = "'/etc/a b;rm -rf /'"
    stat = f"stat -L -c '%F|%U|%G|%a' -- {quoted}"
    assert file_probe_command("/etc/a b;rm -rf /") == (
        f"if [ -e {quoted} ] || [ -L {quoted} ]; then {stat}; else echo absent; fi"
    )


# flaskstack.stack.apt


def test_packages_named_plainly_are_checked() -> None:
    assert apt_names({"name": "nginx"}) == ["nginx"]
    args = {
        "name": ["nginx", "uwsgi-plugin-python3", "libc6:amd64"],
        "state": "present",
        "update_cache": True,
    }
    assert apt_names({**args, "cache_valid_time": 86400}) == ["nginx", "uwsgi-plugin-python3", "libc6:amd64"]


@pytest.mark.parametrize(
    "args",
    [
        {"name": ["nginx=1.22.1-9"]},
        {"name": ["nginx*"]},
        {"name": ["/tmp/x.deb"]},
        {"deb": "https://example.org/x.deb"},
        {"name": ["nginx"], "state": "latest"},
        {"name": ["nginx"], "state": "absent"},
        {"name": ["nginx"], "install_recommends": False},
        {"name": []},
        {"name": ["Nginx"]},
    ],
)
def test_apt_arguments_the_fast_path_leaves_to_the_builtin(args: dict) -> None:
    assert apt_names(args) is None


def test_dpkg_is_asked_once_with_quoted_names() -> None:
    assert apt_probe_command(["nginx", "a;b"]) == (
        "dpkg-query -W -f='${binary:Package} ${db:Status-Abbrev}\\n' -- nginx 'a;b'"
    )


@pytest.mark.parametrize(
    ("rc", "stdout", "missing"),
    [
        (0, "nginx ii \nlibc6:amd64 ii \n", []),
        (0, "nginx ii \nlibc6:amd64 rc \n", ["libc6"]),  # removed, its configuration kept
        (0, "nginx iU \nlibc6:amd64 ii \n", ["nginx"]),  # unpacked, not configured
        (0, "nginx ii \n", ["libc6"]),
        (1, "nginx ii \n", ["unknown to dpkg"]),  # dpkg-query: no packages found matching ...
    ],
)
def test_packages_not_installed_are_named(rc: int, stdout: str, missing: list[str]) -> None:
    assert apt_missing(["nginx", "libc6"], rc, stdout) == missing


def test_paths_and_packages_that_are_right_cost_one_command_each(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir(mode=0o755)
    (tmp_path / "dir").chmod(0o755)
    (tmp_path / "trigger").write_text("")
    (tmp_path / "trigger").chmod(0o644)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    report = run_play(tmp_path, play="paths.yml", dir_mode="0755")
    assert report["directory"] is False
    assert report["absent"] is False
    assert report["touch"] is False
    assert report["installed"] is False
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if p.name != "report.json"} == before
    for task, word in (
        ("Directory", "stat"),
        ("Absent", "stat"),
        ("Touch", "stat"),
        ("Installed packages", "dpkg-query"),
    ):
        commands = commands_of_task(report["log"], task)
        assert len(commands) == 1, commands
        assert word in commands[0]
    # A package dpkg does not know goes to ansible.builtin.apt, which runs its module.
    unknown = commands_of_task(report["log"], "A package dpkg does not know")
    assert "dpkg-query" in unknown[0]
    assert len(unknown) > 1, unknown
    assert report["unknown"]


def test_paths_that_differ_are_changed_by_the_builtin(tmp_path: Path) -> None:
    (tmp_path / "gone").write_text("x")
    report = run_play(tmp_path, play="paths.yml", dir_mode="0750")
    assert report["directory"] is True
    assert report["absent"] is True
    assert report["touch"] is True
    assert oct((tmp_path / "dir").stat().st_mode & 0o777) == "0o750"
    assert not (tmp_path / "gone").exists()
    assert (tmp_path / "trigger").is_file()
