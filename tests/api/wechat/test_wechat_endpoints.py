"""The other WeChat endpoints backends call, through wechatpy where it has a method."""
from __future__ import annotations

import io
import re

import pytest
from wechatpy.exceptions import WeChatClientException

from support import RID, wechat_session
from mockserver.wechat import crypto


def test_get_user_phone_number(client, wx_app, alias, token):
    code = client.post("/__mock__/wechat/phone-code", json={"appid": wx_app["appid"], "user": alias}).get_json()
    assert code["errMsg"] == "getPhoneNumber:ok" and len(code["code"]) == 64
    url = f"/wxa/business/getuserphonenumber?access_token={token}"
    answer = client.post(url, data=f'{{"code":"{code["code"]}"}}').get_json()
    phone = client.get(f"/__mock__/users/{alias}").get_json()["phone"]
    assert answer["errcode"] == 0 and answer["errmsg"] == "ok"
    info = answer["phone_info"]
    assert info["phoneNumber"] == info["purePhoneNumber"] == phone
    assert info["countryCode"] == "86" and info["watermark"]["appid"] == wx_app["appid"]
    assert client.post(url, json={"code": code["code"]}).get_json()["errcode"] == 40029  # single use


def test_phone_code_expires(client, rt, wx_app, alias, token):
    code = client.post("/__mock__/wechat/phone-code", json={"appid": wx_app["appid"], "user": alias}).get_json()["code"]
    rt.clock.advance(301)
    url = f"/wxa/business/getuserphonenumber?access_token={token}"
    assert client.post(url, json={"code": code}).get_json()["errcode"] == 40029


def test_check_session_and_reset_session_key(client, wx_app, alias, token):
    session = wechat_session(client, wx_app, alias)
    params = {"access_token": token, "openid": session["openid"], "sig_method": "hmac_sha256",
              "signature": crypto.session_signature(session["session_key"])}
    assert client.get("/wxa/checksession", query_string=params).get_json() == {"errcode": 0, "errmsg": "ok"}
    assert client.get("/wxa/checksession", query_string={**params, "signature": "0" * 64}).get_json()["errcode"] == 87009
    assert client.get("/wxa/checksession", query_string={**params, "sig_method": "md5"}).get_json()["errcode"] == 87008

    reset = client.get("/wxa/resetusersessionkey", query_string=params).get_json()
    assert reset["errcode"] == 0 and reset["openid"] == session["openid"]
    assert reset["session_key"] != session["session_key"]
    assert client.get("/wxa/checksession", query_string=params).get_json()["errcode"] == 87009
    fresh = {**params, "signature": crypto.session_signature(reset["session_key"])}
    assert client.post("/wxa/checksession", query_string={"access_token": token},
                       json={k: v for k, v in fresh.items() if k != "access_token"}).get_json()["errcode"] == 0


def test_new_login_invalidates_old_session_key(client, wx_app, alias, token):
    old = wechat_session(client, wx_app, alias)
    wechat_session(client, wx_app, alias)
    params = {"access_token": token, "openid": old["openid"], "sig_method": "hmac_sha256",
              "signature": crypto.session_signature(old["session_key"])}
    assert client.get("/wxa/checksession", query_string=params).get_json()["errcode"] == 87009


def test_get_paid_unionid(wechatpy_client, client, wx_app, alias):
    session = wechat_session(client, wx_app, alias)
    assert wechatpy_client.wxa.get_paid_unionid(session["openid"], transaction_id="4200001234") == session["unionid"]
    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.wxa.get_paid_unionid(session["openid"])
    assert info.value.errcode == 89300
    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.wxa.get_paid_unionid("o" + "x" * 27, transaction_id="1")
    assert info.value.errcode == 40003


def test_msg_sec_check(wechatpy_client, client, wx_app, alias, token):
    assert wechatpy_client.wxa.check_text_security("今天天气很好")["errcode"] == 0
    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.wxa.check_text_security("MOCK_RISKY 内容")
    assert info.value.errcode == 87014
    openid = wechat_session(client, wx_app, alias)["openid"]
    v2 = client.post(f"/wxa/msg_sec_check?access_token={token}",
                     json={"content": "MOCK_REVIEW", "version": 2, "scene": 2, "openid": openid}).get_json()
    assert v2["errcode"] == 0 and v2["result"] == {"suggest": "review", "label": 21000}
    assert v2["detail"][0]["suggest"] == "review" and v2["trace_id"]
    bad_scene = client.post(f"/wxa/msg_sec_check?access_token={token}",
                            json={"content": "x", "version": 2, "scene": 9, "openid": openid}).get_json()
    assert bad_scene["errcode"] == 40097


def test_wxa_code_unlimited_is_a_qr_image_of_the_scene(wechatpy_client):
    import zxingcpp
    from PIL import Image

    response = wechatpy_client.wxa.get_wxa_code_unlimited("id=42&from=share", page="pages/index/index")
    assert response.headers["Content-Type"] == "image/jpeg"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))
    assert [result.text for result in decoded] == ["id=42&from=share"]


@pytest.mark.parametrize("body, errcode", [
    ({"scene": ""}, 40169), ({"scene": "x" * 33}, 40169), ({"scene": "中文"}, 40129),
    ({"scene": "a", "page": "/pages/index"}, 41030), ({"scene": "a", "env_version": "beta"}, 40097),
])
def test_wxa_code_unlimited_errors_are_json(client, token, body, errcode):
    answer = client.post(f"/wxa/getwxacodeunlimit?access_token={token}", json=body)
    assert answer.content_type.startswith("application/json") and answer.get_json()["errcode"] == errcode


def test_a_bad_phone_code_gets_an_errmsg_with_a_hint(client, token):
    answer = client.post(f"/wxa/business/getuserphonenumber?access_token={token}", json={"code": "f" * 64}).get_json()
    assert answer["errcode"] == 40029
    assert re.fullmatch(r"invalid code hint: \[[A-Za-z0-9]{9}-[A-Za-z0-9]{6}\] rid: " + RID, answer["errmsg"]), answer
