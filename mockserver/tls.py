"""``--tls``: a self-signed certificate for the mock, made once and reused; ``--proxy-port``: a local
CA and the certificate it signs for the emulated hosts.

Clients trust it by its path (``curl --cacert``, ``REQUESTS_CA_BUNDLE``, ``NODE_EXTRA_CA_CERTS``).
The certificate names localhost, 127.0.0.1, ::1 and the bound host, and lasts a year; a missing,
expired or foreign-named one is made anew.
"""
from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path
from typing import Any, List, NamedTuple, Sequence, Set, Tuple

DEFAULT_DIR = Path.home() / ".cache" / "mockserver" / "tls"


def _names(host: str) -> List[str]:
    names = ["localhost", "127.0.0.1", "::1"]
    if host not in names and host not in ("0.0.0.0", "::", ""):
        names.append(host)
    return names


def ensure_certificate(host: str, directory: Path = DEFAULT_DIR) -> Tuple[Path, Path]:
    """(certificate, private key) PEM paths for serving ``host``, generated when needed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    now = datetime.datetime.now(datetime.timezone.utc)
    wanted = _names(host)
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        present = {str(v) for v in san.get_values_for_type(x509.DNSName)} | \
                  {str(v) for v in san.get_values_for_type(x509.IPAddress)}
        if cert.not_valid_after_utc > now + datetime.timedelta(days=1) and \
                {str(ipaddress.ip_address(n)) if _is_ip(n) else n for n in wanted} <= present:
            return cert_path, key_path

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mockserver local CA"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mockserver (for tests only)")])
    alt_names = [x509.IPAddress(ipaddress.ip_address(n)) if _is_ip(n) else x509.DNSName(n) for n in wanted]
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_path.touch(mode=0o600)
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


class ProxyCertificates(NamedTuple):
    """``--proxy-port``'s PEM files: the local CA clients trust, and the emulated hosts' certificate."""

    ca: Path
    cert: Path
    key: Path


def ensure_proxy_certificates(names: Sequence[str], directory: Path = DEFAULT_DIR) -> ProxyCertificates:
    """A local CA (made once, kept ten years) and a certificate it signs for ``names`` (host names,
    wildcards allowed), made anew when missing, expiring or naming other hosts."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    files = ProxyCertificates(directory / "proxy-ca.pem", directory / "proxy-cert.pem", directory / "proxy-key.pem")
    ca_key_path = directory / "proxy-ca-key.pem"
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, ca = _load(files.ca, ca_key_path, now)
    if ca_key is None or ca is None:
        ca_key = _new_key(ca_key_path)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mockserver proxy local CA"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mockserver (for tests only)")])
        ca = (_builder(name, name, ca_key.public_key(), now, days=3650)
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                           key_encipherment=False, data_encipherment=False, key_agreement=False,
                                           key_cert_sign=True, crl_sign=True, encipher_only=False,
                                           decipher_only=False), critical=True)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
        files.ca.write_bytes(_pem(ca))
        files.cert.unlink(missing_ok=True)  # signed by the CA this one replaces
    key, cert = _load(files.cert, files.key, now)
    if key is None or cert is None or _dns_names(cert) != set(names) or cert.issuer != ca.subject:
        key = _new_key(files.key)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
        cert = (_builder(subject, ca.subject, key.public_key(), now, days=365)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        files.cert.write_bytes(_pem(cert))
    return files


def _load(cert_path: Path, key_path: Path, now: datetime.datetime) -> Tuple[Any, Any]:
    """(key, certificate) from PEM files, or (None, None) when missing, unreadable or expiring."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError):
        return None, None
    if cert.not_valid_after_utc < now + datetime.timedelta(days=1):
        return None, None
    return key, cert


def _new_key(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    path.unlink(missing_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return key


def _builder(subject: Any, issuer: Any, public_key: Any, now: datetime.datetime, days: int) -> Any:
    from cryptography import x509

    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days)))


def _pem(cert: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM)


def _dns_names(cert: Any) -> Set[str]:
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {str(name) for name in san.get_values_for_type(x509.DNSName)}
