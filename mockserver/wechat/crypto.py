"""The cryptography of WeChat's open data, as the mini program and servers see it.

- ``encryptedData``: AES-128-CBC, key = base64-decoded session_key, PKCS#7 padding, base64.
- ``signature`` of ``rawData``: sha1(rawData + session_key), lowercase hex.
- checksession ``signature``: HMAC-SHA256 keyed with the session_key string's bytes, over "".
- Message push (WXBizMsgCrypt): ``signature``/``msg_signature`` = sha1 of the sorted Token,
  timestamp, nonce (and ciphertext); the ciphertext is AES-256-CBC, key = base64 of the 43-character
  EncodingAESKey + "=", iv = the key's first 16 bytes, over 16 random bytes, the message's length
  (4 bytes, big-endian), the message and the appid, PKCS#7-padded to a multiple of 32 bytes.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import struct

from ..http import INVALID_JSON, parse_json


class DecryptError(ValueError):
    """Ciphertext, key or iv that do not decrypt to JSON."""


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise DecryptError("not base64") from None


def _aes128_cbc(key: bytes, iv: bytes):
    """The cipher and its PKCS#7 padding (cryptography is imported on first use, out of start-up)."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    return Cipher(algorithms.AES(key), modes.CBC(iv)), padding.PKCS7(128)


def encrypt_data(session_key: str, iv: str, payload: dict) -> str:
    plaintext = dumps(payload).encode()
    cipher, pkcs7 = _aes128_cbc(_b64(session_key), _b64(iv))
    padder = pkcs7.padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = cipher.encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def decrypt_data(session_key: str, iv: str, encrypted_data: str) -> dict:
    key, iv_bytes, data = _b64(session_key), _b64(iv), _b64(encrypted_data)
    if len(key) != 16 or len(iv_bytes) != 16 or not data or len(data) % 16:
        raise DecryptError("bad key, iv or ciphertext length")
    cipher, pkcs7 = _aes128_cbc(key, iv_bytes)
    decryptor = cipher.decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    try:
        unpadder = pkcs7.unpadder()
        plaintext = unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise DecryptError("does not decrypt to JSON") from None
    payload = parse_json(plaintext)  # nesting bounded: a client that knows its session key chooses it
    if payload is INVALID_JSON:
        raise DecryptError("does not decrypt to JSON")
    if not isinstance(payload, dict):
        raise DecryptError("does not decrypt to a JSON object")
    return payload


PUSH_BLOCK = 32  # WXBizMsgCrypt pads to 32 bytes, not AES's 16


def push_aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte key an EncodingAESKey (43 letters or digits, checked by ``push.check_push``) stands for."""
    return _b64(encoding_aes_key + "=")


def push_signature(*parts: str) -> str:
    """sha1 over the sorted parts: ``signature`` (Token, timestamp, nonce) and ``msg_signature``
    (the same and the ciphertext)."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def encrypt_push(encoding_aes_key: str, appid: str, message: str, random16: bytes) -> str:
    """A pushed message encrypted as WeChat's WXBizMsgCrypt does (base64)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = push_aes_key(encoding_aes_key)
    body = message.encode()
    plain = random16 + struct.pack(">I", len(body)) + body + appid.encode()
    pad = PUSH_BLOCK - len(plain) % PUSH_BLOCK
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()).decode()


def raw_data_signature(raw_data: str, session_key: str) -> str:
    return hashlib.sha1((raw_data + session_key).encode()).hexdigest()


def session_signature(session_key: str) -> str:
    """What ``/wxa/checksession`` expects for ``sig_method=hmac_sha256``."""
    return hmac.new(session_key.encode(), b"", hashlib.sha256).hexdigest()


def dumps(value) -> str:
    """Compact JSON as WeChat writes it (rawData, response bodies): no spaces, UTF-8 kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
