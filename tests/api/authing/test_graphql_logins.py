"""v2 GraphQL: password, code and registration mutations with Authing's typed inputs, passwords
encrypted with the key of ``/api/v2/.well-known`` as the v2 SDKs send them, email codes, password
changes and resets, binding, and custom data — each error with its exact answer, on memory, SQLite
and Redis (``tests/data/signin_users.json``)."""
from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding

from mockserver import Config, create_app
from support import DATA
from support.processes import state_url

APP = "d1d1d1d1d1d1d1d1d1d1d1d1"
H = {"x-authing-app-id": APP}
USER = "id username email phone phoneVerified emailVerified token password registerSource"


@pytest.fixture(params=["memory", "sqlite", "redis"])
def client(request, tmp_path):
    app = create_app(Config(fixtures=str(DATA / "signin_users.json"),
                            state=state_url(request.param, tmp_path, request)))
    yield app.test_client()
    app.extensions["mockserver"].store.close()


def enc(client, text):
    pem = client.get("/api/v2/.well-known").get_json()["data"]["publicKey"]
    key = serialization.load_pem_public_key(pem.encode())
    return base64.b64encode(key.encrypt(text.encode(), padding.PKCS1v15())).decode()


def gql(client, query, variables=None, headers=H):
    return client.post("/graphql/v2", json={"query": query, "variables": variables or {}}, headers=headers).get_json()


def mutation(name, input_type):
    return f"mutation {name}($input: {input_type}!) {{ {name}(input: $input) {{ {USER} }} }}"


def code_of(answer):
    return answer["errors"][0]["message"]["code"], answer["errors"][0]["message"]["message"]


def login(client, username="carol", secret="carol-pass-1"):
    return gql(client, mutation("loginByUsername", "LoginByUsernameInput"),
               {"input": {"username": username, "password": enc(client, secret)}})["data"]["loginByUsername"]


@pytest.mark.parametrize("name, input_type, given", [
    ("loginByEmail", "LoginByEmailInput", {"email": "carol@example.com"}),
    ("loginByUsername", "LoginByUsernameInput", {"username": "carol"}),
    ("loginByPhonePassword", "LoginByPhonePasswordInput", {"phone": "13700137000"}),
])
def test_password_logins(client, name, input_type, given):
    answer = gql(client, mutation(name, input_type), {"input": {**given, "password": enc(client, "carol-pass-1")}})
    user = answer["data"][name]
    assert user["username"] == "carol" and user["token"] and user["password"] is None
    wrong = gql(client, mutation(name, input_type), {"input": {**given, "password": enc(client, "nope")}})
    assert code_of(wrong) == (2006, "密码不正确") and wrong["data"] == {name: None}
    clear = gql(client, mutation(name, input_type), {"input": {**given, "password": "carol-pass-1"}})
    assert code_of(clear) == (2016, "解密客户端密码出错")


def test_unknown_and_blocked_users(client):
    query = mutation("loginByUsername", "LoginByUsernameInput")
    assert code_of(gql(client, query, {"input": {"username": "zed", "password": enc(client, "x")}})) == (
        2004, "用户不存在")
    assert code_of(gql(client, query, {"input": {"username": "mallory", "password": enc(client, "mallory-pass-1")}})) \
        == (2005, "用户已被锁定")
    english = gql(client, query, {"input": {"username": "zed", "password": enc(client, "x")}},
                  headers={**H, "x-authing-lang": "en-US"})
    assert code_of(english) == (2004, "User does not exist")


def test_login_by_phone_code(client):
    assert client.post("/api/v2/sms/send", json={"phone": "13700137000"}, headers=H).get_json()["code"] == 200
    sent = client.get("/__mock__/authing/sms").get_json()["codes"][-1]
    assert sent["channel"] == "v2"
    query = mutation("loginByPhoneCode", "LoginByPhoneCodeInput")
    user = gql(client, query, {"input": {"phone": "13700137000", "code": sent["code"]}})["data"]["loginByPhoneCode"]
    assert user["username"] == "carol"
    assert code_of(gql(client, query, {"input": {"phone": "13700137000", "code": sent["code"]}})) == (
        2001, "验证码不正确")
    assert client.post("/api/v2/sms/send", json={"phone": "13700137000"}, headers=H).get_json() == {
        "code": 429, "message": "发送过于频繁，请稍后再试", "data": None}


