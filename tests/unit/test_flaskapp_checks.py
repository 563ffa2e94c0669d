"""The flaskapp role's checks (plugins/module_utils/flaskapp_checks.py): each bad value
gives exactly its message, and a valid value gives none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ansible_collections.flaskstack.stack.plugins.module_utils import flaskapp_checks as flaskapp

APP_DIR = str(Path(__file__).resolve().parents[2] / "app")
# An empty file with a wheel's name: the checks only look for the file.
WHEEL = str(Path(__file__).resolve().parent / "data" / "flaskr-1.0.0-py3-none-any.whl")
MODULE_RULE = flaskapp.MODULE_RULE
NAME_RULE = (
    "a lower-case letter, then up to 30 lower-case letters, digits, '_' or '-' "
    "(it names a Unix user and directories)"
)
SHOP: dict[str, Any] = {
    "name": "shop",
    "source": {"type": "dir", "path": APP_DIR},
    "module": "flaskstack_sample.wsgi:application",
    "pythonpath": "src",
    "server_names": ["shop.test"],
    "listen": ["8080"],
    "static": [{"url": "/static/", "path": "src/flaskstack_sample/static", "expires": "1h"}],
    "env": {"SHOP_GREETING": "Hi; {braces} 100%", "DEBUG": False},
    "hooks": ["flask db upgrade"],
    "uwsgi_options": {"harakiri": 60, "listen": 2048},
    "nginx_directives": ["client_max_body_size 64m"],
    "nginx_retries": 0,
}
BLOG: dict[str, Any] = {
    "name": "blog",
    "source": {"type": "git", "repo": "https://git.example.com/blog.git", "version": "v1.2.0"},
    "module": "blog:app",
    "server_names": ["blog.test"],
}
ADMIN: dict[str, Any] = {
    **BLOG,
    "name": "admin",
    "site": "shop",
    "url_prefix": "/admin",
    "server_names": ["shop.test"],
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/abs", "x = '/abs': must be a path relative to the release, without '..'"),
        ("../up", "x = '../up': must be a path relative to the release, without '..'"),
        ("", "x = '': must be a path relative to the release, without '..'"),
        (None, "x = None: must be a path relative to the release, without '..'"),
        ("a b", "x = 'a b': allowed: letters, digits, '.', '_', '-' and '/'"),
        (
            "a;b",
            "x = 'a;b': contains ';', which would end the directive; allowed: letters, digits, '.', '_', "
            "'-' and '/'",
        ),
    ],
)
def test_check_relative_refuses(value: Any, expected: str) -> None:
    assert flaskapp.check_relative("x", value) == [expected]


def test_check_relative_accepts() -> None:
    assert flaskapp.check_relative("x", "src/app..name/static") == []


def test_check_not_negative() -> None:
    assert flaskapp.check_not_negative("x", -1) == ["x = -1: must be a whole number of at least 0"]
    assert flaskapp.check_not_negative("x", 0) == []


@pytest.mark.parametrize(
    ("source", "version", "expected"),
    [
        (
            {"type": "dir", "path": "app"},
            "",
            [
                "s.path = 'app': must be an absolute path on the controller, such as \"{{ playbook_dir "
                '}}/../app"'
            ],
        ),
        (
            {"type": "dir", "path": "/nonexistent/flaskstack"},
            "",
            ["s.path = '/nonexistent/flaskstack': no such directory on the controller"],
        ),
        (
            {"type": "dir", "path": APP_DIR},
            "/nonexistent/v2",
            ["flaskapp_version = '/nonexistent/v2': no such directory on the controller"],
        ),
        (
            {"type": "git", "version": "--upload-pack=x"},
            "",
            [
                "s.repo = None: must be non-empty, without spaces, and must not start with '-'",
                "s.version = '--upload-pack=x': must be non-empty, without spaces, and must not start with "
                "'-'",
            ],
        ),
        (
            {"type": "git", "repo": "https://git.example.com/a.git"},
            "v 2",
            ["flaskapp_version = 'v 2': must be non-empty, without spaces, and must not start with '-'"],
        ),
        (
            {"type": "wheel", "path": "/nonexistent/flaskr-1.0.0-py3-none-any.whl"},
            "",
            [
                "s.path = '/nonexistent/flaskr-1.0.0-py3-none-any.whl': no such file on the controller "
                "(build it first: python -m build)"
            ],
        ),
        (
            {"type": "wheel", "path": APP_DIR},
            "",
            [
                f"s.path = {APP_DIR!r}: must be the absolute path on the controller of a wheel (.whl) or "
                "sdist (.tar.gz, .zip)"
            ],
        ),
        (
            {"type": "package", "spec": "flaskr"},
            "",
            ["s.spec = 'flaskr': allowed: a package pinned to one version, such as flaskr==1.0.0"],
        ),
        (
            {"type": "package", "spec": "flaskr>=1"},
            "",
            ["s.spec = 'flaskr>=1': allowed: a package pinned to one version, such as flaskr==1.0.0"],
        ),
        (
            {"type": "package", "spec": "flaskr==1.0", "index_url": "ftp://x"},
            "",
            ["s.index_url = 'ftp://x': allowed: an http(s) URL"],
        ),
    ],
)
def test_check_source_refuses(source: dict[str, Any], version: str, expected: list[str]) -> None:
    assert flaskapp.check_source("s", source, version) == expected


@pytest.mark.parametrize(
    ("source", "version"),
    [
        ({"type": "dir", "path": APP_DIR}, ""),
        ({"type": "dir", "path": "/nonexistent"}, APP_DIR),
        ({"type": "git", "repo": "https://git.example.com/a.git"}, ""),
        ({"type": "git", "repo": "git@example.com:a.git", "version": "v1"}, "1a2b3c"),
        ({"type": "wheel", "path": WHEEL}, ""),
        ({"type": "wheel", "path": "/nonexistent/x.whl"}, WHEEL),
        ({"type": "package", "spec": "flaskr==1.0.0"}, ""),
        (
            {
                "type": "package",
                "spec": "flaskr[redis]==1.0.0",
                "extra_index_url": "https://pypi.example.com/simple",
            },
            "",
        ),
        ({"type": "package", "spec": "flaskr==1.0.0"}, "flaskr==1.1.0"),
    ],
)
def test_check_source_accepts(source: dict[str, Any], version: str) -> None:
    assert flaskapp.check_source("s", source, version) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": "Shop"}, [f"a.name = 'Shop': {NAME_RULE}"]),
        ({"user": "a" * 40}, [f"a.user = {'a' * 40!r}: {NAME_RULE}"]),
        ({"module": "shop"}, [f"a.module = 'shop': allowed: {MODULE_RULE}"]),
        ({"module": "flaskr:create_app("}, [f"a.module = 'flaskr:create_app(': allowed: {MODULE_RULE}"]),
        ({"module": "flaskr.create_app()"}, [f"a.module = 'flaskr.create_app()': allowed: {MODULE_RULE}"]),
        (
            {"module": "flaskr:create_app(os.environ)"},
            [
                f"a.module = 'flaskr:create_app(os.environ)': {MODULE_RULE}: its arguments must be literals "
                "(strings, numbers, True, None, lists, dicts)"
            ],
        ),
        (
            {"module": "flaskr:create_app(__import__('os').system('id'))"},
            [
                "a.module = \"flaskr:create_app(__import__('os').system('id'))\": "
                f"{MODULE_RULE}: its arguments must be literals (strings, numbers, True, None, lists, dicts)"
            ],
        ),
        (
            {"module": "flaskr:create_app(**cfg)"},
            [
                f"a.module = 'flaskr:create_app(**cfg)': {MODULE_RULE}: "
                "its arguments are literals, not *args or **kwargs"
            ],
        ),
        (
            {"module": "flaskr:create_app(1,,)"},
            [f"a.module = 'flaskr:create_app(1,,)': {MODULE_RULE}: its arguments do not parse as Python"],
        ),
        ({"install": "pipenv"}, ["a.install = 'pipenv': one of auto, requirements, project, uv"]),
        (
            {"constraints": "../c.txt"},
            ["a.constraints = '../c.txt': must be a path relative to the release, without '..'"],
        ),
        (
            {"source": {"type": "package", "spec": "flaskr==1.0.0"}, "install": "project"},
            [
                "a.install = 'project': a wheel or package source installs that artifact: "
                "leave install at auto"
            ],
        ),
        (
            {"shared": ["/var/lib/x"]},
            ["a.shared[0] = '/var/lib/x': must be a path relative to the release, without '..'"],
        ),
        (
            {"shared": ["instance/../../x"]},
            ["a.shared[0] = 'instance/../../x': must be a path relative to the release, without '..'"],
        ),
        (
            {"shared": ["venv"]},
            ["a.shared[0] = 'venv': names a path of the release that the role makes: share a path inside it"],
        ),
        (
            {"shared": ["instance", "instance"]},
            ["a.shared[1] = 'instance': shared path already used by a.shared[0]; list it once"],
        ),
        (
            {"shared": ["instance"], "shared_files": [{"path": "config.py", "content": "X = 1"}]},
            [
                "a.shared_files[0].path = 'config.py': must lie inside one of the app's shared paths "
                "(instance)"
            ],
        ),
        (
            {"shared": ["instance", "instance/uploads"]},
            [
                "a.shared[1] = 'instance/uploads': lies inside shared path 'instance' of a.shared[0]: "
                "share one or the other"
            ],
        ),
        (
            {"shared": [{"path": "var/instance", "name": "../etc"}]},
            ["a.shared[0].name = '../etc': must be a path relative to the release, without '..'"],
        ),
        (
            {"shared": [{"path": "instance", "name": "."}]},
            ["a.shared[0].name = '.': names a directory inside the app's shared/"],
        ),
        (
            {"shared": [{"path": "a", "name": "data"}, {"path": "b", "name": "data/b"}]},
            [
                "a.shared[1].name = 'data/b': lies inside the shared directory 'data' of a.shared[0].name: "
                "share one or the other"
            ],
        ),
        (
            {"shared": [{"path": "instance", "dir": "x"}]},
            ["a.shared[0] = {'path': 'instance', 'dir': 'x'}: knows only path and name, not dir"],
        ),
        (
            {"shared": [{"name": "instance"}]},
            ["a.shared[0].path = None: must be a path relative to the release, without '..'"],
        ),
        (
            {"shared": ["instance"], "shared_files": [{"path": "instance/config.py", "content": 1}]},
            ["a.shared_files[0].content = '(hidden)': the content of the file, a string"],
        ),
        (
            {"pythonpath": "../x"},
            ["a.pythonpath = '../x': must be a path relative to the release, without '..'"],
        ),
        (
            {"requirements": "/req.txt"},
            ["a.requirements = '/req.txt': must be a path relative to the release, without '..'"],
        ),
        ({"server_names": []}, ["a.server_names = []: an app needs at least one server name"]),
        (
            {"server_names": ["shop.test; return 200"]},
            [
                "a.server_names[0] = 'shop.test; return 200': contains ';', which would end the directive; "
                "allowed: a host name such as shop.example.com"
            ],
        ),
        ({"listen": ["0"]}, ["a.listen[0] = '0': port 0 is out of range 1-65535"]),
        (
            {"url_prefix": "admin"},
            ["a.url_prefix = 'admin': allowed: a URL path starting with '/', such as /blog"],
        ),
        ({"site": "a b", "url_prefix": "/x"}, ["a.site = 'a b': allowed: the name of a site"]),
        (
            {"site": "blog"},
            ["a.url_prefix = '/': an app mounted on site 'blog' needs a prefix of its own, such as /blog"],
        ),
        ({"hooks": [" "]}, ["a.hooks[0] = ' ': must be a shell command"]),
        (
            {"static": [{"url": "static", "path": "/abs", "expires": "soon"}]},
            [
                "a.static[0].url = 'static': allowed: a URL prefix starting and ending with '/', such as "
                "/static/",
                "a.static[0].path = '/abs': must be a path relative to the release, without '..'",
                "a.static[0].expires = 'soon': allowed: a time such as 7d, or off",
            ],
        ),
        (
            {"env": {"BAD-NAME": "x"}},
            [
                "a.env.BAD-NAME = 'BAD-NAME': a setting name is letters, digits and '_', not starting with "
                "a digit"
            ],
        ),
        (
            {"env": {"FLASKSTACK_APP": "x"}},
            ["a.env.FLASKSTACK_APP = 'x': FLASKSTACK_APP is set by the role (the app's name)"],
        ),
        ({"env": {"A": ["x"]}}, ["a.env.A = '(hidden)': a setting is a string, number or boolean"]),
        (
            {"env": {"SECRET": "s3cret\nFLASKSTACK_APP=evil"}},
            [
                "a.env.SECRET = '(hidden)': contains a line break: one setting is one line of the "
                "environment file"
            ],
        ),
        (
            {"healthcheck_path": "healthz"},
            ["a.healthcheck_path = 'healthz': allowed: a URL path starting with '/'"],
        ),
        (
            {"uwsgi_options": {"listen": 8192}},
            [
                "a.uwsgi_options.listen = 8192: above uwsgi_somaxconn (4096), the kernel's cap on listen "
                "backlogs"
            ],
        ),
        (
            {"uwsgi_options": {"socket": "/tmp/s"}},
            ["a.uwsgi_options.socket = '/tmp/s': is set by the flaskapp role; see its README"],
        ),
        (
            {"nginx_directives": ["gzip on; x"]},
            [
                "a.nginx_directives[0] = 'gzip on; x': contains ';': give one directive per item, "
                "without the trailing ';', and no blocks or comments"
            ],
        ),
        ({"nginx_retries": -1}, ["a.nginx_retries = -1: must be a whole number of at least 0"]),
        ({"nginx_read_timeout": 0}, ["a.nginx_read_timeout = 0: must be a whole number of at least 1"]),
        ({"cache": 100}, ["a.cache = 100: a mapping of items, blocksize (bytes) and store (true or false)"]),
        (
            {"cache": {"items": 0, "blocksize": "64k", "store": "yes", "name": "x"}},
            [
                "a.cache.name = 'x': unknown key; allowed: items, blocksize, store",
                "a.cache.items = 0: must be a whole number of at least 1",
                "a.cache.blocksize = '64k': must be a whole number of at least 1",
                "a.cache.store = 'yes': true (kept in a file across restarts) or false",
            ],
        ),
    ],
)
def test_app_problems_refuses(changes: dict[str, Any], expected: list[str]) -> None:
    assert flaskapp.app_problems({**SHOP, **changes}, "a", "", 4096) == expected


def test_app_problems_accepts() -> None:
    assert flaskapp.app_problems(SHOP, "a", "", 4096) == []
    flaskr = {
        "module": "flaskr:create_app({'TESTING': False}, name='x')",
        "install": "project",
        "constraints": "constraints.txt",
        "shared": ["instance", {"path": "venv/var/flaskr-instance", "name": "instance"}, "uploads/"],
        "shared_files": [{"path": "instance/config.py", "content": "SECRET_KEY = 'k'\n"}],
    }
    assert flaskapp.app_problems({**SHOP, **flaskr}, "a", "", 4096) == []
    assert flaskapp.app_problems({**SHOP, "module": "flaskr:create_app()"}, "a", "", 4096) == []
    assert flaskapp.app_problems(BLOG, "a", "v2", 4096) == []
    assert flaskapp.app_problems(ADMIN, "a", "", 4096) == []
    assert flaskapp.app_problems({**SHOP, "cache": {}}, "a", "", 4096) == []
    assert (
        flaskapp.app_problems(
            {**SHOP, "cache": {"items": 10, "blocksize": 4096, "store": True}}, "a", "", 4096
        )
        == []
    )


def test_app_problems_checks_only_the_names_of_an_absent_app() -> None:
    assert flaskapp.app_problems({"name": "old", "state": "absent", "module": "x"}, "a", "") == []
    assert flaskapp.app_problems({"name": "Old", "state": "absent"}, "a", "") == [
        f"a.name = 'Old': {NAME_RULE}"
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"flaskapp_base_dir": "srv"},
            ["flaskapp_base_dir = 'srv': must be an absolute path without spaces"],
        ),
        ({"flaskapp_web_group": "Www"}, ["flaskapp_web_group = 'Www': allowed: a Unix group name"]),
        (
            {"flaskapp_healthcheck_base_url": "http://127.0.0.1/x"},
            ["flaskapp_healthcheck_base_url = 'http://127.0.0.1/x': allowed: http://HOST[:PORT], no path"],
        ),
        (
            {"flaskapp_reload_timeout": 0},
            ["flaskapp_reload_timeout = 0: must be a whole number of at least 1"],
        ),
        (
            {"flaskapp_nginx_read_timeout": 0},
            ["flaskapp_nginx_read_timeout = 0: must be a whole number of at least 1"],
        ),
        (
            {"flaskapp_healthcheck_delay": -1},
            ["flaskapp_healthcheck_delay = -1: must be a whole number of at least 0"],
        ),
        ({"flaskapp_keep_releases": 1}, ["flaskapp_keep_releases = 1: must be a whole number of at least 2"]),
        (
            {"flaskapp_rollback_release": "abc"},
            ["flaskapp_rollback_release = 'abc': a release id is 12 hex digits (ls /srv/APP/releases)"],
        ),
        (
            {"flaskapp_only": ["shopp"]},
            ["flaskapp_only = 'shopp': no app of that name in flaskapp_apps (apps: shop, blog, admin)"],
        ),
        (
            {"flaskapp_version": "v2"},
            [
                "flaskapp_version = 'v2': a version is deployed to one app: set flaskapp_only (deploy.yml: "
                "-e app=NAME)"
            ],
        ),
        (
            {"flaskapp_apps": [SHOP, BLOG, ADMIN, {**BLOG, "server_names": ["other.test"]}]},
            [
                "flaskapp_apps[3].name = 'blog': app name already used by flaskapp_apps[1].name; each app "
                "needs its own",
                "flaskapp_apps[3].user = 'blog': user already used by flaskapp_apps[1].user; each app runs "
                "as its own user",
                "flaskapp_apps[3].url_prefix = '/': site 'blog' already serves flaskapp_apps[1] there",
            ],
        ),
        (
            {"flaskapp_apps": [SHOP, {**BLOG, "server_names": ["shop.test"]}]},
            [
                "flaskapp_apps[1].server_names[0] = 'shop.test': server name already used by "
                "flaskapp_apps[0].server_names[0]; nginx would send its requests to one site only"
            ],
        ),
        (
            {"flaskapp_apps": [SHOP, {**ADMIN, "site": "portal"}]},
            [
                "flaskapp_apps[1].site = 'portal': no such site: define it in nginx_sites or as an app "
                "listed before this one"
            ],
        ),
        (
            {"flaskapp_apps": [{**ADMIN, "site": "shop"}, SHOP]},
            [
                "flaskapp_apps[0].site = 'shop': no such site: define it in nginx_sites or as an app listed "
                "before this one"
            ],
        ),
        (
            {"nginx_sites": [{"name": "blog", "server_names": ["files.test"]}]},
            [
                "flaskapp_apps[1].name = 'blog': nginx_sites has a site of that name; the app's site would "
                "replace it"
            ],
        ),
        (
            {"nginx_sites": [{"name": "files", "server_names": ["blog.test"]}]},
            [
                "flaskapp_apps[1].server_names[0] = 'blog.test': server name already used by "
                "nginx_sites[0].server_names[0]; nginx would send its requests to one site only"
            ],
        ),
        (
            {"uwsgi_vassals": [{"name": "blog"}]},
            [
                "flaskapp_apps[1].name = 'blog': uwsgi_vassals[0] is a vassal of that name",
                "flaskapp_apps[1].name = 'blog': its socket /run/uwsgi/blog/socket is the socket of "
                "uwsgi_vassals[0]",
            ],
        ),
        (
            {"uwsgi_vassals": [{"name": "legacy", "options": {"socket": "/run/uwsgi/shop/socket"}}]},
            [
                "flaskapp_apps[0].name = 'shop': its socket /run/uwsgi/shop/socket is the socket of "
                "uwsgi_vassals[0]"
            ],
        ),
        (
            {"uwsgi_somaxconn": 1024},
            [
                "flaskapp_apps[0].uwsgi_options.listen = 2048: above uwsgi_somaxconn (1024), the kernel's "
                "cap on listen backlogs"
            ],
        ),
    ],
)
def test_flaskapp_problems_refuses(
    flaskapp_settings: dict[str, Any], changes: dict[str, Any], expected: list[str]
) -> None:
    settings = {**flaskapp_settings, "flaskapp_apps": [SHOP, BLOG, ADMIN], **changes}
    assert flaskapp.flaskapp_problems(settings) == expected


def test_flaskapp_problems_accepts_the_role_defaults(flaskapp_settings: dict[str, Any]) -> None:
    assert flaskapp.flaskapp_problems(flaskapp_settings) == []


def test_flaskapp_problems_accepts_apps(flaskapp_settings: dict[str, Any]) -> None:
    settings = {
        **flaskapp_settings,
        "flaskapp_apps": [SHOP, BLOG, ADMIN, {**BLOG, "name": "old", "state": "absent"}],
        "nginx_sites": [{"name": "files", "server_names": ["files.test"]}],
        "uwsgi_vassals": [{"name": "legacy"}],
        "flaskapp_only": ["blog"],
        "flaskapp_version": "v2.0.0",
        "flaskapp_rollback_release": "1a2b3c4d5e6f",
    }
    assert flaskapp.flaskapp_problems(settings) == []


def test_shared_layout_links_paths_to_their_directories_and_places_the_files() -> None:
    app = {
        "shared": [
            "instance",
            {"path": "venv/var/flaskr-instance/", "name": "instance"},
            {"path": "uploads"},
        ],
        "shared_files": [
            {"path": "venv/var/flaskr-instance/config.py", "content": "A = 1"},
            {"path": "instance/extra.cfg", "content": "B = 2"},
        ],
    }
    assert flaskapp.shared_layout(app) == {
        "links": [
            {"path": "instance", "name": "instance"},
            {"path": "venv/var/flaskr-instance", "name": "instance"},
            {"path": "uploads", "name": "uploads"},
        ],
        "dirs": ["instance", "uploads"],
        "files": [
            {"path": "venv/var/flaskr-instance/config.py", "content": "A = 1", "dest": "instance/config.py"},
            {"path": "instance/extra.cfg", "content": "B = 2", "dest": "instance/extra.cfg"},
        ],
    }
    assert flaskapp.shared_layout({}) == {"links": [], "dirs": [], "files": []}


@pytest.mark.parametrize("path", [".", "./", "venv", ".git", "src/.env", "static/.hidden/css"])
def test_static_paths_that_would_serve_code_or_secrets_are_refused(path: str) -> None:
    found = flaskapp.static_exposure_problems("s", path)
    assert len(found) == 1
    assert "nginx would serve it to anyone" in found[0]


@pytest.mark.parametrize("path", ["static", "src/pkg/static", "venv/lib/python3.11/site-packages/pkg/static"])
def test_static_directories_are_accepted(path: str) -> None:
    assert flaskapp.static_exposure_problems("s", path) == []
