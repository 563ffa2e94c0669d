# The code is the action plugin plugins/action/template.py; this file documents it.
from __future__ import annotations

DOCUMENTATION = r"""
module: template
short_description: ansible.builtin.template that asks the host once when nothing changes
description:
  - Renders the template on the controller, as M(ansible.builtin.template) does, and
    compares it with the file on the host.
  - The options below are those the comparison reads; the other options of
    M(ansible.builtin.template) are accepted and passed to it.
version_added: 1.0.0
author: flaskstack
extends_documentation_fragment: [flaskstack.stack.unchanged]
options:
  src:
    description: The template, as for M(ansible.builtin.template).
    type: path
    required: true
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
