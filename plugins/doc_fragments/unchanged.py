# The options flaskstack.stack.template and flaskstack.stack.copy share (plugins/plugin_utils/unchanged.py).
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
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
    description: V(false) goes to the builtin as it is.
    type: bool
    default: true
notes:
  - A file that already is what the task writes (content, and the owner, group and mode the
    task sets) is judged in one plain command on the host (C(stat) and C(sha1sum)) and left
    alone (C(changed=false)), instead of the builtin's four commands, two of them a Python start.
  - Anything else, and every other option of the builtin (which is accepted), goes to the
    builtin unchanged, which writes, validates and reports as usual.
"""
