"""Password, SMS-code and email-code login and registration through the v3 API, each error path with
its exact answer, on memory, SQLite and Redis state. The mock is built from
``tests/data/signin_users.json`` (carol: username, email, phone and a password; dave: a password
hashed in the file; erin: an email only; mallory: blocked)."""
from __future__ import annotations

import base64
import json
import re
import threading

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from support import DATA, ROOT
from support.processes import state_url

from mockserver import Config, create_app
from mockserver.core.fixtures import FixtureError

FIXTURE = str(DATA / "signin_users.json")
APP = "d1d1d1d1d1d1d1d1d1d1d1d1"
POOL = "d0d0d0d0d0d0d0d0d0d0d0d0"
H = {"x-authing-app-id": APP}


@pytest.fixture(params=["memory", "sqlite", "redis"])
def app(request, tmp_path):
    app = create_app(Config(fixtures=FIXTURE, state=state_url(request.param, tmp_path, request)))
    yield app
    app.extensions["mockserver"].store.close()


def signin(client, connection="PASSWORD", headers=H, **payloads):
    return client.post("/api/v3/signin", json={"connection": connection, **payloads}, headers=headers).get_json()


def password(client, options=None, **payload):
    return signin(client, passwordPayload=payload, **({"options": options} if options else {}))


def error(body):
    """A v3 error without its request id."""
    assert isinstance(body.pop("requestId"), str)
    return body


def encrypted(client, text, path="/api/v3/system"):
    pem = client.get(path).get_json()
    pem = pem["rsa"]["publicKey"] if "rsa" in pem else pem["data"]["publicKey"]
    key = serialization.load_pem_public_key(pem.encode())
    return base64.b64encode(key.encrypt(text.encode(), padding.PKCS1v15())).decode()


def send_sms(client, phone, channel="CHANNEL_LOGIN"):
    return client.post("/api/v3/send-sms", json={"channel": channel, "phoneNumber": phone}, headers=H).get_json()


def send_email(client, email, channel="CHANNEL_LOGIN"):
    return client.post("/api/v3/send-email", json={"channel": channel, "email": email}, headers=H).get_json()


def last_sms(client):
    return client.get("/__mock__/authing/sms").get_json()["codes"][-1]


def last_email(client):
    return client.get("/__mock__/authing/emails").get_json()["emails"][-1]


def user_named(rt, username):
    return next(u for u in rt.authing.users() if u.get("username") == username)


# --- password sign-in ------------------------------------------------------------------------------
@pytest.mark.parametrize("payload", [{"email": "carol@example.com"}, {"email": "CAROL@example.COM"},
                                     {"username": "carol"}, {"phone": "13700137000"}, {"account": "carol"},
                                     {"account": "carol@example.com"}, {"account": "13700137000"}])
def test_password_signin_by_every_identifier(client, rt, payload):
    answer = password(client, password="carol-pass-1", **payload)
    assert answer["statusCode"] == 200, answer
    data = answer["data"]
    assert set(data) == {"scope", "access_token", "id_token", "token_type", "expire_in", "expires_in"}
    assert data["expire_in"] == data["expires_in"] == 1209600  # both names the sources give, one lifetime
    assert data["scope"] == "openid profile phone email" and data["token_type"] == "Bearer"
    claims = jwt.decode(data["id_token"], options={"verify_signature": False})
    carol = user_named(rt, "carol")
    assert claims["sub"] == carol["id"] and claims["email"] == "carol@example.com"
    assert carol["loginsCount"] == 1
    profile = client.get("/api/v3/get-profile", headers={**H, "Authorization": data["access_token"]}).get_json()
    assert profile["data"]["userId"] == carol["id"]


def test_a_password_hashed_in_the_fixture_logs_in(client):
    assert password(client, username="dave", password="dave-pass-1")["statusCode"] == 200


