"""flaskstack.stack.template: ansible.builtin.template that asks the host once when nothing changes.

The template is rendered on the controller, exactly as the builtin's `template` lookup
renders it, and compared with the file on the host in one plain command
(plugins/plugin_utils/unchanged.py). A file that already is what the task writes is left
alone (changed=false, no handler notified); anything else, and every argument the
comparison does not know, goes to ansible.builtin.template unchanged.
"""

from __future__ import annotations

from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase
from ansible_collections.flaskstack.stack.plugins.plugin_utils.unchanged import (
    comparable,
    differences,
    probe_command,
)

BUILTIN = "ansible.builtin.template"


class ActionModule(ActionBase):
    # Nothing is transferred unless the builtin action takes over (it makes its own
    # temporary directory then): no temporary directory for a file that is already right.
    TRANSFERS_FILES = False

    def rendered(self, task_vars: dict) -> bytes:
        lookup = self._shared_loader_obj.lookup_loader.get(
            "ansible.builtin.template", loader=self._loader, templar=self._templar
        )
        return to_bytes(lookup.run([self._task.args["src"]], variables=task_vars)[0])

    def builtin(self, name: str, task_vars: dict) -> dict:
        action = self._shared_loader_obj.action_loader.get(
            name,
            task=self._task,
            connection=self._connection,
            play_context=self._play_context,
            loader=self._loader,
            templar=self._templar,
            shared_loader_obj=self._shared_loader_obj,
        )
        return action.run(task_vars=task_vars)

    def builtin_module(self, name: str, task_vars: dict) -> dict:
        """Run the module NAME with the task's arguments, as the builtin `normal` action does
        for a module without an action of its own (ansible.builtin.file, ansible.builtin.apt)."""
        result = self._execute_module(module_name=name, module_args=self._task.args, task_vars=task_vars)
        self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def run(self, tmp: None = None, task_vars: dict | None = None) -> dict:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = self._task.args
        if not comparable(args) or not isinstance(args.get("src"), str):
            return self.builtin(BUILTIN, task_vars)
        content = self.rendered(task_vars)
        probe = self._low_level_execute_command(probe_command(args["dest"]), sudoable=True)
        if differences(args, content, probe["rc"], probe["stdout"]):
            return self.builtin(BUILTIN, task_vars)
        result.update(changed=False, dest=args["dest"], msg="already as rendered: not written")
        return result
