# The code is the action plugin plugins/action/copy.py; this file documents it.
from __future__ import annotations

DOCUMENTATION = r"""
module: copy
short_description: ansible.builtin.copy that asks the host once when nothing changes
description:
  - Compares the content (O(content), or the file O(src) of the role), and the owner, group and mode
    the task sets, with the file on the host in one plain command (C(stat) and C(sha1sum)).
  - A file that already is what the task writes is left alone (C(changed=false)).
  - Anything else, and every argument besides O(src), O(content), O(dest), O(owner), O(group), O(mode),
    O(validate) and O(force), goes to M(ansible.builtin.copy) unchanged, which writes,
    validates and reports as usual.
  - A no-change run costs one command on the host instead of four (two of them a Python start).
version_added: 1.0.0
author: flaskstack
options:
  src:
    description:
      - A file of the role (or a path on the controller), as for M(ansible.builtin.copy).
      - Or give O(content).
    type: path
  content:
    description: The content of the file, as for M(ansible.builtin.copy).
    type: str
  dest:
    description: The file on the host.
    type: path
    required: true
  owner:
    description: Owner of the file.
    type: str
  group:
    description: Group of the file.
    type: str
  mode:
    description: Mode of the file, octal (V("0644")); a symbolic mode goes to the builtin as it is.
    type: raw
  validate:
    description:
      - Command that checks a candidate file (C(%s)) before it replaces the live one.
      - Run only when the file is written.
    type: str
  force:
    description: As for M(ansible.builtin.copy); V(false) goes to the builtin as it is.
    type: bool
    default: true
notes:
  - The other options of M(ansible.builtin.copy) are accepted and passed to it.
seealso:
  - module: ansible.builtin.copy
"""

EXAMPLES = r"""
- name: Write nginx.conf, validated, and reload nginx only when it changed
  flaskstack.stack.template:
    src: etc/nginx/nginx.conf.j2
    dest: /etc/nginx/nginx.conf
    owner: root
    group: root
    mode: "0644"
    validate: /usr/local/sbin/flaskstack-nginx-validate /etc/nginx %s /etc/nginx/nginx.conf
  notify: Reload nginx
"""

RETURN = r"""
dest:
  description: The file on the host.
  returned: always
  type: str
"""
