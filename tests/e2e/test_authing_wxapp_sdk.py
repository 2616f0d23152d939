"""The real npm authing-wxapp-sdk, unmodified, in Node with the served wx shim, against the mock.

The Node packages are installed from the registry into tests/js/node_modules by this test itself
(``npm ci`` on the committed lock file). Node is required: the test fails without it, unless
MOCKSERVER_SKIP_NODE=1 is set outside CI.
"""
from __future__ import annotations

import json
import os
import subprocess

import jwt
import pytest
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from mockserver import MockServer
from support import JS_DIR, ROOT, WECHAT_HOST, RedirectAdapter

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489") + b"avatar"


def run_flow(node, live, rt, tmp_path, user, other_user, sms_phone):
    app = rt.authing.apps()[0]
    image = tmp_path / "avatar.png"
    image.write_bytes(PNG)
    config = {"server": live.url, "appId": app["id"], "userPoolId": app["userPoolId"],
              "wxAppid": rt.wechat.apps()[0]["appid"], "user": user, "otherUser": other_user,
              "smsPhone": sms_phone, "imagePath": str(image)}
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    done = subprocess.run([node, "wxapp_sdk_flow.js", json.dumps(config)], cwd=JS_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), app


def test_seed_flow_and_every_sdk_call(node, live, rt, tmp_path):
    alice, bob = rt.wechat.users()[0], rt.wechat.users()[1]
    report, app = run_flow(node, live, rt, tmp_path, alice["alias"], bob["alias"], "13900000001")
    jwks = jwt.PyJWKClient(live.url + "/oidc/.well-known/jwks.json")
    openid = rt.wechat.openid(alice, rt.wechat.apps()[0]["appid"])

    # wx.login through the shim, then loginByCode: a real RS256 token, stored by the SDK.
    assert report["wxLogin"]["result"]["errMsg"] == "login:ok"
    login = report["loginByCode"]
    user, token = login["result"], login["result"]["token"]
    claims = jwt.decode(token, jwks.get_signing_key_from_jwt(token).key, algorithms=["RS256"], audience=app["id"])
    assert claims["sub"] == user["id"] and claims["iss"] == live.url + "/oidc"
    assert claims["data"]["openid"] == openid and claims["userpool_id"] == app["userPoolId"]
    assert len(user["id"]) == 24 and user["openid"] == openid and user["loginsCount"] == 1
    assert user["identities"][0]["openid"] == openid and "password" not in user
    assert login["storage"]["token"] == token and login["storage"]["user"]["id"] == user["id"]

    # The same code twice: WeChat's 40163 inside Authing's error; storage untouched.
    reuse = report["reuseCode"]
    assert reuse["thrown"]["code"] == 400 and reuse["thrown"]["data"]["errcode"] == 40163
    assert reuse["storage"]["token"] == token

    # updateProfile: GraphQL updateUser, the SDK stores the returned user (with its token).
    update = report["updateProfile"]
    assert update["result"]["nickname"] == "Bob" and update["storage"]["user"]["nickname"] == "Bob"
    assert update["storage"]["token"] == token

    current = report["getCurrentUser"]["result"]
    assert current["id"] == user["id"] and current["nickname"] == "Bob" and current["password"] is None
    assert current["identities"][0]["openid"] == openid
    for name in ("checkLoginStatus", "checkLoginStatusExplicit"):
        status = report[name]["result"]
        assert status["status"] is True and status["code"] == 200 and status["data"]["id"] == user["id"]
        assert status["exp"] == claims["exp"]

    # The phone button's encryptedData, decrypted with the session of a fresh wx.login.
    assert report["phoneButton"]["result"]["errMsg"] == "getPhoneNumber:ok"
    phone = report["getPhone"]["result"]
    assert phone["purePhoneNumber"] == alice["phone"] and phone["openid"] == openid
    by_phone = report["loginByPhone"]
    assert by_phone["result"]["id"] == user["id"] and by_phone["result"]["phone"] == alice["phone"]
    assert by_phone["result"]["phoneVerified"] is True and by_phone["result"]["loginsCount"] == 2
    assert by_phone["storage"]["token"] == by_phone["result"]["token"] != token

    refreshed = report["refreshToken"]
    assert refreshed["storage"]["token"] == refreshed["result"]["token"]
    assert refreshed["result"]["exp"] > refreshed["result"]["iat"]

    # updateAvatar: chooseImage + uploadFile through the shim, the file is served at the URL.
    avatar = report["updateAvatar"]["result"]["photo"]
    assert avatar.startswith(live.url + "/files/avatar/")
    assert requests.get(avatar, timeout=10).content == PNG
    assert report["updateAvatar"]["storage"]["user"]["photo"] == avatar

    # logout: storage cleared, the token stops working everywhere.
    last_token = refreshed["result"]["token"]
    assert report["logout"]["storage"]["keys"] == []
    after = report["checkLoginStatusAfterLogout"]["result"]
    assert after["status"] is False and after["code"] == 2207
    assert report["getCurrentUserAfterLogout"]["result"] is None
    assert "请先登录" in report["updateProfileAfterLogout"]["thrown"]["error"]
    me = requests.get(live.url + "/api/v2/users/me", headers={"Authorization": "Bearer " + last_token}, timeout=10)
    assert me.status_code == 200 and me.json()["code"] == 2207

    # sendSmsCode + bindPhone as a second WeChat user.
    other = report["otherLoginByCode"]["result"]
    assert other["id"] != user["id"] and other["phone"] is None
    sent = [c for c in report["smsOutbox"]["result"]["codes"] if c["phone"] == "13900000001"]
    assert len(sent) == 1 and len(sent[0]["code"]) == 6 and sent[0]["code"].isdigit()
    wrong = report["bindPhoneWrongCode"]
    assert wrong["thrown"]["code"] == 2001 and wrong["storage"]["user"]["phone"] is None
    bound = report["bindPhone"]
    assert bound["result"]["phone"] == "13900000001" and bound["storage"]["user"]["phone"] == "13900000001"
    assert report["bindPhoneAgain"]["thrown"]["code"] == 2035

    # What the server kept.
    stored = rt.authing.user_record(user["id"])
    assert stored["nickname"] == "Bob" and stored["photo"] == avatar and stored["phone"] == alice["phone"]
    assert rt.authing.user_record(other["id"])["phone"] == "13900000001"
    assert rt.authing.sms_outbox()[0]["used"] is True


