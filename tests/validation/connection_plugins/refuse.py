"""A connection that never connects: the validation tests run real playbooks against hosts
that cannot be reached, so a check that let bad input through could change nothing."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.connection import ConnectionBase

DOCUMENTATION = """
name: refuse
short_description: Refuse every connection (flaskstack's validation tests)
description:
  - Any task that needs the host fails as unreachable; tasks that run on the controller
    (assert, validate_argument_spec, set_fact) work as usual.
author: flaskstack
"""


class Connection(ConnectionBase):
    transport = "refuse"
    has_pipelining = False

    def _connect(self) -> Connection:
        raise AnsibleConnectionFailure("the validation tests never connect to a host")

    def exec_command(self, cmd: str, in_data: bytes | None = None, sudoable: bool = True) -> Any:
        self._connect()

    def put_file(self, in_path: str, out_path: str) -> None:
        self._connect()

    def fetch_file(self, in_path: str, out_path: str) -> None:
        self._connect()

    def close(self) -> None:
        self._connected = False
