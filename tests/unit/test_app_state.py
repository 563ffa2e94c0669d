"""The fast path of a converge: the fingerprint filter (plugins/filter/flaskapp.py) and the
helper that records and checks an app's state on the host (roles/flaskapp/files/
flaskstack-app-state), run here against real files in a temporary directory."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ansible_collections.flaskstack.stack.plugins.filter.flaskapp import flaskapp_fingerprint

HELPER = Path(__file__).resolve().parents[2] / "roles" / "flaskapp" / "files" / "flaskstack-app-state"
APP = {"name": "shop", "module": "shop:app", "server_names": ["shop.test"]}


def helper(*args: str, stdin: object) -> str:
    done = subprocess.run(
        [sys.executable, str(HELPER), *args],
        input=json.dumps(stdin),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def health() -> Iterator[dict]:
    """A health URL whose status the test sets (status["code"]), which records the Host header."""
    status = {"code": 200, "hosts": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status["hosts"].append(self.headers["Host"])
            self.send_response(status["code"])
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    status["url"] = f"http://127.0.0.1:{server.server_port}/healthz"
    yield status
    server.shutdown()


@pytest.fixture
def deployed(tmp_path: Path) -> dict:
    """An app's files as a deploy leaves them, and its record."""
    root = tmp_path / "srv" / "shop"
    (root / "releases" / "abc").mkdir(parents=True)
    (root / "current").symlink_to("releases/abc")
    (root / "wsgi.py").write_text("application = None\n")
    (root / "wsgi.py").chmod(0o644)
    state = tmp_path / "state"
    state.mkdir()
    paths = [str(root), str(root / "current"), str(root / "wsgi.py"), "user:root"]
    member = "/etc/nginx/members.d/shop/app1.conf"
    members = {"lb1": [f"{member} 0:0 644", f"f00  {member}"]}
    wanted = {"fingerprint": "f1", "paths": paths, "members": members}
    assert helper("record", str(state), "shop", stdin=wanted) == "recorded"
    return {"root": root, "state": state, "wanted": wanted}


def check(deployed: dict, health: dict, **changes: object) -> str:
    query = {
        "name": "shop",
        "fingerprint": "f1",
        "members": deployed["wanted"]["members"],
        "health_url": health["url"],
        "host": "shop.test",
    }
    (answer,) = json.loads(helper("check", str(deployed["state"]), stdin=[query | changes])).values()
    return answer


def test_an_app_as_its_record_says_and_healthy_is_unchanged(deployed: dict, health: dict) -> None:
    assert check(deployed, health) == "unchanged"
    assert health["hosts"] == ["shop.test"]
    # Recording the same state again is no change.
    assert helper("record", str(deployed["state"]), "shop", stdin=deployed["wanted"]) == "same"
    assert oct(os.stat(deployed["state"] / "shop.json").st_mode & 0o777) == "0o600"


def test_what_a_record_does_not_hold_is_named(deployed: dict, health: dict) -> None:
    assert check(deployed, health, fingerprint="f2") == "its definition, release or the roles changed"
    assert check(deployed, health, fingerprint="") == "its release is known only after a fetch on the host"
    assert check(deployed, health, name="other") == "no record of a deploy"
    assert check(deployed, health, members={}) == "its member files on the balancers changed"
    health["code"] = 502
    assert check(deployed, health) == "health URL answered 502"


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda root: (root / "wsgi.py").write_text("application = 1\n"), "wsgi.py"),
        (lambda root: (root / "wsgi.py").chmod(0o666), "wsgi.py"),
        (lambda root: (root / "wsgi.py").unlink(), "wsgi.py"),
        (lambda root: ((root / "current").unlink(), (root / "current").symlink_to("old")), "current"),
        (lambda root: (root / "releases" / "abc").rmdir(), "current"),
        (lambda root: root.chmod(0o700), ""),
    ],
    ids=["content", "mode", "deleted", "link target", "link dangles", "directory mode"],
)
def test_a_path_changed_by_hand_is_found(
    deployed: dict, health: dict, edit: Callable[[Path], object], path: str
) -> None:
    edit(deployed["root"])
    assert check(deployed, health) == f"{deployed['root'] / path if path else deployed['root']} changed"


def test_accounts_are_recorded_by_their_ids_and_a_missing_one_as_missing(deployed: dict) -> None:
    wanted = dict(deployed["wanted"], paths=["user:root", "group:root", "user:no-such-user-here"])
    helper("record", str(deployed["state"]), "shop", stdin=wanted)
    record = json.loads((deployed["state"] / "shop.json").read_text())
    assert record["paths"] == {
        "user:root": "0:0:/root:/bin/bash",
        "group:root": "0",
        "user:no-such-user-here": "missing",
    }


def test_the_fingerprint_moves_with_each_input_and_is_empty_without_a_release() -> None:
    base = flaskapp_fingerprint(APP, "abc", {"flaskapp_base_dir": "/srv"})
    assert base == flaskapp_fingerprint(dict(APP), "abc", {"flaskapp_base_dir": "/srv"})
    assert base != flaskapp_fingerprint(dict(APP, module="shop:other"), "abc", {"flaskapp_base_dir": "/srv"})
    assert base != flaskapp_fingerprint(APP, "abd", {"flaskapp_base_dir": "/srv"})
    assert base != flaskapp_fingerprint(APP, "abc", {"flaskapp_base_dir": "/opt"})
    assert flaskapp_fingerprint(APP, "", {}) == ""
    assert len(base) == 64


def test_the_helper_says_how_to_call_it() -> None:
    done = subprocess.run([sys.executable, str(HELPER)], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "record STATE_DIR APP" in done.stderr


def test_health_over_https_names_the_site_in_the_handshake(tmp_path: Path) -> None:
    """`health` and `check` reach an https health URL at an address, the TLS handshake
    naming the site (SNI) as a client's would; the certificate is not theirs to judge."""
    import datetime
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shop.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    seen: dict[str, list] = {"sni": [], "hosts": []}
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")

    def sni(_socket: object, server_name: str | None, _context: object) -> None:
        seen["sni"].append(server_name)
        # Like nginx's catch-all (ssl_reject_handshake): no name, no handshake.
        return None if server_name else ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME

    context.sni_callback = sni

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen["hosts"].append(self.headers["Host"])
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{server.server_port}/healthz"
        answer = json.loads(helper("health", url, "shop.test", stdin=None))
        assert (answer["status"], answer["content"]) == (200, "ok")
        assert seen == {"sni": ["shop.test"], "hosts": ["shop.test"]}
        gone = json.loads(helper("health", "https://127.0.0.1:1/healthz", "shop.test", stdin=None))
        assert gone["status"] == 0
        assert gone["msg"].startswith("unreachable")
    finally:
        server.shutdown()


def test_a_certificate_near_its_end_runs_the_full_deploy(
    deployed: dict, health: dict, tmp_path: Path
) -> None:
    """A self-signed certificate is made again by the full deploy 30 days before it expires."""
    for days in (10, 90):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-days", str(days), "-subj", "/CN=shop.test", "-keyout", str(tmp_path / f"{days}.key"),
             "-out", str(tmp_path / f"{days}.pem")],
            check=True, capture_output=True,
        )  # fmt: skip
    soon = str(tmp_path / "10.pem")
    assert check(deployed, health, certificates=[soon]) == f"{soon} expires within 30 days"
    assert check(deployed, health, certificates=[str(tmp_path / "90.pem")]) == "unchanged"
