"""Shared by the suites under tests/: the checkout, and the collection built from it.

`installed_collection` builds the collection tarball from this checkout, installs it with
`ansible-galaxy collection install` into an empty collections path, and gives the
environment to run Ansible with nothing of the checkout on any path: a working directory
outside it, an empty ansible.cfg, ANSIBLE_COLLECTIONS_PATH set to that path alone (the
pinned `ansible` package's own collections, such as ansible.posix, are still found in its
site-packages) and no other ANSIBLE_* variable from the caller.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def galaxy() -> dict[str, object]:
    return yaml.safe_load((ROOT / "galaxy.yml").read_text())


@dataclass(frozen=True)
class Ansible:
    """Where and how Ansible runs: the working directory and the environment."""

    cwd: Path
    env: dict[str, str]

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, capture_output=True, text=True, env=self.env, cwd=self.cwd, check=False)


def clean_environment(**settings: str) -> dict[str, str]:
    """The caller's environment without any ANSIBLE_* variable or PYTHONPATH, plus SETTINGS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k != "PYTHONPATH"}
    return {**env, "ANSIBLE_NOCOLOR": "1", **settings}


CHECKOUT = Ansible(ROOT, clean_environment(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg")))


@dataclass(frozen=True)
class Installed(Ansible):
    tarball: Path
    collections: Path


@pytest.fixture(scope="session")
def installed_collection(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    home = tmp_path_factory.mktemp("installed")
    assert ROOT not in home.parents, f"{home} is inside the checkout"
    build = subprocess.run(
        ["ansible-galaxy", "collection", "build", str(ROOT), "--output-path", str(home)],
        capture_output=True,
        text=True,
        env=CHECKOUT.env,
        cwd=home,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    meta = galaxy()
    tarball = home / f"{meta['namespace']}-{meta['name']}-{meta['version']}.tar.gz"
    assert tarball.is_file(), build.stdout
    collections = home / "collections"
    collections.mkdir()
    config = home / "ansible.cfg"
    config.write_text("[defaults]\n")
    installed = Installed(
        home,
        clean_environment(ANSIBLE_CONFIG=str(config), ANSIBLE_COLLECTIONS_PATH=str(collections)),
        tarball,
        collections,
    )
    install = installed.run("ansible-galaxy", "collection", "install", str(tarball), "-p", str(collections))
    assert install.returncode == 0, install.stdout + install.stderr
    return installed