def test_password_errors_are_authings_and_change_nothing(client, rt):
    before = rt.authing.repo.snapshot()
    assert error(password(client, username="carol", password="wrong")) == {
        "statusCode": 400, "message": "用户名或密码错误", "apiCode": 2333}
    assert error(password(client, username="nobody", password="x")) == {
        "statusCode": 404, "message": "用户不存在", "apiCode": 2004}
    assert error(password(client, email="erin@example.com", password="x")) == {  # no password set
        "statusCode": 400, "message": "用户名或密码错误", "apiCode": 2333}
    assert error(password(client, username="mallory", password="mallory-pass-1")) == {
        "statusCode": 400, "message": "用户已被锁定", "apiCode": 2005}
    assert error(password(client, email="not-an-address", password="x")) == {
        "statusCode": 400, "message": "邮箱格式不正确", "apiCode": 2003}
    assert error(password(client, username="carol")) == {"statusCode": 400, "message": "请提供密码", "apiCode": 2032}
    assert error(password(client, username="carol", email="carol@example.com", password="x")) == {
        "statusCode": 400, "apiCode": 400,
        "message": "passwordPayload 须且只须提供 email、username、phone、account 之一"}
    assert error(signin(client, connection="LDAP")) == {
        "statusCode": 400, "message": "connection 必须是 PASSWORD 或 PASSCODE", "apiCode": 400}
    assert error(signin(client)) == {"statusCode": 400, "message": "passwordPayload 不能为空", "apiCode": 400}
    assert error(signin(client, passwordPayload=[])) == {
        "statusCode": 400, "message": "passwordPayload 必须是对象", "apiCode": 400}
    assert error(signin(client, passwordPayload={"username": "carol", "password": "carol-pass-1"},
                        options={"scope": 5})) == {
        "statusCode": 400, "message": "options.scope 必须是字符串", "apiCode": 400}
    assert error(signin(client, headers={}, passwordPayload={"username": "carol", "password": "carol-pass-1"})) == {
        "statusCode": 404, "message": "应用不存在：请提供应用 ID（x-authing-app-id）", "apiCode": 2011}
    assert error(signin(client, passwordPayload={"username": "carol", "password": "carol-pass-1"},
                        client_id=APP, client_secret="wrong")) == {
        "statusCode": 403, "message": "client_secret 不正确", "apiCode": 1001}
    assert rt.authing.repo.snapshot() == before


def test_english_messages_with_x_authing_lang(client):
    answer = signin(client, headers={**H, "x-authing-lang": "en-US"},
                    passwordPayload={"username": "carol", "password": "wrong"})
    assert (answer["apiCode"], answer["message"]) == (2333, "Incorrect username or password")
    answer = signin(client, headers={**H, "x-authing-lang": "zh-CN"},
                    passwordPayload={"username": "carol", "password": "wrong"})
    assert answer["message"] == "用户名或密码错误"


def test_rsa_encrypted_passwords_are_decrypted(client):
    secret = encrypted(client, "carol-pass-1")
    assert password(client, {"passwordEncryptType": "rsa"}, username="carol", password=secret)["statusCode"] == 200
    assert error(password(client, {"passwordEncryptType": "rsa"}, username="carol", password="carol-pass-1")) == {
        "statusCode": 400, "message": "解密客户端密码出错", "apiCode": 2016}
    assert error(password(client, {"passwordEncryptType": "sm2"}, username="carol", password=secret)) == {
        "statusCode": 400, "message": "解密客户端密码出错", "apiCode": 2016}
    assert error(password(client, {"passwordEncryptType": "aes"}, username="carol", password=secret)) == {
        "statusCode": 400, "message": "passwordEncryptType 只能是 none、rsa 或 sm2", "apiCode": 400}


def test_the_v2_and_v3_public_keys_are_one_key(client):
    system = client.get("/api/v3/system").get_json()
    assert set(system) == {"rsa", "sm2", "version", "publicIps"}
    well_known = client.get("/api/v2/.well-known").get_json()
    assert well_known == {"code": 200, "message": "", "data": {"publicKey": system["rsa"]["publicKey"]}}
    assert system["rsa"]["publicKey"].startswith("-----BEGIN PUBLIC KEY-----")


def test_scope_is_honoured_and_offline_access_brings_a_refresh_token(client):
    data = password(client, {"scope": "openid profile offline_access unknown"}, username="carol",
                    password="carol-pass-1")["data"]
    assert data["scope"] == "openid profile offline_access"
    assert jwt.decode(data["access_token"], options={"verify_signature": False})["scope"] == data["scope"]
    refreshed = client.post("/oidc/token", data={"grant_type": "refresh_token", "refresh_token": data["refresh_token"],
                                                 "client_id": APP, "client_secret": "d1" * 16}).get_json()
    assert refreshed["refresh_token"] == data["refresh_token"] and "access_token" in refreshed


