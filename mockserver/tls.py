"""``--tls``: a self-signed certificate for the mock, made once and reused.

Clients trust it by its path (``curl --cacert``, ``REQUESTS_CA_BUNDLE``, ``NODE_EXTRA_CA_CERTS``).
The certificate names localhost, 127.0.0.1, ::1 and the bound host, and lasts a year; a missing,
expired or foreign-named one is made anew.
"""
from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path
from typing import List, Tuple

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
