# The code is the action plugin plugins/action/file.py; this file documents it.
from __future__ import annotations

DOCUMENTATION = r"""
module: file
short_description: ansible.builtin.file that asks the host once when nothing changes
description:
  - For a directory, an absent path, or a touch that keeps both times, compares the path on
    the host with the task in one plain command (C(stat)).
  - The options below are those the comparison reads; the other options of
    M(ansible.builtin.file) are accepted and passed to it.
version_added: 1.0.0
author: flaskstack
options:
  path:
    description: The path on the host.
    type: path
    required: true
  state:
    description:
      - V(directory), V(absent), or V(touch) with O(modification_time) and O(access_time)
        V(preserve), are judged by the fast path; any other state goes to the builtin.
    type: str
  owner:
    description: Owner of the path.
    type: str
  group:
    description: Group of the path.
    type: str
  mode:
    description: Mode, octal (V("0755")); a symbolic mode goes to the builtin as it is.
    type: raw
  modification_time:
    description: As for M(ansible.builtin.file).
    type: str
  access_time:
    description: As for M(ansible.builtin.file).
    type: str
notes:
  - A path that already is as the task describes (its type, and the owner, group and mode the
    task sets) is left alone (C(changed=false)) after one command on the host, instead of a
    Python start for the module.
  - Anything else goes to the builtin unchanged, which changes and reports as usual.
seealso:
  - module: ansible.builtin.file
"""

EXAMPLES = r"""
- name: Create the configuration directory
  flaskstack.stack.file:
    path: /etc/uwsgi/vassals
    state: directory
    owner: root
    group: root
    mode: "0755"
"""

RETURN = r"""
path:
  description: The path on the host.
  returned: always
  type: str
"""
