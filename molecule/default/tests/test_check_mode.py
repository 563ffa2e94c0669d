"""site.yml in check mode, on fresh hosts and on converged ones, against what really changed.

molecule/callback_plugins/flaskstack_changes.py recorded, for every playbook run of this
scenario, the tasks each host reported changed or failed (changes.jsonl in the ephemeral
directory). The sequence is: check on the bare lab hosts, converge, idempotence, check
again.
"""

from __future__ import annotations

import json
import os

import pytest
from testlib import docker_hosts

testinfra_hosts = docker_hosts("app")


def site_runs() -> list[dict]:
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "changes.jsonl")
    with open(path, encoding="utf-8") as handle:
        runs = [json.loads(line) for line in handle if line.strip()]
    return [run for run in runs if run["playbook"] == "site.yml"]


@pytest.fixture(scope="module")
def runs() -> dict[str, dict]:
    """The first four runs of site.yml, in the scenario's order."""
    names = ["fresh check", "converge", "idempotence", "converged check"]
    recorded = site_runs()
    assert [run["check"] for run in recorded[:4]] == [True, False, False, True], recorded
    return dict(zip(names, recorded, strict=False))


def name(host) -> str:
    return host.backend.name


def test_check_mode_on_a_fresh_host_does_not_fail(host, runs):
    fresh = runs["fresh check"]
    assert name(host) in fresh["hosts"]
    assert fresh["failed"].get(name(host), []) == []


def test_check_mode_on_a_fresh_host_announces_only_real_changes(host, runs):
    announced = set(runs["fresh check"]["changed"].get(name(host), []))
    made = set(runs["converge"]["changed"].get(name(host), []))
    assert announced, "check mode announced no change on a bare host"
    assert announced <= made, (
        f"check mode announced changes the converge did not make: {sorted(announced - made)}"
    )


def test_check_mode_on_a_converged_host_announces_nothing(host, runs):
    assert runs["idempotence"]["changed"].get(name(host), []) == []
    assert runs["converged check"]["failed"].get(name(host), []) == []
    assert runs["converged check"]["changed"].get(name(host), []) == []
