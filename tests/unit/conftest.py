"""Unit tests of the collection's check functions: no Ansible run, no host.

They import the code as Ansible does, by its collection path
(ansible_collections.flaskstack.stack.plugins...): collections/ holds the link that makes
the checkout that package.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "collections"))


def role_defaults(role: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())


@pytest.fixture
def nginx_defaults() -> dict[str, Any]:
    return role_defaults("nginx")


@pytest.fixture
def uwsgi_defaults() -> dict[str, Any]:
    return role_defaults("uwsgi")


@pytest.fixture
def flaskapp_settings() -> dict[str, Any]:
    """What the flaskapp role's validate task passes: its variables and the neighbours'."""
    nginx, uwsgi = role_defaults("nginx"), role_defaults("uwsgi")
    return {
        **role_defaults("flaskapp"),
        "nginx_sites": nginx["nginx_sites"],
        "uwsgi_vassals": uwsgi["uwsgi_vassals"],
        "uwsgi_run_dir": uwsgi["uwsgi_run_dir"],
        "uwsgi_somaxconn": uwsgi["uwsgi_somaxconn"],
    }
