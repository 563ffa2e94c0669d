"""flaskstack.stack.apt: ansible.builtin.apt that asks dpkg once when every package is installed.

For packages named plainly with `state: present`, one `dpkg-query` on the host tells
whether each is installed (plugins/plugin_utils/unchanged.py). When all are, the task is
done (changed=false) without the apt module, which opens the whole package cache, and
without refreshing the package index: it is refreshed (`update_cache`, `cache_valid_time`)
when something is to be installed. Anything else (a package missing, a version, a .deb,
any other argument) goes to ansible.builtin.apt unchanged.
"""

from __future__ import annotations

from ansible_collections.flaskstack.stack.plugins.action.template import ActionModule as Template
from ansible_collections.flaskstack.stack.plugins.plugin_utils.unchanged import (
    apt_missing,
    apt_names,
    apt_probe_command,
)

BUILTIN = "ansible.builtin.apt"


class ActionModule(Template):
    def run(self, tmp: None = None, task_vars: dict | None = None) -> dict:
        task_vars = task_vars or {}
        result = super(Template, self).run(tmp, task_vars)
        names = apt_names(self._task.args)
        if names is None:
            return self.builtin_module(BUILTIN, task_vars)
        probe = self._low_level_execute_command(apt_probe_command(names), sudoable=True)
        if apt_missing(names, probe["rc"], probe["stdout"]):
            return self.builtin_module(BUILTIN, task_vars)
        result.update(changed=False, msg="every package installed: apt not run")
        return result
