"""Passwords as clients send them: in clear, or encrypted with the RSA public key the mock publishes
(``GET /api/v2/.well-known``, ``GET /api/v3/system``), as Authing's SDKs do it.

- v2 SDKs (authing-js-sdk 4.x, PyPI authing 4.x) always encrypt: RSA PKCS#1 v1.5 with the public
  key, base64. The v2 GraphQL mutations therefore read every password as encrypted.
- v3 clients send the password in clear unless ``passwordEncryptType`` says ``rsa`` (``none``, or
  absent, is clear). ``sm2`` is refused: the mock has no SM2 key (2016, as a password it cannot decrypt).

The key is ``mockserver/data/authing-password-key.pem`` (test-only, public: anyone can decrypt what
a client encrypted for the mock), loaded on first use.
"""
from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import errors as E
from .errors import AuthingError, bad_request
from .passwords import MAX_LENGTH as MAX_PASSWORD_LENGTH

PASSWORD_KEY = Path(__file__).resolve().parent.parent / "data" / "authing-password-key.pem"
ENCRYPT_TYPES = ("none", "rsa", "sm2")


@lru_cache(maxsize=1)
def _private_key() -> Any:
    from cryptography.hazmat.primitives import serialization  # on first use: start-up time

    return serialization.load_pem_private_key(PASSWORD_KEY.read_bytes(), password=None)


@lru_cache(maxsize=1)
def public_key_pem() -> str:
    """The PEM (SubjectPublicKeyInfo) clients encrypt passwords with."""
    from cryptography.hazmat.primitives import serialization

    return _private_key().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def undecryptable() -> AuthingError:
    return AuthingError(E.DECRYPT_FAILED, "解密客户端密码出错")


def decrypted(value: Any) -> str:
    """The clear text of a password encrypted with the public key (2016 when it is not one).

    A ciphertext a few bytes short of the key's size is read with zeros in front, as OpenSSL (and so
    Authing's Node service) reads it: the JSEncrypt that authing-js-sdk bundles drops a leading zero
    byte, one password in about 170 (measured: 18 of 3,000 came out 255 bytes long for a 256-byte key)."""
    from cryptography.hazmat.primitives.asymmetric import padding

    if not isinstance(value, str) or not value:
        raise undecryptable()
    key = _private_key()
    try:
        ciphertext = base64.b64decode(value, validate=True)
        clear = key.decrypt(ciphertext.rjust(key.key_size // 8, b"\0"), padding.PKCS1v15())
        return clear.decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise undecryptable() from None


def password_given(value: Any, encrypt_type: Any = "none") -> str:
    """A password as a v3 client sent it (``encrypt_type`` ``none``, ``rsa`` or ``sm2``), in clear."""
    if encrypt_type is None:
        encrypt_type = "none"
    if encrypt_type not in ENCRYPT_TYPES:
        raise bad_request("passwordEncryptType 只能是 none、rsa 或 sm2")
    if encrypt_type == "sm2":
        raise undecryptable()
    clear = decrypted(value) if encrypt_type == "rsa" else value
    return checked_password(clear)


def checked_password(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise AuthingError(E.PASSWORD_REQUIRED, "请提供密码")
    if len(value) > MAX_PASSWORD_LENGTH:
        raise bad_request(f"密码不能超过 {MAX_PASSWORD_LENGTH} 个字符")
    return value