def test_served_shim_is_the_packaged_file(client):
    served = client.get("/__mock__/wx.js")
    assert served.status_code == 200 and "javascript" in served.content_type
    packaged = ROOT / "mockserver" / "static" / "wx.js"
    assert served.data == packaged.read_bytes()


def run_shim_check(node, check, config):
    done = subprocess.run([node, "wx_shim_check.js", check, json.dumps(config)], cwd=JS_DIR,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == "ok", done.stderr


@pytest.mark.parametrize("check", ["basics", "noUser", "syncAbort", "storageErrors", "callbackExceptions",
                                   "storageDatesAndLimit"])
def test_wx_shim(node, live, rt, check):
    """tests/js/wx_shim_check.js CHECK: storage, login, profile and request; createWx without
    `user` is one new WeChat user; task.abort() right after the call; one "<api>:fail" prefix;
    exceptions in callbacks; Dates and the 10 MB storage limit."""
    run_shim_check(node, check, {"server": live.url, "wxAppid": rt.wechat.apps()[0]["appid"],
                                 "user": rt.wechat.users()[0]["alias"],
                                 "fixtureAliases": [u["alias"] for u in rt.wechat.users()]})


def test_wx_shim_sends_the_admin_token_on_control_plane_calls_only(node):
    """With --admin-token, createWx({adminToken}) drives the control plane; wx.request and
    wx.uploadFile never carry the token."""
    with MockServer(admin_token="wx-shim-admin-token") as server:
        rt = server.app.extensions["mockserver"]
        run_shim_check(node, "adminToken", {"server": server.url, "wxAppid": rt.wechat.apps()[0]["appid"],
                                            "user": rt.wechat.users()[0]["alias"],
                                            "adminToken": "wx-shim-admin-token"})


def test_wx_shim_request_subscribe_message_records_consent(node, live, client):
    """tests/js/wx_shim_check.js subscribe: the dialog's answers (allow by default, per template,
    createWx's subscribeAnswer) and the mini program's errCodes; then what the backend may send."""
    templates = [{"priTmplId": "order", "content": "订单号:{{character_string1.DATA}}\n"},
                 {"priTmplId": "paid", "content": "金额:{{amount1.DATA}}\n"},
                 {"priTmplId": "bus", "content": "线路:{{thing1.DATA}}\n", "type": 3}]
    app = client.post("/__mock__/apps", json={"subscribe_templates": templates}).get_json()
    run_shim_check(node, "subscribe", {"server": live.url, "wxAppid": app["appid"], "user": "yuna",
                                       "templates": ["order", "paid", "bus"]})
    held = client.get("/__mock__/wechat/subscriptions", query_string={"appid": app["appid"], "user": "yuna"}).get_json()
    assert {k: (v["status"], v["remaining"]) for k, v in held["consents"].items()} == {
        "order": ("accept", 2), "paid": ("reject", 0), "bus": ("reject", 0)}
    backend = WeChatClient(app["appid"], app["secret"])
    backend._http.mount(WECHAT_HOST, RedirectAdapter(live.url))
    for _ in range(2):
        assert backend.wxa.send_subscribe_message(held["openid"], "order", {"character_string1": {"value": "T1"}})[
            "errcode"] == 0
    with pytest.raises(WeChatClientException) as info:
        backend.wxa.send_subscribe_message(held["openid"], "order", {"character_string1": {"value": "T1"}})
    assert info.value.errcode == 43101
