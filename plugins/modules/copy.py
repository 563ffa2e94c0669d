# The code is the action plugin plugins/action/copy.py; this file documents it.
from __future__ import annotations

DOCUMENTATION = r"""
module: copy
short_description: ansible.builtin.copy that asks the host once when nothing changes
description:
  - Compares the content (O(content), or the file O(src) of the role) with the file on the host.
  - The options below are those the comparison reads; the other options of
    M(ansible.builtin.copy) are accepted and passed to it.
version_added: 1.0.0
author: flaskstack
extends_documentation_fragment: [flaskstack.stack.unchanged]
options:
  src:
    description:
      - A file of the role (or a path on the controller), as for M(ansible.builtin.copy).
      - Or give O(content).
    type: path
  content:
    description: The content of the file, as for M(ansible.builtin.copy).
    type: str
seealso:
  - module: ansible.builtin.copy
"""

EXAMPLES = r"""
- name: Install a helper of the role
  flaskstack.stack.copy:
    src: flaskstack-uwsgi-validate
    dest: /usr/local/sbin/flaskstack-uwsgi-validate
    owner: root
    group: root
    mode: "0755"
"""

RETURN = r"""
dest:
  description: The file on the host.
  returned: always
  type: str
"""