def test_no_password_in_answers_or_the_journal(client, rt):
    h = {**H, "Authorization": password(client, username="carol", password="carol-pass-1")["data"]["access_token"]}
    client.post("/api/v3/update-password", json={"newPassword": "carol-new-9", "oldPassword": "carol-pass-1"}, headers=h)
    client.post("/api/v3/signup", json={"connection": "PASSWORD", "passwordPayload": {
        "username": "frank", "password": "frank-pass-1"}}, headers=H)
    entries = json.dumps(client.get("/__mock__/requests", query_string={"limit": 100}).get_json(), ensure_ascii=False)
    assert "/api/v3/update-password" in entries and "/api/v3/signup" in entries
    assert "carol-pass-1" not in entries and "frank-pass-1" not in entries and "carol-new-9" not in entries
    assert "pbkdf2" not in json.dumps([u for u in rt.authing.users()])
    assert "pbkdf2" not in json.dumps(client.get("/__mock__/authing/users").get_json())


# --- codes by SMS and email --------------------------------------------------------------------------
def test_phone_passcode_signin_takes_the_newest_code_once(client, rt):
    assert send_sms(client, "13700137000")["statusCode"] == 200
    sent = last_sms(client)
    assert (sent["phone"], sent["channel"], sent["used"]) == ("13700137000", "CHANNEL_LOGIN", False)
    ok = signin(client, "PASSCODE", passCodePayload={"phone": "13700137000", "passCode": sent["code"]})
    assert ok["statusCode"] == 200
    claims = jwt.decode(ok["data"]["id_token"], options={"verify_signature": False})
    assert claims["sub"] == user_named(rt, "carol")["id"]
    again = signin(client, "PASSCODE", passCodePayload={"phone": "13700137000", "passCode": sent["code"]})
    assert error(again) == {"statusCode": 400, "message": "验证码不正确", "apiCode": 2001}
    assert last_sms(client)["used"] is True


def test_codes_expire_and_go_once_a_minute_per_channel(client, rt):
    assert send_sms(client, "13700137000")["statusCode"] == 200
    assert error(send_sms(client, "13700137000")) == {
        "statusCode": 429, "message": "发送过于频繁，请稍后再试", "apiCode": 429}
    assert send_sms(client, "13700137000", "CHANNEL_BIND_PHONE")["statusCode"] == 200  # another channel
    rt.clock.advance(59)
    assert error(send_sms(client, "13700137000"))["apiCode"] == 429
    rt.clock.advance(2)
    assert send_sms(client, "13700137000")["statusCode"] == 200
    code = last_sms(client)["code"]
    rt.clock.advance(301)
    late = signin(client, "PASSCODE", passCodePayload={"phone": "13700137000", "passCode": code})
    assert error(late) == {"statusCode": 400, "message": "验证码已过期", "apiCode": 2001}
    assert error(send_sms(client, "12")) == {"statusCode": 400, "message": "请提供正确的手机号", "apiCode": 2028}
    nowhere = client.post("/api/v3/send-sms", headers={"x-authing-userpool-id": "e0" * 12},
                          json={"channel": "CHANNEL_LOGIN", "phoneNumber": "13700137000"}).get_json()
    assert error(nowhere) == {"statusCode": 404, "message": "用户池不存在", "apiCode": 2224}
    bad_channel = error(send_sms(client, "13700137000", "CHANNEL_X"))
    assert bad_channel["apiCode"] == 400 and bad_channel["message"].startswith("channel 必须是 CHANNEL_LOGIN")


def test_an_unknown_phone_is_2004_and_keeps_its_code_unless_auto_register(client, rt):
    send_sms(client, "13600136000")
    code = last_sms(client)["code"]
    unknown = signin(client, "PASSCODE", passCodePayload={"phone": "13600136000", "passCode": code})
    assert error(unknown) == {"statusCode": 404, "message": "用户不存在", "apiCode": 2004}
    assert last_sms(client)["used"] is False
    made = signin(client, "PASSCODE", passCodePayload={"phone": "13600136000", "passCode": code},
                  options={"autoRegister": True})
    assert made["statusCode"] == 200
    user = next(u for u in rt.authing.users() if u.get("phone") == "13600136000")
    assert user["phoneVerified"] is True and user["registerSource"] == ["basic:phone-code"]


