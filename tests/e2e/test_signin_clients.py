"""Real Authing SDKs, unmodified, logging in with a password, an SMS code and an email code through
the v3 API: the npm ``authing-node-sdk`` (4.0.x, in Node; pinned in tests/js/package.json) and PyPI
``authing`` 5.1.0 (pinned in setup.cfg's test extra). Codes are read from the control plane's
outboxes, as a test would."""
from __future__ import annotations

import jwt
from test_oidc_clients import run


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})


def test_authing_node_sdk_password_and_pass_code_sign_in(node, live, rt):
    app = rt.authing.apps()[0]
    report = run(node, "authing_node_sdk_signin.js", {
        "server": live.url, "appId": app["id"], "secret": app["secret"], "email": "node@example.com",
        "password": "node-pass-1", "phone": "13100131000", "bindPhone": "13100131001",
        "bindEmail": "node-2@example.com"})
    signed_up = report["signUp"]["result"]
    assert signed_up["statusCode"] == 200 and signed_up["data"]["email"] == "node@example.com"
    user_id = signed_up["data"]["userId"]
    tokens = report["signIn"]["result"]["data"]
    assert tokens["scope"] == "openid profile email offline_access" and tokens["refresh_token"]
    assert tokens["expire_in"] == tokens["expires_in"] > 0  # expire_in: the SDK's LoginTokenResponseDataDto
    assert claims(tokens["id_token"])["sub"] == user_id and claims(tokens["id_token"])["aud"] == app["id"]
    assert report["system"]["result"]["rsa"]["publicKey"].startswith("-----BEGIN PUBLIC KEY-----")
    assert claims(report["signInEncrypted"]["result"]["data"]["id_token"])["sub"] == user_id
    wrong = report["wrongPassword"]
    wrong = wrong.get("result") or wrong["thrown"]["data"]
    assert (wrong["statusCode"], wrong["apiCode"], wrong["message"]) == (400, 2333, "用户名或密码错误")
    assert report["sendSms"]["result"]["statusCode"] == 200
    by_phone = report["signInByPhonePassCode"]["result"]["data"]
    phone_user = rt.authing.user_record(claims(by_phone["id_token"])["sub"])
    assert phone_user["phone"] == "13100131000" and phone_user["phoneVerified"] is True
    assert report["sendEmail"]["result"]["statusCode"] == 200
    assert claims(report["signInByEmailPassCode"]["result"]["data"]["id_token"])["sub"] == user_id
    assert report["updatePassword"]["result"]["statusCode"] == 200
    assert claims(report["signInWithNewPassword"]["result"]["data"]["id_token"])["sub"] == user_id
    assert report["bindPhone"]["result"]["statusCode"] == 200
    assert rt.authing.user_record(user_id)["phone"] == "13100131001"
    refused = report["bindEmail"]["result"]  # the SDK answers v3 errors as they come
    assert (refused["statusCode"], refused["apiCode"], refused["message"]) == (400, 2026, "用户已绑定邮箱")


def test_pypi_authing_password_and_sms_code_sign_in(live, rt, http):
    from authing import AuthenticationClient

    app = rt.authing.apps()[0]
    sdk = AuthenticationClient(app_id=app["id"], app_host=live.url, app_secret=app["secret"])
    made = sdk.sign_up_by_username_password("pyuser", "py-pass-1")
    assert made["statusCode"] == 200 and made["data"]["username"] == "pyuser"
    signed_in = sdk.sign_in_by_username_password("pyuser", "py-pass-1")
    assert claims(signed_in["data"]["id_token"])["sub"] == made["data"]["userId"]
    wrong = sdk.sign_in_by_username_password("pyuser", "nope")
    assert (wrong["statusCode"], wrong["apiCode"], wrong["message"]) == (400, 2333, "用户名或密码错误")
    english = AuthenticationClient(app_id=app["id"], app_host=live.url, lang="en-US")
    assert english.sign_in_by_username_password("pyuser", "nope")["message"] == "Incorrect username or password"

    assert sdk.send_sms("CHANNEL_REGISTER", "13200132000")["statusCode"] == 200
    code = http.get(live.url + "/__mock__/authing/sms").json()["codes"][-1]["code"]
    registered = sdk.sign_up_by_phone_passcode("13200132000", code)
    assert registered["data"]["phone"] == "13200132000"
    rt.clock.advance(61)  # one code per phone and channel a minute
    assert sdk.send_sms("CHANNEL_LOGIN", "13200132000")["statusCode"] == 200
    code = http.get(live.url + "/__mock__/authing/sms").json()["codes"][-1]["code"]
    by_code = sdk.sign_in_by_phone_passcode("13200132000", code)
    assert claims(by_code["data"]["access_token"])["sub"] == registered["data"]["userId"]
    again = sdk.sign_in_by_phone_passcode("13200132000", code)
    assert (again["apiCode"], again["message"]) == (2001, "验证码不正确")

    profile = AuthenticationClient(app_id=app["id"], app_host=live.url,
                                   access_token=by_code["data"]["access_token"]).get_profile()
    assert profile["data"]["userId"] == registered["data"]["userId"] and profile["data"]["workStatus"] == "Active"


def test_authing_js_sdk_v2_logins_with_encrypted_passwords(node, live, rt):
    app = rt.authing.apps()[0]
    report = run(node, "authing_js_sdk_v2_logins.js", {"server": live.url, "appId": app["id"]})
    registered = report["registerByEmail"]["result"]
    assert registered["email"] == "js@example.com" and registered["token"] is None and registered["password"] is None
    logged_in = report["loginByEmail"]["result"]
    assert logged_in["id"] == registered["id"] and claims(logged_in["token"])["sub"] == registered["id"]
    assert report["wrongPassword"]["thrown"] == {"code": 2006, "message": "密码不正确", "data": None}
    assert report["loginByUsername"]["result"]["id"] == report["registerByUsername"]["result"]["id"]
    phone_user = report["loginByPhoneCode"]["result"]
    assert phone_user["phone"] == "13000130000" and phone_user["token"]
    assert report["updatePassword"]["result"]["id"] == phone_user["id"]  # had no password: sets one
    jsuser = report["loginByUsernameAgain"]["result"]
    assert report["updatePasswordWithOld"]["result"]["id"] == jsuser["id"]
    assert report["sendEmail"]["result"] == {"message": "发送成功", "code": 200}
    assert report["bindEmail"]["result"]["email"] == "js-user@example.com"
    assert report["listUdv"]["result"] == [{"key": "school", "dataType": "STRING", "value": "清华大学",
                                            "label": "school"}]
    assert report["resetPasswordByEmailCode"].get("result") == {"message": "重置密码成功", "code": 200}, report
    assert report["loginAfterReset"]["result"]["id"] == registered["id"]
