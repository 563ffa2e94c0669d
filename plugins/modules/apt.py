# The code is the action plugin plugins/action/apt.py; this file documents it.
from __future__ import annotations

DOCUMENTATION = r"""
module: apt
short_description: ansible.builtin.apt that asks dpkg once when every package is installed
description:
  - For packages named plainly and O(state=present), asks C(dpkg-query) on the host whether
    each is installed. When all are, nothing else runs.
  - The options below are those the check reads; the other options of
    M(ansible.builtin.apt) are accepted and passed to it.
version_added: 1.0.0
author: flaskstack
options:
  name:
    description: Package names, as for M(ansible.builtin.apt).
    type: list
    elements: str
    required: true
  state:
    description: V(present) is checked by the fast path; any other state goes to the builtin.
    type: str
    default: present
  update_cache:
    description:
      - As for M(ansible.builtin.apt), read only when something is to be installed.
      - When every package is installed, the package index is not refreshed.
    type: bool
  cache_valid_time:
    description: As for M(ansible.builtin.apt).
    type: int
notes:
  - A run where every package is installed costs one command on the host (no Python, no
    package cache opened), instead of the apt module.
  - A package missing or not fully installed, a version, a wildcard or a C(.deb), and any
    other option go to the builtin unchanged.
seealso:
  - module: ansible.builtin.apt
"""

EXAMPLES = r"""
- name: Install the nginx packages
  flaskstack.stack.apt:
    name: [nginx]
    state: present
    update_cache: true
    cache_valid_time: 86400
"""

RETURN = r"""
msg:
  description: What was done.
  returned: always
  type: str
"""