def test_login_by_phone_code_registers_an_unknown_phone_unless_told_not_to(client):
    client.post("/api/v2/sms/send", json={"phone": "13200132000"}, headers=H)
    code = client.get("/__mock__/authing/sms").get_json()["codes"][-1]["code"]
    query = mutation("loginByPhoneCode", "LoginByPhoneCodeInput")
    refused = gql(client, query, {"input": {"phone": "13200132000", "code": code, "autoRegister": False}})
    assert code_of(refused) == (2004, "用户不存在")
    made = gql(client, query, {"input": {"phone": "13200132000", "code": code}})["data"]["loginByPhoneCode"]
    assert made["phone"] == "13200132000" and made["registerSource"] == ["basic:phone-code"] and made["token"]


def test_registrations(client):
    query = mutation("registerByEmail", "RegisterByEmailInput")
    made = gql(client, query, {"input": {"email": "ivan@example.com", "password": enc(client, "ivan-pass-1"),
                                         "profile": {"nickname": "伊万", "udf": [{"key": "team", "value": "red"}]}}})
    user = made["data"]["registerByEmail"]
    assert user["email"] == "ivan@example.com" and user["token"] is None and user["registerSource"] == ["basic:email"]
    assert code_of(gql(client, query, {"input": {"email": "ivan@example.com", "password": enc(client, "x")}})) == (
        2026, "用户已存在，请不要重复注册")
    ivan = gql(client, mutation("loginByEmail", "LoginByEmailInput"), {"input": {
        "email": "ivan@example.com", "password": enc(client, "ivan-pass-1")}})["data"]["loginByEmail"]
    profile = client.get("/api/v3/get-profile?withCustomData=true",
                         headers={**H, "Authorization": ivan["token"]}).get_json()["data"]
    assert profile["customData"] == {"team": "red"} and profile["nickname"] == "伊万"
    by_name = gql(client, mutation("registerByUsername", "RegisterByUsernameInput"),
                  {"input": {"username": "judy", "password": enc(client, "judy-pass-1"), "forceLogin": True}})
    assert by_name["data"]["registerByUsername"]["token"]
    assert login(client, "judy", "judy-pass-1")["username"] == "judy"
    client.post("/api/v2/sms/send", json={"phone": "13300133000"}, headers=H)
    code = client.get("/__mock__/authing/sms").get_json()["codes"][-1]["code"]
    by_phone = gql(client, mutation("registerByPhoneCode", "RegisterByPhoneCodeInput"),
                   {"input": {"phone": "13300133000", "code": code, "password": enc(client, "p-pass-1")}})
    assert by_phone["data"]["registerByPhoneCode"]["phoneVerified"] is True
    assert gql(client, mutation("loginByPhonePassword", "LoginByPhonePasswordInput"), {"input": {
        "phone": "13300133000", "password": enc(client, "p-pass-1")}})["data"]["loginByPhonePassword"]["token"]


def test_send_email_reset_password_and_update_password(client):
    send = ("mutation sendEmail($email: String!, $scene: EmailScene!) "
            "{ sendEmail(email: $email, scene: $scene) { message code } }")
    assert gql(client, send, {"email": "carol@example.com", "scene": "RESET_PASSWORD"})["data"]["sendEmail"] == {
        "message": "发送成功", "code": 200}
    mail = client.get("/__mock__/authing/emails").get_json()["emails"][-1]
    assert mail["channel"] == "RESET_PASSWORD"
    reset = ("mutation resetPassword($phone: String, $email: String, $code: String!, $newPassword: String!) "
             "{ resetPassword(phone: $phone, email: $email, code: $code, newPassword: $newPassword) { message code } }")
    wrong = gql(client, reset, {"email": "carol@example.com", "code": "x", "newPassword": enc(client, "reset-1")})
    assert code_of(wrong) == (2001, "验证码不正确")
    nobody = gql(client, reset, {"email": "zed@example.com", "code": "x", "newPassword": enc(client, "reset-1")})
    assert code_of(nobody) == (2004, "用户不存在")
    ok = gql(client, reset, {"email": "carol@example.com", "code": mail["code"], "newPassword": enc(client, "reset-1")})
    assert ok["data"]["resetPassword"] == {"message": "重置密码成功", "code": 200}
    user = login(client, "carol", "reset-1")
    update = ("mutation updatePassword($newPassword: String!, $oldPassword: String) "
              "{ updatePassword(newPassword: $newPassword, oldPassword: $oldPassword) { id } }")
    bearer = {**H, "Authorization": "Bearer " + user["token"]}
    assert code_of(gql(client, update, {"newPassword": enc(client, "n-1"), "oldPassword": enc(client, "bad")},
                       headers=bearer)) == (2006, "原密码不正确")
    assert gql(client, update, {"newPassword": enc(client, "n-1"), "oldPassword": enc(client, "reset-1")},
               headers=bearer)["data"]["updatePassword"]["id"] == user["id"]
    assert login(client, "carol", "n-1")["id"] == user["id"]


