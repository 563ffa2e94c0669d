"""The nginx role's filters: its input checks (module_utils/nginx_checks.py) and the
addresses systemd holds for nginx (module_utils/nginx_sockets.py).

    {{ settings | flaskstack.stack.nginx_problems }}          # the main entry point's variables
    {{ nginx_site | flaskstack.stack.nginx_site_problems }}
    {{ nginx_sites | flaskstack.stack.nginx_sites_problems }}
    {{ nginx_locations | flaskstack.stack.nginx_locations_problems }}
    {{ settings | flaskstack.stack.nginx_acme_problems }}     # nginx_acme_*, for a site with acme
    {{ nginx_listen | flaskstack.stack.nginx_socket_addresses }}
"""

from __future__ import annotations

from typing import Any

from ansible_collections.flaskstack.stack.plugins.module_utils.nginx_checks import (
    locations_problems,
    nginx_problems,
    site_problems,
    sites_problems,
)
from ansible_collections.flaskstack.stack.plugins.module_utils.nginx_sockets import (
    nginx_socket_addresses,
)
from ansible_collections.flaskstack.stack.plugins.module_utils.tls_checks import acme_settings_problems


def acme_problems(settings: dict[str, Any]) -> list[str]:
    """The nginx_acme_ variables, where a site asks for an ACME certificate."""
    return acme_settings_problems(settings, needed=True)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "nginx_problems": nginx_problems,
            "nginx_site_problems": site_problems,
            "nginx_sites_problems": sites_problems,
            "nginx_locations_problems": locations_problems,
            "nginx_acme_problems": acme_problems,
            "nginx_socket_addresses": nginx_socket_addresses,
        }
