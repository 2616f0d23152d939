"""Moving the clock through the control plane moves every expiry and timestamp with it."""
from __future__ import annotations

import jwt
import pytest
from wechatpy.crypto import WeChatWxaCrypto
from wechatpy.exceptions import WeChatClientException

from support import mint

EPOCH = 1_900_000_000  # a fixed moment, far from the real time


def move(client, **how):
    response = client.post("/__mock__/clock", json=how)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_clock_can_be_read_set_and_advanced(client):
    assert move(client, set=EPOCH)["now"] == pytest.approx(EPOCH, abs=5)
    state = move(client, advance=86400)
    assert state["now"] == pytest.approx(EPOCH + 86400, abs=5)
    assert client.get("/__mock__/clock").get_json()["now"] == pytest.approx(EPOCH + 86400, abs=5)
    for bad in ({}, {"advance": "1"}, {"set": True}):
        assert client.post("/__mock__/clock", json=bad).status_code == 400


def test_login_code_expires_after_five_minutes_of_mock_time(wechatpy_client, client, wx_app, alias):
    code = mint(client, wx_app["appid"], alias)["code"]
    move(client, advance=301)
    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.wxa.code_to_session(code)
    assert info.value.errcode == 40029


def test_access_token_expires_and_wechatpy_fetches_a_new_one(wechatpy_client, client, http, live, wx_app):
    token = http.get(live.url + "/cgi-bin/token", params={
        "grant_type": "client_credential", "appid": wx_app["appid"], "secret": wx_app["secret"]}).json()["access_token"]
    check = {"content": "hello"}
    assert http.post(live.url + "/wxa/msg_sec_check", params={"access_token": token}, json=check).json()["errcode"] == 0
    move(client, advance=7200)
    answer = http.post(live.url + "/wxa/msg_sec_check", params={"access_token": token}, json=check).json()
    assert answer["errcode"] == 42001

    wechatpy_client.session.set(wechatpy_client.access_token_key, token, 100000)  # wechatpy still trusts it
    assert wechatpy_client.wxa.check_text_security("hello")["errcode"] == 0
    calls = client.get("/__mock__/requests").get_json()["requests"]
    assert [(c["path"], c["errcode"]) for c in calls[-3:]] == [
        ("/wxa/msg_sec_check", 42001), ("/cgi-bin/token", 0), ("/wxa/msg_sec_check", 0)]


def test_watermarks_rids_and_journal_times_follow_the_clock(client, rt, wx_app, alias):
    move(client, set=EPOCH)
    move(client, advance=12345)
    now = EPOCH + 12345

    login = mint(client, wx_app["appid"], alias)
    user_info = client.post("/__mock__/wechat/encrypted-data", json={"appid": wx_app["appid"], "user": alias}).get_json()
    session_key = rt.wechat.session_key(wx_app["appid"], login["openid"])
    decrypted = WeChatWxaCrypto(session_key, user_info["iv"], wx_app["appid"]).decrypt_message(user_info["encryptedData"])
    assert decrypted["watermark"]["timestamp"] == pytest.approx(now, abs=5)

    token = client.get("/cgi-bin/token", query_string={
        "grant_type": "client_credential", "appid": wx_app["appid"], "secret": wx_app["secret"]}).get_json()["access_token"]
    phone_code = client.post("/__mock__/wechat/phone-code", json={"appid": wx_app["appid"], "user": alias}).get_json()["code"]
    phone = client.post(f"/wxa/business/getuserphonenumber?access_token={token}", json={"code": phone_code}).get_json()
    assert phone["phone_info"]["watermark"]["timestamp"] == pytest.approx(now, abs=5)

    error = client.get("/sns/jscode2session", query_string={"appid": wx_app["appid"]}).get_json()
    rid_time = int(error["errmsg"].rsplit("rid: ", 1)[1].split("-")[0], 16)
    assert rid_time == pytest.approx(now, abs=5)

    times = [entry["time"] for entry in client.get("/__mock__/requests").get_json()["requests"]]
    assert times and all(t == pytest.approx(now, abs=5) for t in times)


def test_authing_token_iat_exp_and_expiry_follow_the_clock(client, rt, wx_app, alias):
    move(client, set=EPOCH)
    pool, app = rt.authing.pools()[0], rt.authing.apps()[0]
    headers = {"x-authing-userpool-id": pool["id"], "x-authing-app-id": app["id"]}
    code = mint(client, wx_app["appid"], alias)["code"]
    login = client.post("/connections/social/wechat-miniprogram/auth", json={"code": code}, headers=headers).get_json()
    assert login["code"] == 200, login
    token = login["data"]["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iat"] == pytest.approx(EPOCH, abs=5)
    assert claims["exp"] == claims["iat"] + app["tokenLifetime"]

    me = {**headers, "Authorization": f"Bearer {token}"}
    assert client.get("/api/v2/users/me", headers=me).get_json()["code"] == 200
    move(client, advance=app["tokenLifetime"] + 1)
    expired = client.get("/api/v2/users/me", headers=me).get_json()
    assert expired["code"] != 200 and "过期" in expired["message"]
