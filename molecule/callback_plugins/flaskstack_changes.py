"""Record which tasks changed (or failed) on each host, one JSON line per playbook run.

Enabled by a scenario's environment (ANSIBLE_CALLBACK_PLUGINS naming this directory and
ANSIBLE_CALLBACKS_ENABLED=flaskstack_changes); each run appends to
$MOLECULE_EPHEMERAL_DIRECTORY/changes.jsonl:

    {"playbook": "site.yml", "check": true,
     "hosts": ["fs-default-bookworm", ...],
     "changed": {"HOST": ["role : task", ...]}, "failed": {"HOST": ["role : task: msg"]}}

The default scenario's tests compare a check-mode run on fresh hosts with the real
converge that follows it.
"""

from __future__ import annotations

import json
import os

from ansible import context
from ansible.executor.stats import AggregateStats
from ansible.executor.task_result import CallbackTaskResult
from ansible.playbook import Playbook
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: flaskstack_changes
type: notification
short_description: the tasks each host reported changed or failed, per playbook run
description:
  - Appends one JSON line per playbook run to $MOLECULE_EPHEMERAL_DIRECTORY/changes.jsonl.
requirements:
  - enabled in callbacks_enabled
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "flaskstack_changes"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._playbook = ""
        self._changed: dict[str, list[str]] = {}
        self._failed: dict[str, list[str]] = {}

    def v2_playbook_on_start(self, playbook: Playbook) -> None:
        self._playbook = os.path.basename(playbook._file_name)

    def _note(self, table: dict[str, list[str]], result: CallbackTaskResult, suffix: str = "") -> None:
        name = result.task.get_name()
        table.setdefault(result.host.get_name(), []).append(name + suffix)

    def v2_runner_on_ok(self, result: CallbackTaskResult) -> None:
        if result.result.get("changed", False):
            self._note(self._changed, result)

    def v2_runner_on_failed(self, result: CallbackTaskResult, ignore_errors: bool = False) -> None:
        if result.result.get("changed", False):
            self._note(self._changed, result)
        if not ignore_errors:
            self._note(self._failed, result, f": {result.result.get('msg', '')}")

    def v2_runner_on_unreachable(self, result: CallbackTaskResult) -> None:
        self._note(self._failed, result, ": unreachable")

    def v2_playbook_on_stats(self, stats: AggregateStats) -> None:
        directory = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
        if not directory:
            return
        record = {
            "playbook": self._playbook,
            "check": bool(context.CLIARGS.get("check", False)),
            "hosts": sorted(stats.processed),
            "changed": self._changed,
            "failed": self._failed,
        }
        with open(os.path.join(directory, "changes.jsonl"), "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
