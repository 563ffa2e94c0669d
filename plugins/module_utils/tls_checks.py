"""A site's `tls`, checked before anything changes: what an argument spec cannot say.

For every source: the site's server names must be names a certificate can hold (a host
name, or `*.` and a domain), and the TLS listen addresses and the redirect's port must be
valid. For `files`, the certificate and key the user gave are read here, on the
controller, with the `cryptography` package that ansible-core requires: both must parse,
the key must be the certificate's, the certificate must be valid now, and its names must
cover every server name of the site. For `acme`, the names must be ones an HTTP-01
challenge can prove (no wildcard, no address), and the nginx_acme_ settings must name an
https directory and, unless told otherwise, an email. The key is a secret: no problem
sentence ever shows it (its value is given as '(secret)').
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from ansible_collections.flaskstack.stack.plugins.module_utils.checks import check_positive, problem

LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# Names a certificate can hold: a host name, or a wildcard for one label of a domain.
CERT_NAME = re.compile(rf"(?:\*\.)?{LABEL}(?:\.{LABEL})+|{LABEL}")
SECRET = "(secret)"
EMAIL = re.compile(rf"[^@\s]+@{LABEL}(?:\.{LABEL})+")
ADDRESS = re.compile(r"[0-9.]+|.*:.*")


def name_covered(name: str, cert_names: list[str]) -> bool:
    """Whether a certificate naming CERT_NAMES is valid for host NAME (RFC 6125: a wildcard
    stands for exactly one whole label, the leftmost)."""
    name = name.lower()
    for cert_name in (n.lower() for n in cert_names):
        if cert_name == name:
            return True
        if cert_name.startswith("*.") and not name.startswith("*."):
            head, _, rest = name.partition(".")
            if head and rest == cert_name[2:]:
                return True
    return False


def certificate_names(certificate: Any) -> list[str]:
    """The DNS names of a certificate's subjectAltName (clients ignore its CN)."""
    from cryptography import x509

    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return extension.value.get_values_for_type(x509.DNSName)


def files_problems(
    where: str, tls: dict[str, Any], server_names: list[str], now: datetime.datetime
) -> list[str]:
    """The certificate (PEM: the site's first, then its chain) and key of a `files` source."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    found = []
    pem, key_pem = tls.get("certificate"), tls.get("key")
    if not isinstance(pem, str) or not pem.strip():
        found.append(problem(f"{where}.certificate", pem, "source files needs the certificate, in PEM"))
    if not isinstance(key_pem, str) or not key_pem.strip():
        found.append(problem(f"{where}.key", SECRET, "source files needs the certificate's key, in PEM"))
    if found:
        return found
    try:
        chain = x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        return [problem(f"{where}.certificate", "(not PEM)", "is not a PEM certificate")]
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    except (ValueError, TypeError):
        # TypeError: the key is encrypted; nginx would ask for a passphrase at every start.
        return [problem(f"{where}.key", SECRET, "is not an unencrypted PEM private key")]
    leaf = chain[0]
    subject = leaf.subject.rfc4514_string() or "(no subject)"
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    encoding = serialization.Encoding.DER
    if leaf.public_key().public_bytes(encoding, public) != key.public_key().public_bytes(encoding, public):
        found.append(problem(f"{where}.key", SECRET, f"is not the private key of the certificate {subject}"))
    if leaf.not_valid_after_utc <= now:
        found.append(
            problem(
                f"{where}.certificate",
                subject,
                f"expired on {leaf.not_valid_after_utc:%Y-%m-%d %H:%M} UTC; give a current certificate",
            )
        )
    elif leaf.not_valid_before_utc > now:
        found.append(
            problem(
                f"{where}.certificate",
                subject,
                f"is not valid before {leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC",
            )
        )
    names = certificate_names(leaf)
    uncovered = [name for name in server_names if isinstance(name, str) and not name_covered(name, names)]
    if uncovered:
        found.append(
            problem(
                f"{where}.certificate",
                subject,
                f"does not cover the server name(s) {', '.join(uncovered)};"
                f" it names {', '.join(names) or 'none'}",
            )
        )
    return found


def tls_problems(
    where: str,
    tls: Any,
    server_names: list[str],
    names_where: str,
    now: datetime.datetime | None = None,
) -> list[str]:
    """Problems of a site's `tls` (WHERE), given its SERVER_NAMES (at NAMES_WHERE)."""
    from ansible_collections.flaskstack.stack.plugins.module_utils.nginx_checks import check_listen

    if not isinstance(tls, dict):
        return [problem(where, tls, "must be a dictionary with at least source")]
    now = now or datetime.datetime.now(datetime.UTC)
    found = []
    for index, name in enumerate(server_names):
        if isinstance(name, str) and not CERT_NAME.fullmatch(name):
            found.append(
                problem(
                    f"{names_where}[{index}]",
                    name,
                    "a site with tls needs names a certificate can hold: host names, or *. and a domain",
                )
            )
    for index, listen in enumerate(tls.get("listen") or []):
        found += check_listen(f"{where}.listen[{index}]", listen)
    if tls.get("redirect_port") is not None:
        found += check_positive(f"{where}.redirect_port", tls["redirect_port"])
        if isinstance(tls["redirect_port"], int) and tls["redirect_port"] > 65535:
            found.append(problem(f"{where}.redirect_port", tls["redirect_port"], "must be a port, to 65535"))
    if tls.get("hsts_max_age") is not None:
        found += check_positive(f"{where}.hsts_max_age", tls["hsts_max_age"], minimum=0)
    source = tls.get("source")
    if source == "files":
        found += files_problems(where, tls, [n for n in server_names if isinstance(n, str)], now)
    elif source == "acme":
        found += acme_names_problems(names_where, server_names)
    if source in ("selfsigned", "acme"):
        for name in ("certificate", "key"):
            if tls.get(name):
                found.append(
                    problem(
                        f"{where}.{name}",
                        SECRET if name == "key" else "(given)",
                        "only source files takes a certificate and key",
                    )
                )
    elif source != "files":
        found.append(problem(f"{where}.source", source, "allowed: acme, selfsigned, files"))
    return found


