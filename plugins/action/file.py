"""flaskstack.stack.file: ansible.builtin.file that asks the host once when nothing changes.

A directory, an absent path, or a file that a touch only makes sure of (both times
`preserve`) is judged in one plain command on the host (plugins/plugin_utils/unchanged.py).
A path that already is as the task describes is left alone (changed=false); anything else,
and every argument the comparison does not know (links, recurse, attributes...), goes to
ansible.builtin.file unchanged.
"""

from __future__ import annotations

from ansible_collections.flaskstack.stack.plugins.action.template import ActionModule as Template
from ansible_collections.flaskstack.stack.plugins.plugin_utils.unchanged import (
    file_comparable,
    file_differences,
    file_probe_command,
)

BUILTIN = "ansible.builtin.file"


class ActionModule(Template):
    def run(self, tmp: None = None, task_vars: dict | None = None) -> dict:
        task_vars = task_vars or {}
        result = super(Template, self).run(tmp, task_vars)
        args = self._task.args
        if not file_comparable(args):
            return self.builtin_module(BUILTIN, task_vars)
        probe = self._low_level_execute_command(file_probe_command(args["path"]), sudoable=True)
        if file_differences(args, probe["rc"], probe["stdout"]):
            return self.builtin_module(BUILTIN, task_vars)
        result.update(changed=False, path=args["path"], state=args["state"], msg="already so: not changed")
        return result
