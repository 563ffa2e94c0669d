"""flaskstack.stack.copy: ansible.builtin.copy that asks the host once when nothing changes.

The content (`content`, or the role's file `src`) is compared with the file on the host in
one plain command (plugins/plugin_utils/unchanged.py). A file that already is what the task
writes is left alone (changed=false); anything else, and every argument the comparison
does not know (remote_src, backup, directory copies...), goes to ansible.builtin.copy
unchanged.
"""

from __future__ import annotations

import os

from ansible.module_utils.common.text.converters import to_bytes
from ansible_collections.flaskstack.stack.plugins.action.template import ActionModule as Template
from ansible_collections.flaskstack.stack.plugins.plugin_utils.unchanged import (
    comparable,
    differences,
    probe_command,
)

BUILTIN = "ansible.builtin.copy"


class ActionModule(Template):
    def content(self) -> bytes | None:
        """What the builtin would write; None when only it can tell (a directory, say)."""
        args = self._task.args
        if "content" in args:
            return to_bytes(args["content"]) if isinstance(args["content"], str) else None
        source = self._find_needle("files", args["src"])
        if os.path.isdir(source):
            return None
        with open(self._loader.get_real_file(source), "rb") as handle:
            return handle.read()

    def run(self, tmp: None = None, task_vars: dict | None = None) -> dict:
        task_vars = task_vars or {}
        result = super(Template, self).run(tmp, task_vars)
        args = self._task.args
        has_one_source = ("content" in args) != isinstance(args.get("src"), str)
        content = self.content() if comparable(args) and has_one_source else None
        if content is None:
            return self.builtin(BUILTIN, task_vars)
        probe = self._low_level_execute_command(probe_command(args["dest"]), sudoable=True)
        if differences(args, content, probe["rc"], probe["stdout"]):
            return self.builtin(BUILTIN, task_vars)
        result.update(changed=False, dest=args["dest"], msg="already as given: not written")
        return result