def acme_names_problems(names_where: str, server_names: list[Any]) -> list[str]:
    """Names an ACME server proves over HTTP-01: each is a host name it reaches on port 80."""
    found = []
    for index, name in enumerate(server_names):
        if not isinstance(name, str):
            continue
        if name.startswith("*."):
            found.append(
                problem(
                    f"{names_where}[{index}]",
                    name,
                    "source acme proves names over HTTP-01, which cannot prove a wildcard:"
                    " name each host, or use source files",
                )
            )
        elif ADDRESS.fullmatch(name):
            found.append(
                problem(f"{names_where}[{index}]", name, "source acme needs a DNS name, not an address")
            )
    return found


def acme_settings_problems(settings: dict[str, Any], needed: bool) -> list[str]:
    """The nginx_acme_ variables (SETTINGS: name -> value); the email only when NEEDED (a
    site asks for an ACME certificate)."""
    found = []
    directory = settings["nginx_acme_directory"]
    if not isinstance(directory, str) or not re.fullmatch(r"https://[^/\s]+(/\S*)?", directory):
        found.append(
            problem(
                "nginx_acme_directory",
                directory,
                "must be the https URL of the ACME server's directory"
                " (ACME runs over HTTPS only, RFC 8555), such as https://acme-v02.api.letsencrypt.org/directory",
            )
        )
    from ansible_collections.flaskstack.stack.plugins.module_utils.nginx_checks import check_address

    for index, peer in enumerate(settings.get("nginx_acme_peers") or []):
        if isinstance(peer, str) and peer.startswith("unix:"):
            found.append(
                problem(f"nginx_acme_peers[{index}]", peer, "must be HOST:PORT, such as 10.0.0.12:80")
            )
        else:
            found += check_address(f"nginx_acme_peers[{index}]", peer)
    email = settings["nginx_acme_email"]
    if email and not (isinstance(email, str) and EMAIL.fullmatch(email)):
        found.append(problem("nginx_acme_email", email, "must be an email address, such as ops@example.com"))
    if needed and not email and settings["nginx_acme_email_required"]:
        found.append(
            problem(
                "nginx_acme_email",
                email,
                f"a site asks for an ACME certificate and {directory} wants a contact address"
                " (expiry and policy notices): give one, or set nginx_acme_email_required: false"
                " for a directory that takes accounts without one",
            )
        )
    return found