def test_email_passcode_signin_and_the_outbox(client, rt):
    assert send_email(client, "Erin@Example.com")["statusCode"] == 200
    mail = last_email(client)
    assert mail["email"] == "erin@example.com" and mail["code"] in mail["text"] and mail["subject"] == "验证码"
    ok = signin(client, "PASSCODE", passCodePayload={"email": "erin@example.com", "passCode": mail["code"]})
    assert ok["statusCode"] == 200
    assert error(signin(client, "PASSCODE", passCodePayload={"email": "erin@example.com", "passCode": "000000"
                                                             if mail["code"] != "000000" else "111111"})) == {
        "statusCode": 400, "message": "验证码不正确", "apiCode": 2001}
    assert error(send_email(client, "nope")) == {"statusCode": 400, "message": "邮箱格式不正确", "apiCode": 2003}


# --- registration ----------------------------------------------------------------------------------
def test_signup_by_email_password_then_signin(client, rt):
    rt.clock.set(1_800_000_000)
    answer = client.post("/api/v3/signup", json={"connection": "PASSWORD", "passwordPayload": {
        "email": "Grace@Example.com", "password": "grace-pass-1"}, "profile": {
            "nickname": "格蕾丝", "gender": "F", "email": "ignored@x.cn", "customData": {"plan": "pro"}}}, headers=H)
    user = answer.get_json()["data"]
    assert user["email"] == "grace@example.com" and user["nickname"] == "格蕾丝" and user["gender"] == "F"
    assert (user["workStatus"], user["registerSource"], user["userSourceType"]) == ("Active", ["basic:email"],
                                                                                     "register")
    assert user["signedUp"] == user["createdAt"] and user["createdAt"].startswith("2027-01-15T08:00:0")
    assert user["passwordLastSetAt"].startswith("2027-01-15T08:00:0")
    assert "password" not in user
    signed_in = password(client, email="grace@example.com", password="grace-pass-1")["data"]
    profile = client.get("/api/v3/get-profile?withCustomData=true",
                         headers={**H, "Authorization": signed_in["access_token"]}).get_json()["data"]
    assert profile["customData"] == {"plan": "pro"}
    again = client.post("/api/v3/signup", json={"connection": "PASSWORD", "passwordPayload": {
        "email": "grace@example.com", "password": "other"}}, headers=H).get_json()
    assert error(again) == {"statusCode": 400, "message": "用户已存在，请不要重复注册", "apiCode": 2026}


def test_signup_profile_is_checked(client, rt):
    before = rt.authing.repo.snapshot()
    for profile, message in (({"gender": "X"}, "gender 只能是 M、F 或 U"), ({"nickname": 5}, "nickname 必须是字符串"),
                             ([], "profile 必须是对象")):
        answer = client.post("/api/v3/signup", headers=H, json={"connection": "PASSWORD", "profile": profile,
                                                                "passwordPayload": {"username": "o", "password": "p"}})
        assert error(answer.get_json()) == {"statusCode": 400, "message": message, "apiCode": 400}
    limits = (({"username": "u" * 65, "password": "p"}, 400, "用户名不能超过 64 个字符"),
              ({"username": "u", "password": "p" * 129}, 400, "密码不能超过 128 个字符"),
              ({"email": "e" * 60 + "@" + "d" * 190 + ".com", "password": "p"}, 2003, "邮箱格式不正确"))
    for payload, code, message in limits:
        answer = client.post("/api/v3/signup", headers=H, json={"connection": "PASSWORD", "passwordPayload": payload})
        assert error(answer.get_json()) == {"statusCode": 400, "message": message, "apiCode": code}
    bad_country = client.post("/api/v3/signup", headers=H, json={"connection": "PASSCODE", "passCodePayload": {
        "phone": "13500135000", "passCode": "1", "phoneCountryCode": 86}}).get_json()
    assert error(bad_country) == {"statusCode": 400, "message": "phoneCountryCode 必须是字符串", "apiCode": 400}
    bad_connection = client.post("/api/v3/signup", headers=H, json={"connection": "SOCIAL"}).get_json()
    assert error(bad_connection) == {"statusCode": 400, "message": "connection 必须是 PASSWORD 或 PASSCODE",
                                     "apiCode": 400}
    assert rt.authing.repo.snapshot() == before


