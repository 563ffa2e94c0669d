# The code is the action plugin plugins/action/template.py; this file documents it.
from __future__ import annotations

DOCUMENTATION = r"""
module: template
short_description: ansible.builtin.template that asks the host once when nothing changes
description:
  - Renders the template on the controller and compares it, and the owner, group and mode
    the task sets, with the file on the host in one plain command (C(stat) and C(sha1sum)).
  - A file that already is what the task writes is left alone (C(changed=false)).
  - Anything else, and every argument besides O(src), O(dest), O(owner), O(group), O(mode),
    O(validate) and O(force), goes to M(ansible.builtin.template) unchanged, which writes,
    validates and reports as usual.
  - A no-change run costs one command on the host instead of four (two of them a Python start).
version_added: 1.0.0
author: flaskstack
options:
  src:
    description: The template, as for M(ansible.builtin.template).
    type: path
    required: true
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
    description: As for M(ansible.builtin.template); V(false) goes to the builtin as it is.
    type: bool
    default: true
notes:
  - The other options of M(ansible.builtin.template) are accepted and passed to it.
seealso:
  - module: ansible.builtin.template
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