def test_bind_and_unbind(client):
    user = login(client, "dave", "dave-pass-1")
    bearer = {**H, "Authorization": "Bearer " + user["token"]}
    client.post("/graphql/v2", headers=H, json={"query": "mutation s($e: String!) { sendEmail(email: $e, scene: "
                                                         "VERIFY_EMAIL) { code } }", "variables": {"e": "d@x.cn"}})
    code = client.get("/__mock__/authing/emails").get_json()["emails"][-1]["code"]
    bind = ("mutation bindEmail($email: String!, $emailCode: String!) "
            "{ bindEmail(email: $email, emailCode: $emailCode) { email emailVerified } }")
    assert code_of(gql(client, bind, {"email": "d@x.cn", "emailCode": "nope"}, headers=bearer))[0] == 2001
    assert gql(client, bind, {"email": "d@x.cn", "emailCode": code}, headers=bearer)["data"]["bindEmail"] == {
        "email": "d@x.cn", "emailVerified": True}
    assert gql(client, "mutation { unbindEmail { email } }", headers=bearer)["data"]["unbindEmail"] == {"email": None}
    assert code_of(gql(client, "mutation { unbindEmail { email } }", headers=bearer)) == (400, "用户未绑定邮箱")
    assert code_of(gql(client, "mutation { unbindPhone { phone } }", headers=bearer)) == (400, "用户未绑定手机号")
    carol = login(client)
    carol_h = {**H, "Authorization": "Bearer " + carol["token"]}
    assert gql(client, "mutation { unbindPhone { phone } }", headers=carol_h)["data"]["unbindPhone"] == {"phone": None}
    by_phone = gql(client, mutation("loginByPhonePassword", "LoginByPhonePasswordInput"), {"input": {
        "phone": "13700137000", "password": enc(client, "carol-pass-1")}})
    assert code_of(by_phone) == (2004, "用户不存在")  # the phone no longer finds carol
    assert code_of(gql(client, "mutation { unbindEmail { email } }")) == (2020, "尚未登录，无权限访问此请求")


def test_custom_data_udv(client):
    user = login(client)
    bearer = {**H, "Authorization": "Bearer " + user["token"]}
    set_udv = ("mutation setUdv($targetType: UDFTargetType!, $targetId: String!, $key: String!, $value: String!) "
               "{ setUdv(targetType: $targetType, targetId: $targetId, key: $key, value: $value) "
               "{ key dataType value label } }")
    args = {"targetType": "USER", "targetId": user["id"]}
    assert gql(client, set_udv, {**args, "key": "age", "value": "30"}, headers=bearer)["data"]["setUdv"] == [
        {"key": "age", "dataType": "NUMBER", "value": "30", "label": "age"}]
    batch = ("mutation b($targetType: UDFTargetType!, $targetId: String!, $udvList: [UserDefinedDataInput!]) "
             "{ setUdvBatch(targetType: $targetType, targetId: $targetId, udvList: $udvList) { key value dataType } }")
    listed = gql(client, batch, {**args, "udvList": [{"key": "team", "value": "red"}]}, headers=bearer)
    assert listed["data"]["setUdvBatch"] == [{"key": "age", "value": "30", "dataType": "NUMBER"},
                                             {"key": "team", "value": "red", "dataType": "STRING"}]
    udv = ("query u($targetType: UDFTargetType!, $targetId: String!) "
           "{ udv(targetType: $targetType, targetId: $targetId) { key } }")
    assert gql(client, udv, args, headers=bearer)["data"]["udv"] == [{"key": "age"}, {"key": "team"}]
    remove = ("mutation r($targetType: UDFTargetType!, $targetId: String!, $key: String!) "
              "{ removeUdv(targetType: $targetType, targetId: $targetId, key: $key) { key } }")
    assert gql(client, remove, {**args, "key": "age"}, headers=bearer)["data"]["removeUdv"] == [{"key": "team"}]
    profile = client.get("/api/v3/get-profile?withCustomData=true", headers=bearer).get_json()["data"]
    assert profile["customData"] == {"team": "red"}
    other = gql(client, udv, {"targetType": "USER", "targetId": "0" * 24}, headers=bearer)
    assert code_of(other) == (1001, "无权限执行此项操作")
    # a value is read as JSON only within the body's own bounds: past them it is kept as the string it is
    deep = "[" * 100_000 + "]" * 100_000
    kept = gql(client, set_udv, {**args, "key": "deep", "value": deep}, headers=bearer)["data"]["setUdv"]
    assert {"key": "deep", "dataType": "STRING", "value": deep, "label": "deep"} in kept
    assert code_of(gql(client, udv, {"targetType": "ROLE", "targetId": user["id"]}, headers=bearer))[0] == 1001