def test_signup_by_username_and_by_phone_code(client, rt):
    made = client.post("/api/v3/signup", json={"connection": "PASSWORD", "passwordPayload": {
        "username": "heidi", "password": "heidi-pass-1"}}, headers=H).get_json()["data"]
    assert made["username"] == "heidi" and made["registerSource"] == ["basic:username-password"]
    taken = client.post("/api/v3/signup", json={"connection": "PASSWORD", "passwordPayload": {
        "username": "carol", "password": "x"}}, headers=H).get_json()
    assert error(taken)["apiCode"] == 2026
    send_sms(client, "13500135000", "CHANNEL_REGISTER")
    code = last_sms(client)["code"]
    by_phone = client.post("/api/v3/signup", json={"connection": "PASSCODE", "passCodePayload": {
        "phone": "13500135000", "passCode": code}}, headers=H).get_json()["data"]
    assert by_phone["phone"] == "13500135000" and by_phone["phoneVerified"] is True
    send_sms(client, "13700137000", "CHANNEL_REGISTER")
    existing = client.post("/api/v3/signup", json={"connection": "PASSCODE", "passCodePayload": {
        "phone": "13700137000", "passCode": last_sms(client)["code"]}}, headers=H).get_json()
    assert error(existing)["apiCode"] == 2026 and last_sms(client)["used"] is False


# --- what a logged-in user does ----------------------------------------------------------------------
def bearer(client, username="carol", secret="carol-pass-1"):
    return {**H, "Authorization": password(client, username=username, password=secret)["data"]["access_token"]}


def test_update_password(client):
    h = bearer(client)
    wrong = client.post("/api/v3/update-password", json={"newPassword": "n-1", "oldPassword": "bad"}, headers=h)
    assert error(wrong.get_json()) == {"statusCode": 400, "message": "原密码不正确", "apiCode": 2006}
    ok = client.post("/api/v3/update-password", json={"newPassword": "carol-new-1", "oldPassword": "carol-pass-1"},
                     headers=h).get_json()
    assert error(ok) == {"statusCode": 200, "message": "", "apiCode": 0}
    assert password(client, username="carol", password="carol-pass-1")["apiCode"] == 2333
    assert password(client, username="carol", password="carol-new-1")["statusCode"] == 200
    anonymous = client.post("/api/v3/update-password", json={"newPassword": "x"}, headers=H).get_json()
    assert error(anonymous)["apiCode"] == 2020


def test_bind_email_and_phone(client, rt):
    h = bearer(client, "dave", "dave-pass-1")
    send_email(client, "erin@example.com", "CHANNEL_BIND_EMAIL")
    taken = client.post("/api/v3/bind-email", headers=h,
                        json={"email": "erin@example.com", "passCode": last_email(client)["code"]}).get_json()
    assert error(taken) == {"statusCode": 400, "message": "邮箱已被绑定", "apiCode": 2026}
    assert last_email(client)["used"] is False  # refused before the code was taken
    send_email(client, "dave@example.com", "CHANNEL_BIND_EMAIL")
    bad = client.post("/api/v3/bind-email", json={"email": "dave@example.com", "passCode": "x"}, headers=h).get_json()
    assert error(bad)["apiCode"] == 2001
    ok = client.post("/api/v3/bind-email", json={"email": "dave@example.com", "passCode": last_email(client)["code"]},
                     headers=h).get_json()
    assert ok["statusCode"] == 200
    dave = user_named(rt, "dave")
    assert (dave["email"], dave["emailVerified"]) == ("dave@example.com", True)
    assert password(client, email="dave@example.com", password="dave-pass-1")["statusCode"] == 200
    send_sms(client, "13400134000", "CHANNEL_BIND_PHONE")
    bound = client.post("/api/v3/bind-phone", json={"phoneNumber": "13400134000", "passCode": last_sms(client)["code"]},
                        headers=h).get_json()
    assert bound["statusCode"] == 200 and user_named(rt, "dave")["phone"] == "13400134000"
    send_email(client, "dave2@example.com", "CHANNEL_BIND_EMAIL")
    twice = client.post("/api/v3/bind-email", headers=h, json={"email": "dave2@example.com",
                                                               "passCode": last_email(client)["code"]}).get_json()
    assert error(twice) == {"statusCode": 400, "message": "用户已绑定邮箱", "apiCode": 2026}
    assert last_email(client)["used"] is False


