"""Open-data crypto: the official test vectors, and wechatpy decrypting what the mock encrypts."""
from __future__ import annotations

import json

import pytest
from wechatpy.crypto import WeChatWxaCrypto

from support import mint
from mockserver.wechat import crypto

# WeChat's published demo (appid, session_key, iv, ciphertext) and rawData signature example.
DEMO_APPID = "wx4f4bc4dec97d474b"
DEMO_SESSION_KEY = "tiihtNczf5v6AKRyjwEUhQ=="
DEMO_IV = "r7BXXKkLb8qrSNn05n0qiA=="
DEMO_ENCRYPTED = (
    "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+"
    "3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6"
    "/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs"
    "8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns"
    "/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG"
    "20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew=="
)
DEMO_RAW_DATA = ('{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong",'
                 '"country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKA'
                 'Rol6503Iuswjjn6nIGBiaycAjAtpujxyzYsrztuuICqIM5ibXQ/0"}')


def test_official_vector_decrypts():
    data = crypto.decrypt_data(DEMO_SESSION_KEY, DEMO_IV, DEMO_ENCRYPTED)
    assert data["openId"] == "oGZUI0egBJY1zhBYw2KhdUfwVJJE"
    assert data["watermark"]["appid"] == DEMO_APPID


def test_official_vector_round_trips_through_encrypt():
    data = crypto.decrypt_data(DEMO_SESSION_KEY, DEMO_IV, DEMO_ENCRYPTED)
    again = crypto.encrypt_data(DEMO_SESSION_KEY, DEMO_IV, data)
    assert crypto.decrypt_data(DEMO_SESSION_KEY, DEMO_IV, again) == data


def test_official_signature_example():
    assert crypto.raw_data_signature(DEMO_RAW_DATA, "HyVFkGl5F5OQWJZZaNzBBg==") == \
        "75e81ceda165f4ffa64f4068af58c64b8f54b88c"


@pytest.mark.parametrize("key, iv, data", [
    ("not base64!", DEMO_IV, DEMO_ENCRYPTED),
    (DEMO_SESSION_KEY, "AAAA", DEMO_ENCRYPTED),
    ("HyVFkGl5F5OQWJZZaNzBBg==", DEMO_IV, DEMO_ENCRYPTED),  # wrong key
    (DEMO_SESSION_KEY, DEMO_IV, DEMO_ENCRYPTED[:-8]),
])
def test_bad_inputs_raise_decrypt_error(key, iv, data):
    with pytest.raises(crypto.DecryptError):
        crypto.decrypt_data(key, iv, data)


def decrypted_by_wechatpy(client, wx_app, alias, kind):
    """Log in, get the encrypted data the mini program would, exchange the code as the backend
    does, and decrypt with wechatpy: (session, encrypted data, plaintext)."""
    minted = mint(client, wx_app["appid"], alias)
    data = client.post("/__mock__/wechat/encrypted-data",
                       json={"appid": wx_app["appid"], "user": alias, "kind": kind}).get_json()
    session = client.get("/sns/jscode2session", query_string={
        "appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": minted["code"]}).get_json()
    crypto_ = WeChatWxaCrypto(session["session_key"], data["iv"], wx_app["appid"])
    return session, data, crypto_.decrypt_message(data["encryptedData"])


def test_wechatpy_decrypts_user_info_from_the_mock(client, wx_app, alias):
    session, data, info = decrypted_by_wechatpy(client, wx_app, alias, "userInfo")

    user = client.get(f"/__mock__/users/{alias}").get_json()
    assert info["openId"] == session["openid"] and info["unionId"] == session["unionid"]
    assert info["nickName"] == user["nickname"] and info["avatarUrl"] == user["avatar_url"]
    assert json.loads(data["rawData"]) == {k: info[k] for k in json.loads(data["rawData"])}
    assert data["signature"] == crypto.raw_data_signature(data["rawData"], session["session_key"])


def test_wechatpy_decrypts_phone_number_from_the_mock(client, wx_app, alias):
    _, _, info = decrypted_by_wechatpy(client, wx_app, alias, "phoneNumber")
    phone = client.get(f"/__mock__/users/{alias}").get_json()["phone"]
    assert info["purePhoneNumber"] == phone and info["countryCode"] == "86"


def test_encrypted_data_before_any_login_uses_the_session_a_login_then_replaces(client, wx_app, alias):
    early = client.post("/__mock__/wechat/encrypted-data", json={"appid": wx_app["appid"], "user": alias}).get_json()
    openid = client.get(f"/__mock__/users/{alias}").get_json()["apps"][wx_app["appid"]]["openid"]
    checked = client.application.extensions["mockserver"].wechat.session_key(wx_app["appid"], openid)
    assert crypto.raw_data_signature(early["rawData"], checked) == early["signature"]
    # a login renews the session key: data sealed before it no longer matches, as on a phone
    session, data, _ = decrypted_by_wechatpy(client, wx_app, alias, "userInfo")
    assert session["session_key"] != checked
    with pytest.raises(crypto.DecryptError):
        crypto.decrypt_data(session["session_key"], early["iv"], early["encryptedData"])
