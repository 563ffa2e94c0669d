"""The collection tarball, installed by itself, documents its roles and runs its playbook.

The tarball is built from this checkout and installed into an empty collections path
(tests/conftest.py); Ansible then runs from outside the checkout with nothing of it on any
path. The bad-input catalogue runs through the installed collection too
(tests/validation/test_inputs.py).
"""

from __future__ import annotations

import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, Installed, galaxy

ROLES = sorted(path.name for path in (ROOT / "roles").iterdir() if (path / "meta").is_dir())
INVENTORIES = sorted(path.name for path in (ROOT / "inventories").iterdir() if path.is_dir())
FQCN = "{namespace}.{name}".format(**galaxy())


def option_paths(options: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Every option name of an argument spec, suboptions as PARENT.CHILD."""
    for name, spec in options.items():
        yield f"{prefix}{name}"
        yield from option_paths((spec or {}).get("options") or {}, f"{prefix}{name}.")


def entry_points(role: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())[
        "argument_specs"
    ]


def test_nothing_of_the_checkout_is_on_the_path(installed_collection: Installed) -> None:
    listed = installed_collection.run("ansible-galaxy", "collection", "list", FQCN, "--format", "json")
    assert listed.returncode == 0, listed.stderr
    places = [place for place, found in json.loads(listed.stdout).items() if FQCN in found]
    assert places == [str(installed_collection.collections / "ansible_collections")], places
    config = installed_collection.run("ansible-config", "dump", "--only-changed")
    assert str(ROOT) not in config.stdout, config.stdout


def test_the_tarball_holds_the_collection_and_not_the_lab(installed_collection: Installed) -> None:
    with tarfile.open(installed_collection.tarball) as tarball:
        members = tarball.getmembers()
    names = {member.name for member in members}
    tops = {name.split("/")[0] for name in names}
    assert tops == {
        "FILES.json",
        "MANIFEST.json",
        "README.md",
        "CHANGELOG.md",
        "meta",
        "roles",
        "playbooks",
        "plugins",
        "docs",
    }, tops
    assert "playbooks/site.yml" in names
    assert not [m.name for m in members if m.issym() or m.islnk()], "links in the tarball"
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


@pytest.mark.parametrize("role", ROLES)
def test_ansible_doc_shows_every_option(installed_collection: Installed, role: str) -> None:
    shown = installed_collection.run("ansible-doc", "-t", "role", "--json", f"{FQCN}.{role}")
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)[f"{FQCN}.{role}"]
    assert Path(doc["path"]).is_relative_to(installed_collection.collections), doc["path"]
    text = installed_collection.run("ansible-doc", "-t", "role", f"{FQCN}.{role}")
    assert text.returncode == 0, text.stderr
    for entry, spec in entry_points(role).items():
        expected = set(option_paths(spec.get("options") or {}))
        assert expected, f"{role} {entry}: the spec has no options"
        documented = set(option_paths(doc["entry_points"][entry].get("options") or {}))
        assert expected <= documented, f"{role} {entry}: not documented: {sorted(expected - documented)}"
        assert re.search(rf"^ENTRY POINT: \W*{entry}\b", text.stdout, re.MULTILINE), f"{role}: no {entry}"
        for name in spec.get("options") or {}:
            assert name in text.stdout, f"{role} {entry}: ansible-doc does not show {name}"


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_site_playbook_parses_against_the_example_inventories(
    installed_collection: Installed, inventory: str
) -> None:
    checked = installed_collection.run(
        "ansible-playbook",
        "-i",
        str(ROOT / "inventories" / inventory / "hosts.yml"),
        f"{FQCN}.site",
        "--syntax-check",
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_filter_is_documented(installed_collection: Installed) -> None:
    listed = installed_collection.run("ansible-doc", "-t", "filter", "--list", "--json", FQCN)
    assert listed.returncode == 0, listed.stderr
    filters = json.loads(listed.stdout)
    assert f"{FQCN}.nginx_problems" in filters, filters
    assert not [name for name, summary in filters.items() if summary == "UNDOCUMENTED"], filters
    for name in filters:
        shown = installed_collection.run("ansible-doc", "-t", "filter", name)
        assert shown.returncode == 0, shown.stderr


@pytest.mark.parametrize("module", ["template", "copy", "file", "apt"])
def test_the_file_and_package_actions_are_documented(installed_collection: Installed, module: str) -> None:
    shown = installed_collection.run("ansible-doc", "-t", "module", "--json", f"{FQCN}.{module}")
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)[f"{FQCN}.{module}"]["doc"]
    assert doc["short_description"].startswith(f"ansible.builtin.{module} ")
    assert doc["options"], module