def test_every_v3_user_field_of_the_sdk_model(client):
    h = bearer(client)
    user = client.get("/api/v3/get-profile", headers=h).get_json()["data"]
    # authing-node-sdk 4.0.x UserDto, every field (identities and customData on request).
    assert set(user) == {
        "userId", "createdAt", "updatedAt", "status", "workStatus", "externalId", "email", "phone",
        "phoneCountryCode", "username", "name", "nickname", "photo", "loginsCount", "lastLogin", "lastIp", "gender",
        "emailVerified", "phoneVerified", "passwordLastSetAt", "birthdate", "country", "province", "city", "address",
        "streetAddress", "postalCode", "company", "browser", "device", "givenName", "familyName", "middleName",
        "profile", "preferredUsername", "website", "zoneinfo", "locale", "formatted", "region", "userSourceType",
        "userSourceId", "lastLoginApp", "mainDepartmentId", "lastMfaTime", "passwordSecurityLevel",
        "resetPasswordOnNextLogin", "registerSource", "departmentIds", "identityNumber", "metadataSource",
        "postIdList", "statusChangedAt", "tenantId", "signedUp"}
    assert user["registerSource"] == ["basic:fixture"] and user["workStatus"] == "Active"
    assert user["emailVerified"] is True and user["phoneVerified"] is True


def test_the_phone_of_a_get_phone_number_code(client, rt):
    code = client.post("/__mock__/wechat/phone-code", json={"appid": "wxddddddddddddddd1", "user": "alice"}).get_json()
    answer = client.post("/api/v3/get-wechat-miniprogram-phone", headers=H, json={
        "extIdpConnidentifier": "wechat-miniprogram", "code": code["code"]}).get_json()
    phone = {"phoneNumber": "13800138000", "purePhoneNumber": "13800138000", "countryCode": "86"}
    assert answer["statusCode"] == 200 and answer["data"] == phone and answer["phone_info"] == phone
    again = client.post("/api/v3/get-wechat-miniprogram-phone", headers=H, json={
        "extIdpConnidentifier": "wechat-miniprogram", "code": code["code"]}).get_json()
    assert again["apiCode"] == 400 and again["message"].startswith("获取微信手机号失败")
    client.post("/__mock__/users", json={"alias": "sam", "phone": "2025550100", "country_code": "1"})
    code = client.post("/__mock__/wechat/phone-code", json={"appid": "wxddddddddddddddd1", "user": "sam"}).get_json()
    abroad = client.post("/api/v3/get-wechat-miniprogram-phone", headers=H, json={
        "extIdpConnidentifier": "wechat-miniprogram", "code": code["code"]}).get_json()
    assert abroad["data"] == {"phoneNumber": "+12025550100", "purePhoneNumber": "2025550100", "countryCode": "1"}
    unknown = client.post("/api/v3/get-wechat-miniprogram-phone", headers=H, json={"code": "x"}).get_json()
    assert error(unknown) == {"statusCode": 400, "message": "extIdpConnidentifier 不能为空", "apiCode": 400}


