"""The sandbox and the process owners on the balancer and the app hosts (testlib's shared tests)."""

from __future__ import annotations

from testlib import docker_hosts
from testlib import test_nginx_and_the_emperor_are_sandboxed as test_nginx_and_the_emperor_are_sandboxed
from testlib import test_no_app_or_worker_process_runs_as_root as test_no_app_or_worker_process_runs_as_root

testinfra_hosts = docker_hosts("balancers") + docker_hosts("web")
