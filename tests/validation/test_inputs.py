"""Bad input is refused before anything changes; the example inventories pass.

Each case runs the real site.yml with ansible-playbook against an inventory that differs
from a valid one (BASE) in one place, twice: the checkout's site.yml, and the collection
built from the checkout and installed by itself (flaskstack.stack.site, see
tests/conftest.py), which must give the same verdicts. The host's connection refuses every attempt (see
connection_plugins/refuse.py), so nothing can change anywhere, and a check that let the
input through would show as an unreachable host instead of a failure. For each case the
run must fail in a check task, before any task touched the host (changed=0,
unreachable=0), with a message that names the offending variable. No container needed.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CHECKOUT, ROOT, Ansible, Installed
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PLUGINS = Path(__file__).resolve().parent / "connection_plugins"
HOST = "target"
CHECK_PLAY = "Check the input of every host"  # playbooks/validate.yml
SECRET = "s3cret-value"


def tls_pair(names: list[str], days: tuple[int, int] = (-1, 90)) -> tuple[str, str]:
    """A self-signed certificate (PEM) for NAMES, valid from DAYS[0] to DAYS[1] days from
    now, and its key (PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + datetime.timedelta(days=days[0]))
        .not_valid_after(now + datetime.timedelta(days=days[1]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


# A site with HTTPS from files: its certificate and key, and others that do not fit it.
TLS_CERT, TLS_KEY = tls_pair(["secure.test", "*.secure.test"])
OTHER_CERT, OTHER_KEY = tls_pair(["other.test"])
EXPIRED_CERT, EXPIRED_KEY = tls_pair(["secure.test", "*.secure.test"], (-30, -1))

BASE: dict[str, Any] = {
    "nginx_sites": [
        {
            "name": "files",
            "server_names": ["files.test"],
            "locations": [{"path": "/static/", "alias": "/srv/www/", "expires": "1h"}],
        },
        {
            "name": "secure",
            "server_names": ["secure.test", "www.secure.test"],
            "tls": {"source": "files", "certificate": TLS_CERT, "key": TLS_KEY},
        },
    ],
    "uwsgi_vassals": [
        {"name": "legacy", "options": {"module": "legacy.wsgi:application", "uid": "legacy", "gid": "legacy"}}
    ],
    "flaskapp_apps": [
        {
            "name": "shop",
            "source": {"type": "dir", "path": str(ROOT / "app")},
            "module": "flaskstack_sample.wsgi:application",
            "pythonpath": "src",
            "server_names": ["shop.test", "www.shop.test"],
            "static": [{"url": "/static/", "path": "src/flaskstack_sample/static"}],
            # Settings are not configuration syntax: ';', '{', '}' and '%' reach the app as they are.
            "env": {"SHOP_GREETING": "Hi; with {braces} and 100% of it", "SHOP_SECRET": SECRET},
            "uwsgi_options": {"harakiri": 60, "processes": 4},
            "nginx_directives": ["client_max_body_size 64m"],
        },
        {
            "name": "blog",
            "source": {"type": "git", "repo": "https://git.example.com/blog.git", "version": "v1.2.0"},
            "module": "blog.wsgi:application",
            "server_names": ["blog.test"],
            "hooks": ["flask --app blog db upgrade"],
        },
        {
            "name": "admin",
            "site": "shop",
            "url_prefix": "/admin",
            "source": {"type": "git", "repo": "https://git.example.com/admin.git"},
            "module": "admin:app",
            "server_names": ["shop.test"],
        },
    ],
}


@dataclass(frozen=True)
class Site:
    """The whole-stack playbook as a user runs it, and how Ansible runs there."""

    playbook: str
    ansible: Ansible


@pytest.fixture(scope="module", params=["checkout", "collection"])
def site(request: pytest.FixtureRequest) -> Site:
    """The checkout's site.yml, or the installed collection's flaskstack.stack.site."""
    if request.param == "checkout":
        return Site(str(ROOT / "site.yml"), CHECKOUT)
    installed: Installed = request.getfixturevalue("installed_collection")
    return Site("flaskstack.stack.site", installed)


@dataclass
class Run:
    rc: int
    stats: dict[str, int]
    failed_play: str
    failed_task: str
    message: str
    changed_before_failure: list[str]
    output: str


def run_site(site: Site, inventory: Path, *extra: str) -> Run:
    """ansible-playbook SITE against INVENTORY, with every connection refused."""
    ansible = Ansible(
        site.ansible.cwd,
        {
            **site.ansible.env,
            "ANSIBLE_CONNECTION_PLUGINS": str(PLUGINS),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.json",
        },
    )
    command = ["ansible-playbook", "-i", str(inventory), site.playbook, "-e", "ansible_connection=refuse"]
    result = ansible.run(*command, *extra)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            "ansible-playbook gave no JSON report (rc "
            f"{result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    failed_play, failed_task, message, changed = "", "", "", []
    for play in report["plays"]:
        for task in play["tasks"]:
            for outcome in task["hosts"].values():
                if outcome.get("changed") and not failed_task:
                    changed.append(task["task"]["name"])
                if (outcome.get("failed") or outcome.get("unreachable")) and not failed_task:
                    failed_play = play["play"]["name"]
                    failed_task = task["task"]["name"].split(" : ", 1)[-1]
                    message = str(outcome.get("msg", ""))
    stats = next(iter(report["stats"].values()), {})
    return Run(result.returncode, stats, failed_play, failed_task, message, changed, result.stdout[-3000:])


def write_inventory(directory: Path, host_vars: dict[str, Any]) -> Path:
    inventory = directory / "hosts.yml"
    groups = {"web": {"hosts": {HOST: None}}, "app": {"hosts": {HOST: None}}}
    inventory.write_text(yaml.safe_dump({"all": {"children": groups}}))
    (directory / "host_vars").mkdir()
    (directory / "host_vars" / f"{HOST}.yml").write_text(yaml.safe_dump(host_vars))
    return inventory


PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parts(path: str) -> list[str | int]:
    return [name if name else int(index) for name, index in PATH_PART.findall(path)]


def changed(path: str, value: Any) -> dict[str, Any]:
    """BASE with PATH (such as flaskapp_apps[0].name) set to VALUE, or removed if VALUE is DELETE."""
    data = copy.deepcopy(BASE)
    *head, last = parts(path)
    target: Any = data
    for part in head:
        target = target[part]
    if value is DELETE:
        del target[last]
    elif isinstance(target, list) and last == len(target):
        target.append(value)
    else:
        target[last] = value
    return data


DELETE = object()
APP = copy.deepcopy(BASE["flaskapp_apps"][1])  # a valid app to add in clash cases

# (id, variable path, new value, text the message must contain)
CASES = [
    # Wrong types: the argument specs.
    ("type-int", "nginx_worker_connections", "many", "nginx_worker_connections"),
    ("type-list", "flaskapp_apps", "shop", "flaskapp_apps"),
    ("type-int-releases", "flaskapp_keep_releases", "five", "flaskapp_keep_releases"),
    ("type-dict-env", "flaskapp_apps[0].env", ["A=1"], "env"),
    ("type-bool", "nginx_gzip", "maybe", "nginx_gzip"),
    # Missing required values.
    ("missing-module", "flaskapp_apps[1].module", DELETE, "module"),
    ("missing-repo", "flaskapp_apps[1].source.repo", DELETE, "repo"),
    ("missing-name", "flaskapp_apps[1].name", DELETE, "name"),
    ("missing-server-names", "flaskapp_apps[0].server_names", [], "flaskapp_apps[0].server_names"),
    (
        "missing-upstream-servers",
        "nginx_sites[0].upstreams",
        [{"name": "app", "servers": []}],
        "upstreams[0].servers",
    ),
    # Unknown choices and options.
    ("choice-state", "flaskapp_apps[0].state", "gone", "state"),
    ("choice-source-type", "flaskapp_apps[1].source.type", "svn", "type"),
    ("choice-gzip-level", "nginx_gzip_comp_level", 10, "nginx_gzip_comp_level"),
    ("choice-match", "nginx_sites[0].locations[0].match", "~~", "match"),
    ("choice-balancer-protocol", "flaskapp_apps[0].balancer_protocol", "tcp", "balancer_protocol"),
    ("unknown-option", "flaskapp_apps[0].server_name", ["shop.test"], "server_name"),
    # Names.
    ("name-upper", "flaskapp_apps[0].name", "Shop", "flaskapp_apps[0].name"),
    ("name-path", "flaskapp_apps[0].name", "../etc", "flaskapp_apps[0].name"),
    ("name-too-long", "flaskapp_apps[0].name", "a" * 40, "flaskapp_apps[0].name"),
    ("user-bad", "flaskapp_apps[1].user", "root user", "flaskapp_apps[1].user"),
    ("site-name-bad", "nginx_sites[0].name", "../default", "nginx_sites[0].name"),
    # HTTPS: certificates and keys that do not fit the site, checked before anything changes.
    ("tls-key-not-the-certificates", "nginx_sites[1].tls.key", OTHER_KEY, "nginx_sites[1].tls.key"),
    (
        "tls-certificate-expired",
        "nginx_sites[1].tls",
        {"source": "files", "certificate": EXPIRED_CERT, "key": EXPIRED_KEY},
        "expired on",
    ),
    (
        "tls-names-not-covered",
        "nginx_sites[1].tls",
        {"source": "files", "certificate": OTHER_CERT, "key": OTHER_KEY},
        "does not cover the server name(s) secure.test, www.secure.test",
    ),
    ("tls-key-missing", "nginx_sites[1].tls.key", DELETE, "nginx_sites[1].tls.key"),
    (
        "tls-certificate-not-pem",
        "nginx_sites[1].tls.certificate",
        "not a certificate",
        "is not a PEM certificate",
    ),
    ("tls-source-unknown", "nginx_sites[1].tls.source", "magic", "source"),
    ("tls-catch-all-name", "nginx_sites[1].server_names", ["_"], "nginx_sites[1].server_names[0]"),
    ("tls-listen-bad", "nginx_sites[1].tls.listen", ["443 sl"], "nginx_sites[1].tls.listen[0]"),
    ("tls-protocol-bad", "nginx_tls_protocols", ["SSLv3"], "nginx_tls_protocols[0]"),
    # ACME: RFC 8555 runs over HTTPS only; a contact address unless told the directory needs none.
    ("acme-directory-not-https", "nginx_acme_directory", "http://acme.example/dir", "nginx_acme_directory"),
    ("acme-email-missing", "nginx_sites[1].tls", {"source": "acme"}, "nginx_acme_email"),
    ("acme-email-bad", "nginx_acme_email", "ops", "nginx_acme_email"),
    (
        "acme-wildcard",
        "nginx_sites[1]",
        {"name": "secure", "server_names": ["*.secure.test"], "tls": {"source": "acme"}},
        "cannot prove a wildcard",
    ),
    ("vassal-name-bad", "uwsgi_vassals[0].name", "leg acy", "uwsgi_vassals[0].name"),
    # No app process runs as root: the emperor is root, a vassal without uid would be too.
    ("vassal-without-uid", "uwsgi_vassals[0].options.uid", DELETE, "uwsgi_vassals[0].options.uid"),
    ("vassal-uid-root", "uwsgi_vassals[0].options.uid", "root", "uwsgi_vassals[0].options.uid"),
    ("app-user-root", "flaskapp_apps[1].user", "root", "flaskapp_apps[1].user"),
    # Hardening settings: a sandbox line that would smuggle another, a header that ends
    # its quotes, a rate nginx cannot read, an exempt network that is none.
    (
        "sandbox-two-lines",
        "uwsgi_emperor_sandbox_overrides",
        {"ProtectSystem": "full\nExecStartPre=/bin/true"},
        "uwsgi_emperor_sandbox_overrides.ProtectSystem",
    ),
    (
        "header-quote",
        "nginx_security_headers",
        {"X-Frame-Options": 'DENY" always; add_header X "1'},
        "nginx_security_headers.X-Frame-Options",
    ),
    ("app-rate-bad", "flaskapp_apps[1].rate_limit", {"rate": "100/s"}, "flaskapp_apps[1].rate_limit.rate"),
    ("rate-exempt-bad", "nginx_rate_limit_exempt", ["10.0.0.0/33"], "nginx_rate_limit_exempt[0]"),
    # nginx's counters where clients would reach them.
    ("status-listen-public", "nginx_status_listen", "0.0.0.0:8079", "nginx_status_listen"),
    ("app-cache-bad", "flaskapp_apps[1].cache", {"items": 0}, "flaskapp_apps[1].cache.items"),
    # A secret file served to anyone: static files from the release root or a hidden path.
    (
        "static-release-root",
        "flaskapp_apps[1].static",
        [{"url": "/static/", "path": "."}],
        "nginx would serve it",
    ),
    (
        "static-dotenv",
        "flaskapp_apps[1].static",
        [{"url": "/env/", "path": "src/.env"}],
        "flaskapp_apps[1].static[0].path",
    ),
    # Duplicates and clashes.
    ("dup-app", "flaskapp_apps[3]", {**APP, "server_names": ["other.test"]}, "flaskapp_apps[3].name"),
    (
        "dup-server-name",
        "flaskapp_apps[1].server_names",
        ["www.shop.test"],
        "flaskapp_apps[1].server_names[0]",
    ),
    (
        "clash-server-name-site",
        "nginx_sites[0].server_names",
        ["blog.test"],
        "flaskapp_apps[1].server_names[0]",
    ),
    ("clash-site-name", "flaskapp_apps[1].name", "files", "flaskapp_apps[1].name"),
    ("dup-user", "flaskapp_apps[1].user", "shop", "flaskapp_apps[1].user"),
    ("clash-vassal", "uwsgi_vassals[0].name", "blog", "flaskapp_apps[1].name"),
    (
        "dup-vassal-socket",
        "uwsgi_vassals[1]",
        {"name": "other", "options": {"socket": "/run/uwsgi/legacy/socket"}},
        "uwsgi_vassals[1].options.socket",
    ),
    # A uwsgi protocol listener anyone can reach runs their code: private addresses only.
    (
        "exposed-vassal-socket",
        "uwsgi_vassals[0].options.socket",
        "0.0.0.0:3031",
        "uwsgi_vassals[0].options.socket",
    ),
    (
        "exposed-app-http-socket",
        "flaskapp_apps[0].uwsgi_options.http-socket",
        ":8000",
        "flaskapp_apps[0].uwsgi_options.http-socket",
    ),
    (
        "reserved-uwsgi-socket",
        "flaskapp_apps[0].uwsgi_options.socket",
        "/tmp/shop.sock",
        "flaskapp_apps[0].uwsgi_options.socket",
    ),
    ("dup-site", "nginx_sites[1]", {"name": "files", "server_names": ["other.test"]}, "nginx_sites[1].name"),
    ("mount-no-site", "flaskapp_apps[2].site", "portal", "flaskapp_apps[2].site"),
    (
        "mount-same-prefix",
        "flaskapp_apps[3]",
        {**APP, "name": "admin2", "site": "shop", "url_prefix": "/admin/"},
        "flaskapp_apps[3].url_prefix",
    ),
    ("unknown-only", "flaskapp_only", ["shopp"], "flaskapp_only"),
    # Ports.
    ("port-high", "nginx_listen", ["70000"], "nginx_listen[0]"),
    ("port-zero", "flaskapp_apps[0].listen", ["0"], "flaskapp_apps[0].listen[0]"),
    (
        "port-upstream",
        "nginx_sites[0].upstreams",
        [{"name": "app", "servers": ["10.0.0.1:99999"]}],
        "upstreams[0].servers[0]",
    ),
    ("listen-param", "nginx_listen", ["80 evil_param"], "nginx_listen[0]"),
    # Paths.
    ("relative-base-dir", "flaskapp_base_dir", "srv", "flaskapp_base_dir"),
    ("relative-source", "flaskapp_apps[0].source.path", "app", "flaskapp_apps[0].source.path"),
    ("missing-source", "flaskapp_apps[0].source.path", "/nonexistent/flaskstack-app", "no such directory"),
    ("relative-vassals-dir", "uwsgi_vassals_dir", "etc/uwsgi", "uwsgi_vassals_dir"),
    ("alias-slash", "nginx_sites[0].locations[0].alias", "/srv/www", "nginx_sites[0].locations[0].alias"),
    ("pythonpath-escape", "flaskapp_apps[0].pythonpath", "../other", "flaskapp_apps[0].pythonpath"),
    ("shared-escape", "flaskapp_apps[0].shared", ["instance/../../etc"], "flaskapp_apps[0].shared[0]"),
    (
        "shared-name-escape",
        "flaskapp_apps[0].shared",
        [{"path": "instance", "name": "../../etc"}],
        "flaskapp_apps[0].shared[0].name",
    ),
    ("factory-shape", "flaskapp_apps[0].module", "flaskr.create_app()", "flaskapp_apps[0].module"),
    ("factory-code", "flaskapp_apps[0].module", "flaskr:create_app(open('/etc/shadow'))", "must be literals"),
    (
        "missing-wheel",
        "flaskapp_apps[0].source",
        {"type": "wheel", "path": "/nonexistent/flaskr-1.0.0-py3-none-any.whl"},
        "no such file on the controller",
    ),
    ("static-url", "flaskapp_apps[0].static[0].url", "static", "flaskapp_apps[0].static[0].url"),
    # Counts.
    (
        "processes-zero",
        "flaskapp_apps[0].uwsgi_options.processes",
        0,
        "flaskapp_apps[0].uwsgi_options.processes",
    ),
    (
        "threads-negative",
        "flaskapp_apps[0].uwsgi_options.threads",
        -1,
        "flaskapp_apps[0].uwsgi_options.threads",
    ),
    (
        "harakiri-zero",
        "uwsgi_vassal_defaults",
        {"master": True, "harakiri": 0},
        "uwsgi_vassal_defaults.harakiri",
    ),
    (
        "max-requests-negative",
        "uwsgi_vassal_defaults",
        {"master": True, "max-requests": -1},
        "uwsgi_vassal_defaults.max-requests",
    ),
    (
        "listen-above-somaxconn",
        "flaskapp_apps[0].uwsgi_options.listen",
        8192,
        "flaskapp_apps[0].uwsgi_options.listen",
    ),
    ("keep-one-release", "flaskapp_keep_releases", 1, "flaskapp_keep_releases"),
    ("nofile-low", "nginx_worker_rlimit_nofile", 1024, "nginx_worker_rlimit_nofile"),
    ("body-size", "nginx_client_max_body_size", "lots", "nginx_client_max_body_size"),
    # URLs.
    ("health-no-slash", "flaskapp_apps[0].healthcheck_path", "healthz", "flaskapp_apps[0].healthcheck_path"),
    ("prefix-no-slash", "flaskapp_apps[2].url_prefix", "admin", "flaskapp_apps[2].url_prefix"),
    ("base-url-path", "flaskapp_healthcheck_base_url", "http://127.0.0.1/x", "flaskapp_healthcheck_base_url"),
    # Injection attempts.
    (
        "inject-server-name-semicolon",
        "flaskapp_apps[0].server_names[0]",
        "shop.test; return 200",
        "flaskapp_apps[0].server_names[0]",
    ),
    (
        "inject-server-name-newline",
        "flaskapp_apps[0].server_names[0]",
        "shop.test\nlocation / {",
        "flaskapp_apps[0].server_names[0]",
    ),
    (
        "inject-server-name-brace",
        "nginx_sites[0].server_names[0]",
        "files.test{",
        "nginx_sites[0].server_names[0]",
    ),
    (
        "inject-directive-semicolon",
        "flaskapp_apps[0].nginx_directives[0]",
        "gzip on; return 200",
        "flaskapp_apps[0].nginx_directives[0]",
    ),
    (
        "inject-directive-block",
        "nginx_sites[0].directives",
        ["location /x { return 200 }"],
        "nginx_sites[0].directives[0]",
    ),
    (
        "inject-http-directive",
        "nginx_http_extra_directives",
        ["gzip on;\ninclude /etc/shadow"],
        "nginx_http_extra_directives[0]",
    ),
    (
        "inject-location-path",
        "nginx_sites[0].locations[0].path",
        "/static/ { }",
        "nginx_sites[0].locations[0].path",
    ),
    (
        "inject-setting-newline",
        "flaskapp_apps[0].env.SHOP_SECRET",
        f"{SECRET}\nFLASKSTACK_APP=evil",
        "flaskapp_apps[0].env.SHOP_SECRET",
    ),
    ("inject-setting-name", "flaskapp_apps[0].env", {"BAD-NAME": "x"}, "flaskapp_apps[0].env.BAD-NAME"),
    (
        "inject-uwsgi-value",
        "flaskapp_apps[0].uwsgi_options.harakiri",
        "30\nplugins = evil",
        "flaskapp_apps[0].uwsgi_options.harakiri",
    ),
    (
        "inject-uwsgi-semicolon",
        "uwsgi_vassals[0].options.module",
        "legacy.wsgi:application; evil",
        "uwsgi_vassals[0].options.module",
    ),
    ("inject-uwsgi-key", "uwsgi_emperor_options", {"emperor-tyrant\nplugins": "x"}, "uwsgi_emperor_options"),
    (
        "inject-module",
        "flaskapp_apps[0].module",
        "shop.wsgi:application --pyargv evil",
        "flaskapp_apps[0].module",
    ),
    (
        "inject-git-option",
        "flaskapp_apps[1].source.version",
        "--upload-pack=touch /tmp/x",
        "flaskapp_apps[1].source.version",
    ),
]


@pytest.fixture(scope="module")
def base_run(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_site(site, write_inventory(tmp_path_factory.mktemp("base"), BASE))


def test_base_inventory_passes_the_checks(base_run: Run) -> None:
    """The valid inventory every case starts from gets through the checks to the host."""
    assert base_run.stats["failures"] == 0, base_run.output
    assert base_run.stats["unreachable"] == 1, base_run.output
    assert base_run.failed_play != CHECK_PLAY, base_run.failed_task


# The installed collection runs the very files of the checkout; what may differ is how they
# are found (roles, filters, module_utils, the playbooks' paths). So it gets the tests below
# this list whole, and of the cases one of each kind of check: an argument spec, each
# role's checks, a clash between apps or vassals, an exposed listener, an injection. The
# checkout gets every case. (Each case is an ansible-playbook run of 1-2 s.)
COLLECTION_CASES = {
    "type-int",
    "choice-state",
    "unknown-option",
    "name-upper",
    "tls-key-not-the-certificates",
    "acme-email-missing",
    "vassal-uid-root",
    "sandbox-two-lines",
    "header-quote",
    "status-listen-public",
    "app-cache-bad",
    "static-release-root",
    "dup-app",
    "clash-vassal",
    "exposed-vassal-socket",
    "mount-no-site",
    "port-high",
    "relative-source",
    "factory-code",
    "listen-above-somaxconn",
    "inject-server-name-newline",
    "inject-setting-newline",
    "inject-uwsgi-semicolon",
}
assert COLLECTION_CASES.issubset(case[0] for case in CASES)


@pytest.mark.parametrize(
    ("path", "value", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_bad_input_is_refused_before_anything_changes(
    site: Site, request: pytest.FixtureRequest, tmp_path: Path, path: str, value: Any, expected: str
) -> None:
    if (
        site.playbook != str(ROOT / "site.yml")
        and request.node.callspec.id.split("-", 1)[1] not in COLLECTION_CASES
    ):
        pytest.skip("the checkout ran this case; the installed collection runs one case of each kind")
    run = run_site(site, write_inventory(tmp_path, changed(path, value)))
    assert run.rc != 0
    assert run.stats["unreachable"] == 0, f"the input got through to the host:\n{run.output}"
    assert run.stats["changed"] == 0, run.output
    assert not run.changed_before_failure, run.changed_before_failure
    # In the first play, which only checks: no other play ran.
    assert run.failed_play == CHECK_PLAY, run.failed_play
    assert run.failed_task.startswith(("Check", "Validating arguments")), run.failed_task
    assert expected in run.message, run.message
    assert SECRET not in run.message, "a setting's value leaked into the message"
    assert "PRIVATE KEY" not in run.output, "a private key leaked into the output"


def test_all_problems_are_listed_at_once(site: Site, tmp_path: Path) -> None:
    data = changed("flaskapp_apps[0].healthcheck_path", "healthz")
    data["flaskapp_apps"][1]["server_names"] = ["bad name"]
    run = run_site(site, write_inventory(tmp_path, data))
    assert "2 problem(s)" in run.message, run.message
    assert "flaskapp_apps[0].healthcheck_path" in run.message
    assert "flaskapp_apps[1].server_names[0]" in run.message


def test_a_cluster_refuses_a_uwsgi_socket_for_the_balancers_on_a_host_name(
    site: Site, tmp_path: Path
) -> None:
    """With balancers in front and balancer_protocol uwsgi, an app binds a TCP socket at
    flaskapp_balancer_address: a host name (the default, the inventory name) is refused."""
    inventory = write_inventory(tmp_path, changed("flaskapp_apps[0].balancer_protocol", "uwsgi"))
    document = yaml.safe_load(inventory.read_text())
    document["all"]["children"]["balancers"] = {"hosts": {"lb.flaskstack.test": None}}
    inventory.write_text(yaml.safe_dump(document))
    run = run_site(site, inventory)
    assert run.rc != 0
    assert run.failed_play == CHECK_PLAY, run.failed_play
    assert "flaskapp_balancer_address" in run.message, run.message
    assert "names a host" in run.message, run.message
    private = run_site(site, inventory, "-e", "flaskapp_balancer_address=10.0.0.11")
    assert private.failed_play != CHECK_PLAY, private.message


def test_an_app_host_without_nginx_is_refused(site: Site, tmp_path: Path) -> None:
    """Its apps' sites need nginx, which site.yml installs only on the web group."""
    inventory = write_inventory(tmp_path, BASE)
    document = yaml.safe_load(inventory.read_text())
    document["all"]["children"].pop("web")
    inventory.write_text(yaml.safe_dump(document))
    run = run_site(site, inventory)
    assert run.rc != 0
    assert run.stats["unreachable"] == 0, run.output
    assert run.failed_play == CHECK_PLAY, run.failed_play
    assert "is in group app but not in web" in run.message, run.message


def test_command_line_version_for_a_missing_directory(site: Site, tmp_path: Path) -> None:
    """deploy.yml's -e version= for a dir source is a directory that must exist."""
    inventory = write_inventory(tmp_path, BASE)
    env_extra = ["-e", "flaskapp_version=/nonexistent/v2", "-e", '{"flaskapp_only": ["shop"]}']
    run = run_site(site, inventory, *env_extra)
    assert run.stats["unreachable"] == 0, run.output
    assert "flaskapp_version" in run.message, run.message
    assert "no such directory" in run.message, run.message


# What the production example's vault file would hold (its host_vars name the variables).
VAULT = ["vault_shop_database_url", "vault_shop_secret_key", "vault_admin_secret_key"]
VAULT_ARGS = [arg for name in VAULT for arg in ("-e", f"{name}={SECRET}")]


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "inventories").iterdir() if p.is_dir()))
def test_example_inventories_pass_the_checks(site: Site, name: str) -> None:
    run = run_site(site, ROOT / "inventories" / name / "hosts.yml", *VAULT_ARGS)
    assert run.stats["failures"] == 0, f"{run.failed_task}: {run.message}"
    assert run.stats["unreachable"] >= 1, run.output


def test_a_missing_secret_stops_the_play_naming_it(site: Site) -> None:
    """The production example has no fallback for its secrets: without the vault's
    vault_shop_secret_key the play stops before any change, and says which is missing."""
    run = run_site(site, ROOT / "inventories" / "production" / "hosts.yml", *VAULT_ARGS[:2], *VAULT_ARGS[4:])
    assert run.rc != 0
    assert run.stats["unreachable"] == 0, run.output
    assert "vault_shop_secret_key is not set" in run.output, run.output
    assert SECRET not in run.output