# --- the fixture ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("users, message", [
    ([{"nickname": "x"}], "users[0]: give at least one of username, email and phone"),
    ([{"username": "a", "password": "p", "password_hash": "h"}], "users[0]: give password or password_hash, not both"),
    ([{"username": "a", "password_hash": "md5$x"}],
     "users[0]: password_hash must be pbkdf2_sha256$<rounds>$<salt>$<base64 hash>"),
    ([{"email": "nope"}], "users[0]: email must be an address"),
    ([{"phone": "12"}], "users[0]: phone must be 5 to 15 digits"),
    ([{"username": 5}], "users[0]: username must be a non-empty string"),
    ([{"username": "a", "blocked": "yes"}], "users[0]: blocked must be true or false"),
    ([{"username": "a", "age": 3}], "users[0]: unknown user fields ['age']"),
    ([{"username": "a"}, {"username": "a"}], "users[1]: username 'a' belongs to another user of the pool"),
    ([{"email": "A@x.cn"}, {"email": "a@X.cn"}], "users[1]: email 'a@x.cn' belongs to another user of the pool"),
])
def test_fixture_users_are_checked(tmp_path, users, message):
    fixture = json.loads((DATA / "signin_users.json").read_text())
    fixture["authing"]["user_pools"][0]["users"] = users
    path = tmp_path / "f.json"
    path.write_text(json.dumps(fixture))
    with pytest.raises(FixtureError) as raised:
        create_app(Config(fixtures=str(path)))
    assert message in str(raised.value)


def test_fixture_users_are_the_same_on_every_load(rt):
    first = [(u["id"], u["nickname"]) for u in rt.authing.users()]
    again = create_app(Config(fixtures=FIXTURE)).extensions["mockserver"]
    assert [(u["id"], u["nickname"]) for u in again.authing.users()] == first
    erin = next(u for u in rt.authing.users() if u.get("email") == "erin@example.com")
    assert erin["nickname"] and erin["nickname"] == erin["name"]  # made by Faker


# --- README ------------------------------------------------------------------------------------------
def test_readme_example_runs_as_written():
    """README's "Log in with a password or a code, or register" example (a loopback MockServer)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### Log in with a password or a code, or register")
    section = text[start:text.index("\n### ", start + 1)]
    example = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    exec(compile(example, "README.md", "exec"), {})


# --- racing requests ----------------------------------------------------------------------------------
def race(app, count, request):
    """``count`` threads sending ``request(client)`` at once; their answers."""
    barrier, answers = threading.Barrier(count), []

    def run():
        client = app.test_client()
        barrier.wait()
        answers.append(request(client))
    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_racing_registrations_make_one_user(app, rt):
    answers = race(app, 12, lambda c: c.post("/api/v3/signup", headers=H, json={
        "connection": "PASSWORD", "passwordPayload": {"email": "race@example.com", "password": "race-pass-1"}}
    ).get_json())
    assert sorted(a["statusCode"] for a in answers) == [200] + [400] * 11
    assert {a["apiCode"] for a in answers if a["statusCode"] == 400} == {2026}
    assert [u["email"] for u in rt.authing.users()].count("race@example.com") == 1
    assert app.test_client().post("/api/v3/signin", headers=H, json={"connection": "PASSWORD", "passwordPayload": {
        "email": "race@example.com", "password": "race-pass-1"}}).get_json()["statusCode"] == 200


def test_racing_sends_give_one_code(app, client):
    answers = race(app, 12, lambda c: send_sms(c, "13700137000"))
    assert sorted(a["statusCode"] for a in answers) == [200] + [429] * 11
    assert len(client.get("/__mock__/authing/sms").get_json()["codes"]) == 1


def test_racing_code_logins_take_the_code_once(app, client):
    send_sms(client, "13700137000")
    code = last_sms(client)["code"]
    answers = race(app, 12, lambda c: signin(c, "PASSCODE", passCodePayload={"phone": "13700137000", "passCode": code}))
    assert sorted(a["statusCode"] for a in answers) == [200] + [400] * 11


def test_a_ciphertext_short_of_a_leading_zero_byte_is_decrypted(client):
    """The JSEncrypt in authing-js-sdk drops a ciphertext's leading zero byte (about one password in
    170); OpenSSL, and so Authing, reads it as if the zero were there."""
    pem = client.get("/api/v3/system").get_json()["rsa"]["publicKey"]
    key = serialization.load_pem_public_key(pem.encode())
    short = next(raw[1:] for raw in (key.encrypt(b"carol-pass-1", padding.PKCS1v15()) for _ in range(20_000))
                 if raw[0] == 0)
    answer = password(client, {"passwordEncryptType": "rsa"}, username="carol",
                      password=base64.b64encode(short).decode())
    assert answer["statusCode"] == 200, answer
