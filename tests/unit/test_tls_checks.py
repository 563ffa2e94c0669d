"""A site's `tls`, checked on the controller (plugins/module_utils/tls_checks.py)."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.flaskstack.stack.plugins.module_utils import tls_checks as tls
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)


def pair(names: list[str], not_before: int = -1, not_after: int = 90) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else "x")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + datetime.timedelta(days=not_before))
        .not_valid_after(NOW + datetime.timedelta(days=not_after))
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
    certificate = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


CERT, KEY = pair(["shop.test", "*.shop.test"])


def check(site_tls: dict, names: list[str]) -> list[str]:
    return tls.tls_problems("s.tls", site_tls, names, "s.server_names", now=NOW)


@pytest.mark.parametrize(
    ("name", "cert_names", "covered"),
    [
        ("shop.test", ["shop.test"], True),
        ("SHOP.test", ["shop.TEST"], True),
        ("www.shop.test", ["*.shop.test"], True),
        ("a.b.shop.test", ["*.shop.test"], False),
        ("shop.test", ["*.shop.test"], False),
        ("*.shop.test", ["*.shop.test"], True),
        ("*.shop.test", ["www.shop.test"], False),
        ("other.test", ["shop.test"], False),
    ],
)
def test_name_covered(name: str, cert_names: list[str], covered: bool) -> None:
    assert tls.name_covered(name, cert_names) is covered


def test_files_that_fit_the_site_pass() -> None:
    assert check({"source": "files", "certificate": CERT, "key": KEY}, ["shop.test", "www.shop.test"]) == []


def test_a_key_of_another_certificate_is_refused_without_showing_it() -> None:
    _, other_key = pair(["shop.test"])
    found = check({"source": "files", "certificate": CERT, "key": other_key}, ["shop.test"])
    assert found == ["s.tls.key = '(secret)': is not the private key of the certificate CN=shop.test"]


def test_expired_and_future_certificates_are_refused() -> None:
    expired, key = pair(["shop.test"], -90, -1)
    assert (
        "expired on 2026-11-30"
        in check({"source": "files", "certificate": expired, "key": key}, ["shop.test"])[0]
    )
    future, key = pair(["shop.test"], 2, 90)
    assert (
        "is not valid before 2026-12-03"
        in check({"source": "files", "certificate": future, "key": key}, ["shop.test"])[0]
    )


def test_names_the_certificate_does_not_cover_are_listed() -> None:
    found = check(
        {"source": "files", "certificate": CERT, "key": KEY}, ["shop.test", "a.b.shop.test", "x.test"]
    )
    assert found == [
        "s.tls.certificate = 'CN=shop.test': does not cover the server name(s) a.b.shop.test, x.test;"
        " it names shop.test, *.shop.test"
    ]


def test_a_certificate_without_subject_alternative_names_covers_nothing() -> None:
    bare, key = pair([])
    assert "it names none" in check({"source": "files", "certificate": bare, "key": key}, ["x"])[0]


def test_missing_and_unreadable_files_are_refused() -> None:
    assert check({"source": "files"}, ["shop.test"]) == [
        "s.tls.certificate = None: source files needs the certificate, in PEM",
        "s.tls.key = '(secret)': source files needs the certificate's key, in PEM",
    ]
    assert check({"source": "files", "certificate": "x", "key": KEY}, ["shop.test"]) == [
        "s.tls.certificate = '(not PEM)': is not a PEM certificate"
    ]
    found = check(
        {"source": "files", "certificate": CERT, "key": "-----BEGIN PRIVATE KEY-----\nxx"}, ["shop.test"]
    )
    assert found == ["s.tls.key = '(secret)': is not an unencrypted PEM private key"]


def test_server_names_a_certificate_cannot_hold_are_refused() -> None:
    found = check({"source": "selfsigned"}, ["_", ".shop.test", "shop.*", "shop.test", "*.shop.test"])
    assert [f.split(" = ")[0] for f in found] == [
        "s.server_names[0]",
        "s.server_names[1]",
        "s.server_names[2]",
    ]


def test_selfsigned_takes_no_files_and_other_settings_are_checked() -> None:
    found = check(
        {
            "source": "selfsigned",
            "key": KEY,
            "listen": ["443 sl"],
            "redirect_port": 70000,
            "hsts_max_age": -1,
        },
        ["shop.test"],
    )
    assert found == [
        "s.tls.listen[0] = '443 sl': unknown parameter 'sl'",
        "s.tls.redirect_port = 70000: must be a port, to 65535",
        "s.tls.hsts_max_age = -1: must be a whole number of at least 0",
        "s.tls.key = '(secret)': only source files takes a certificate and key",
    ]
    assert "PRIVATE KEY" not in " ".join(found)


def test_acme_proves_host_names_only() -> None:
    assert check({"source": "acme"}, ["shop.test", "www.shop.test"]) == []
    found = check({"source": "acme", "key": KEY}, ["*.shop.test", "192.0.2.1", "shop.test"])
    assert found == [
        "s.server_names[0] = '*.shop.test': source acme proves names over HTTP-01,"
        " which cannot prove a wildcard: name each host, or use source files",
        "s.server_names[1] = '192.0.2.1': source acme needs a DNS name, not an address",
        "s.tls.key = '(secret)': only source files takes a certificate and key",
    ]


ACME = {
    "nginx_acme_directory": "https://acme.test/dir",
    "nginx_acme_email": "",
    "nginx_acme_email_required": True,
}


def test_acme_settings() -> None:
    assert tls.acme_settings_problems(ACME, needed=False) == []
    assert tls.acme_settings_problems({**ACME, "nginx_acme_email": "ops@shop.test"}, needed=True) == []
    assert tls.acme_settings_problems({**ACME, "nginx_acme_email_required": False}, needed=True) == []
    missing = tls.acme_settings_problems(ACME, needed=True)
    assert len(missing) == 1
    assert missing[0].startswith("nginx_acme_email = '': a site asks for an ACME certificate")
    found = tls.acme_settings_problems(
        {**ACME, "nginx_acme_directory": "http://acme.test/dir", "nginx_acme_email": "ops"}, needed=True
    )
    assert [p.split(" = ")[0] for p in found] == ["nginx_acme_directory", "nginx_acme_email"]
    assert "https URL" in found[0]


def test_acme_peers_are_host_and_port() -> None:
    assert (
        tls.acme_settings_problems({**ACME, "nginx_acme_peers": ["lb2:80", "10.0.0.3:8080"]}, needed=False)
        == []
    )
    found = tls.acme_settings_problems(
        {**ACME, "nginx_acme_peers": ["lb2", "unix:/run/x", "lb3:80;"]}, needed=False
    )
    assert [p.split(" = ")[0] for p in found] == [
        "nginx_acme_peers[0]",
        "nginx_acme_peers[1]",
        "nginx_acme_peers[2]",
    ]
