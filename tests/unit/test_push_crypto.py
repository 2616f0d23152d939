"""Message-push crypto: byte for byte what wechatpy's own encryptor (WXBizMsgCrypt's scheme: 32-byte
PKCS#7 blocks, the appid at the end) makes of the same message and random prefix."""
from __future__ import annotations

import pytest
from wechatpy.crypto import PrpCrypto, WeChatCrypto

from mockserver.wechat import crypto

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx00000000000000aa"


@pytest.mark.parametrize("length", [0, 1, 8, 15, 16, 17, 31, 32, 33, 100])  # every padding case
def test_the_ciphertext_is_wechatpys(monkeypatch, length):
    message = "x" * length
    prefix = "0123456789abcdef"
    monkeypatch.setattr(PrpCrypto, "get_random_string", lambda self: prefix)
    theirs = PrpCrypto(crypto.push_aes_key(AES_KEY)).encrypt(message, APPID).decode()
    assert crypto.encrypt_push(AES_KEY, APPID, message, prefix.encode()) == theirs


def test_signatures_are_sha1_of_the_sorted_parts():
    # WeChat's documented example: Token AAAAA, timestamp 1714036504, nonce 1514711492
    assert crypto.push_signature("AAAAA", "1714036504", "1514711492") == "f464b24fc39322e44b38aa78f5edd27bd1441696"
    encrypted = crypto.encrypt_push(AES_KEY, APPID, "<xml/>", b"0" * 16)
    signature = crypto.push_signature("AAAAA", "1", "2", encrypted)
    assert WeChatCrypto("AAAAA", AES_KEY, APPID).decrypt_message(
        {"Encrypt": encrypted}, signature, "1", "2") == "<xml/>"
