"""Authing rules that only a second app, a second pool, a second user or a forged token can break.

Each test guards one rule of the emulation (see the section headings) and fails when the rule is
deleted: a token of one app used on another app's request, an RS256 token with a key id that is
not the mock's, an app named together with another user pool, a GraphQL call about another user,
and profile changes a user may not make. Everything goes through HTTP: Authing's own routes and
the control plane under ``/__mock__/``; the app is built from ``tests/data/two_pools.json``.
"""
from __future__ import annotations

import jwt
import pytest

from mockserver import Config, create_app
from mockserver.authing.models import PROTECTED_FIELDS
from support import authing_login, mint
from support.two_pools import APP_A1, APP_A2, APP_B1, DEV_KEY, FIXTURE, POOL_A, POOL_B, SECRETS, WX_A, WX_B

NO_PERMISSION = (1001, "无权限执行此项操作")
APP_NOT_IN_POOL = (2011, "应用不属于此用户池")
NOT_THIS_APP = (2207, "token 不属于此应用")
INVALID = (2207, "token 不合法")

USER_QUERY = "query user($id: String) { user(id: $id) { id nickname } }"
UPDATE_USER = ("mutation updateUser($id: String, $input: UpdateUserInput!) "
               "{ updateUser(id: $id, input: $input) { id nickname city } }")
REFRESH_TOKEN = "mutation refreshToken($id: String) { refreshToken(id: $id) { token exp } }"
CHECK_LOGIN_STATUS = "query { checkLoginStatus { code message status } }"


@pytest.fixture
def client():
    """A fresh mock with two user pools: A (apps A1, A2) and B (app B1)."""
    return create_app(Config(fixtures=str(FIXTURE))).test_client()


# --- helpers ------------------------------------------------------------------------------------
def wechat_code(client, alias, appid=WX_A):
    return mint(client, appid, alias)["code"]


def log_in(client, alias="alice", app_id=APP_A1, appid=WX_A):
    """``alias`` logs in to Authing app ``app_id`` through the mini program ``appid``: the v2 user, with ``token``."""
    return authing_login(client, alias, app_id, appid)


def bearer(token, app_id=APP_A1):
    return {"Authorization": "Bearer " + token, "x-authing-app-id": app_id}


def record(client, user_id):
    """The user as the control plane shows it (every stored field, customData included)."""
    answer = client.get(f"/__mock__/authing/users/{user_id}")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def users(client):
    return client.get("/__mock__/authing/users").get_json()["users"]


def graphql(client, headers, query, **variables):
    return client.post("/graphql/v2", headers=headers, json={"query": query, "variables": variables}).get_json()


def graphql_error(answer):
    """The one Authing error of a GraphQL answer, as ``(code, message)``."""
    assert len(answer["errors"]) == 1, answer
    error = answer["errors"][0]["message"]
    assert error["data"] is None, answer
    return error["code"], error["message"]


def v2_error(answer):
    assert answer["data"] is None, answer
    return answer["code"], answer["message"]


def v3_error(answer, status):
    assert answer["statusCode"] == status, answer
    return answer["apiCode"], answer["message"]


def forge(claims, kid):
    """Claims signed RS256 with the mock's own (public, test-only) dev key, under header ``kid``."""
    return jwt.encode(claims, DEV_KEY, algorithm="RS256", headers={"kid": kid})


# --- 1. a token is for the app it was issued for -------------------------------------------------
def identify(how, app_id):
    """A request naming ``app_id`` the three ways a client can: header, ``app_id`` or ``appId`` query."""
    if how == "header":
        return {"x-authing-app-id": app_id}, {}
    return {}, {how: app_id}


@pytest.mark.parametrize("how", ["header", "app_id", "appId"])
def test_a_token_of_one_app_is_refused_on_another_apps_request(client, how):
    alice = log_in(client, "alice", app_id=APP_A2)  # the same pool: only the audience differs
    token = alice["token"]
    before = record(client, alice["id"])

    def call(app_id):
        headers, query = identify(how, app_id)
        headers["Authorization"] = "Bearer " + token
        return headers, query

    # On its own app the token is good, named in the same way.
    own, own_query = call(APP_A2)
    assert client.get("/api/v2/users/me", headers=own, query_string=own_query).get_json()["code"] == 200

    h, q = call(APP_A1)
    assert v2_error(client.get("/api/v2/users/me", headers=h, query_string=q).get_json()) == NOT_THIS_APP
    gql = client.post("/graphql/v2", headers=h, query_string=q,
                      json={"query": UPDATE_USER, "variables": {"input": {"nickname": "偷改"}}}).get_json()
    assert graphql_error(gql) == NOT_THIS_APP
    status = client.post("/graphql/v2", headers=h, query_string=q, json={"query": CHECK_LOGIN_STATUS}).get_json()
    assert status == {"data": {"checkLoginStatus": {"code": 2207, "message": "token 不属于此应用", "status": False}}}
    v3 = client.get("/api/v3/get-profile", headers=h, query_string=q).get_json()
    assert v3_error(v3, 401) == NOT_THIS_APP
    changed = client.post("/api/v3/update-profile", headers=h, query_string=q, json={"nickname": "偷改"}).get_json()
    assert v3_error(changed, 401) == NOT_THIS_APP
    oidc = client.get("/oidc/me", headers=h, query_string=q)
    assert oidc.status_code == 401
    assert oidc.get_json() == {"error": "invalid_token", "error_description": "token 不属于此应用"}
    validated = client.get("/api/v2/oidc/validate_token", headers=h, query_string={**q, "id_token": token}).get_json()
    assert validated == {"code": 400, "message": "token 校验失败：token 不属于此应用", "data": None}
    logout = client.get("/api/v2/logout", headers=h, query_string=q).get_json()
    assert (logout["code"], logout["message"]) == NOT_THIS_APP

    # Nothing changed, and the refused logout revoked nothing: the token still works on its app.
    assert record(client, alice["id"]) == before
    assert client.get("/api/v2/users/me", headers=own, query_string=own_query).get_json()["code"] == 200


def test_introspection_is_inactive_for_another_apps_token(client):
    token = log_in(client, "alice", app_id=APP_A2)["token"]

    def introspect(app_id):
        return client.post("/oidc/token/introspection",
                           data={"client_id": app_id, "client_secret": SECRETS[app_id], "token": token}).get_json()
    assert introspect(APP_A2)["active"] is True
    assert introspect(APP_A1) == {"active": False}


# --- 2. an RS256 token must name the mock's key ---------------------------------------------------
def test_an_rs256_token_with_another_kid_is_refused_even_when_validly_signed(client):
    alice = log_in(client, "alice")
    claims = jwt.decode(alice["token"], options={"verify_signature": False})
    kid = client.get("/oidc/.well-known/jwks.json").get_json()["keys"][0]["kid"]
    assert jwt.get_unverified_header(alice["token"])["kid"] == kid

    # The same claims under the mock's kid are accepted: the forged token is good but for its kid.
    twin = forge(claims, kid)
    assert client.get("/api/v2/users/me", headers=bearer(twin)).get_json()["code"] == 200

    stranger = forge(claims, "another-key")
    h = bearer(stranger)
    assert v2_error(client.get("/api/v2/users/me", headers=h).get_json()) == INVALID
    assert graphql_error(graphql(client, h, USER_QUERY)) == INVALID
    assert v3_error(client.get("/api/v3/get-profile", headers=h).get_json(), 401) == INVALID
    oidc = client.get("/oidc/me", headers=h)
    assert oidc.status_code == 401 and oidc.get_json() == {"error": "invalid_token", "error_description": "token 不合法"}
    assert client.post("/oidc/token/introspection", data={
        "client_id": APP_A1, "client_secret": SECRETS[APP_A1], "token": stranger}).get_json() == {"active": False}
    assert client.get("/api/v2/oidc/validate_token", headers=h, query_string={"id_token": stranger}).get_json() == {
        "code": 400, "message": "token 校验失败：token 不合法", "data": None}
    logout = client.get("/api/v2/logout", headers=h).get_json()
    assert (logout["code"], logout["message"]) == INVALID
    # The refused logout revoked nothing: the twin (same jti) still works.
    assert client.get("/api/v2/users/me", headers=bearer(twin)).get_json()["code"] == 200


# --- 3. an app is used only with its own user pool -------------------------------------------------
def test_an_app_named_with_another_user_pool_is_refused(client):
    code = wechat_code(client, "alice")
    mismatched = {"x-authing-app-id": APP_A1, "x-authing-userpool-id": POOL_B}

    v2 = client.post("/connections/social/wechat-miniprogram/auth", headers=mismatched, json={"code": code}).get_json()
    assert v2_error(v2) == APP_NOT_IN_POOL
    v3 = client.post("/api/v3/signin-by-mobile", headers=mismatched, json={
        "extIdpConnidentifier": "wechat-miniprogram", "connection": "wechat_mini_program_code",
        "wechatMiniProgramCodePayload": {"code": code}}).get_json()
    assert v3_error(v3, 404) == APP_NOT_IN_POOL
    assert users(client) == []

    # Refused before the code was exchanged: it still logs alice in with the app's own pool.
    matched = {"x-authing-app-id": APP_A1, "x-authing-userpool-id": POOL_A}
    answer = client.post("/connections/social/wechat-miniprogram/auth", headers=matched, json={"code": code}).get_json()
    assert answer["code"] == 200 and answer["data"]["userPoolId"] == POOL_A
    bob = client.post("/connections/social/wechat-miniprogram/auth", json={"code": wechat_code(client, "bob", WX_B)},
                      headers={"x-authing-app-id": APP_B1, "x-authing-userpool-id": POOL_B}).get_json()
    assert bob["code"] == 200 and bob["data"]["userPoolId"] == POOL_B
    assert sorted(u["userPoolId"] for u in users(client)) == [POOL_A, POOL_B]


# --- 4. GraphQL calls are about the caller only ----------------------------------------------------
def test_graphql_calls_naming_another_user_are_refused(client):
    alice, bob = log_in(client, "alice"), log_in(client, "bob")
    h = bearer(alice["token"])
    alice_before, bob_before = record(client, alice["id"]), record(client, bob["id"])

    updated = graphql(client, h, UPDATE_USER, id=bob["id"], input={"nickname": "偷改", "city": "北京"})
    assert graphql_error(updated) == NO_PERMISSION and updated["data"] == {"updateUser": None}
    read = graphql(client, h, USER_QUERY, id=bob["id"])
    assert graphql_error(read) == NO_PERMISSION and read["data"] == {"user": None}
    refreshed = graphql(client, h, REFRESH_TOKEN, id=bob["id"])
    assert graphql_error(refreshed) == NO_PERMISSION and refreshed["data"] == {"refreshToken": None}
    assert record(client, bob["id"]) == bob_before
    assert record(client, alice["id"]) == alice_before

    # Naming oneself is fine.
    assert graphql(client, h, USER_QUERY, id=alice["id"]) == {"data": {"user": {"id": alice["id"], "nickname": None}}}
    assert graphql(client, h, REFRESH_TOKEN, id=alice["id"])["data"]["refreshToken"]["token"]
    mine = graphql(client, h, UPDATE_USER, id=alice["id"], input={"nickname": "爱丽丝", "city": "杭州"})
    assert mine == {"data": {"updateUser": {"id": alice["id"], "nickname": "爱丽丝", "city": "杭州"}}}
    assert record(client, bob["id"]) == bob_before


# --- 5. the profile changes a user may make -------------------------------------------------------
#: A value of the right GraphQL type (UpdateUserInput) for every protected field.
PROTECTED_VALUES = {
    "email": "alice@example.com", "emailVerified": True, "phone": "13000000000", "phoneVerified": True,
    "unionid": "o-forged-unionid", "openid": "o-forged-openid", "password": "secret", "oauth": "{}",
    "tokenExpiredAt": "2099-01-01T00:00:00.000Z", "loginsCount": 99, "lastLogin": "2099-01-01T00:00:00.000Z",
    "lastIP": "10.0.0.1", "blocked": True, "phoneCountryCode": "+1", "mainDepartmentId": "d1",
    "mainDepartmentCode": "sales", "expiredAt": "2099-01-01T00:00:00.000Z", "directManagement": "u1",
}


def test_every_protected_field_has_a_value_here():
    assert set(PROTECTED_VALUES) == PROTECTED_FIELDS


def profile_of(client, user):
    """The profile read back both ways: the whole record and v3 get-profile (with customData)."""
    shown = client.get("/api/v3/get-profile", headers=bearer(user["token"]),
                       query_string={"withCustomData": "true"}).get_json()
    assert shown["statusCode"] == 200, shown
    return record(client, user["id"]), shown["data"]


@pytest.mark.parametrize("field", sorted(PROTECTED_VALUES))
def test_graphql_update_user_refuses_each_protected_field(client, field):
    alice = log_in(client, "alice")
    before = profile_of(client, alice)
    answer = graphql(client, bearer(alice["token"]), UPDATE_USER,
                     input={field: PROTECTED_VALUES[field], "nickname": "新名字"})
    assert graphql_error(answer) == (2018, f"用户无权限修改此项内容：{field}")
    assert answer["data"] == {"updateUser": None}
    assert profile_of(client, alice) == before  # not even the nickname beside it


@pytest.mark.parametrize("field", sorted(PROTECTED_VALUES))
def test_v3_update_profile_refuses_each_protected_field(client, field):
    """v3's update-profile takes only the fields of Authing's v3 DTO: a protected field is unknown there."""
    alice = log_in(client, "alice")
    before = profile_of(client, alice)
    answer = client.post("/api/v3/update-profile", headers=bearer(alice["token"]),
                         json={field: PROTECTED_VALUES[field], "nickname": "新名字"}).get_json()
    assert v3_error(answer, 400) == (400, f"不支持的字段：{field}")
    assert profile_of(client, alice) == before


# (input, exact message) that v3 update-profile answers with 400; each also carries a good field.
V3_BAD_PROFILES = [
    ({"nope": "x"}, "不支持的字段：nope"),
    ({"nickname": 5}, "nickname 必须是字符串"),
    ({"city": ["杭州"]}, "city 必须是字符串"),
    ({"birthdate": {"y": 2000}}, "birthdate 必须是字符串"),
    ({"gender": True}, "gender 必须是字符串"),
    ({"customData": 3}, "customData 必须是对象"),
    ({"customData": ["a"]}, "customData 必须是对象"),
    ({"customData": "{}"}, "customData 必须是对象"),
    ({"gender": "X"}, "gender 只能是 M、F 或 U"),
    ({"gender": "m"}, "gender 只能是 M、F 或 U"),
    ({"gender": ""}, "gender 只能是 M、F 或 U"),
]


@pytest.mark.parametrize("bad, message", V3_BAD_PROFILES, ids=[m for _, m in V3_BAD_PROFILES])
def test_v3_update_profile_refuses_bad_values_and_changes_nothing(client, bad, message):
    alice = log_in(client, "alice")
    before = profile_of(client, alice)
    answer = client.post("/api/v3/update-profile", headers=bearer(alice["token"]),
                         json={"company": "新公司", **bad}).get_json()
    assert v3_error(answer, 400) == (400, message)
    assert profile_of(client, alice) == before


# (input, message) that GraphQL updateUser answers with code 400: the service's exact message for gender,
# else the point graphql-core's wording makes (the schema refuses unknown fields and non-strings first).
GRAPHQL_BAD_PROFILES = [
    ({"gender": "X"}, "gender 只能是 M、F 或 U"),
    ({"gender": "f"}, "gender 只能是 M、F 或 U"),
    ({"gender": ""}, "gender 只能是 M、F 或 U"),
    ({"nope": "x"}, "not to include unknown field 'nope'"),
    ({"customData": {"a": 1}}, "not to include unknown field 'customData'"),
    ({"nickname": 5}, "String cannot represent a non string value: 5"),
    ({"city": ["杭州"]}, "String cannot represent a non string value"),
]


@pytest.mark.parametrize("bad, message", GRAPHQL_BAD_PROFILES, ids=[m for _, m in GRAPHQL_BAD_PROFILES])
def test_graphql_update_user_refuses_bad_values_and_changes_nothing(client, bad, message):
    alice = log_in(client, "alice")
    before = profile_of(client, alice)
    answer = graphql(client, bearer(alice["token"]), UPDATE_USER, input={"company": "新公司", **bad})
    code, text = graphql_error(answer)
    assert code == 400
    if message.startswith("gender"):  # the service's own message, exactly
        assert text == message and answer["data"] == {"updateUser": None}
    else:  # graphql-core's wording around the point it makes
        assert message in text and answer["data"] is None
    assert profile_of(client, alice) == before


def test_good_profile_changes_are_saved_by_both_apis(client):
    """The counterpart of the refusals above: the same requests without the bad field do change the profile."""
    alice = log_in(client, "alice")
    h = bearer(alice["token"])
    answer = graphql(client, h, UPDATE_USER, input={"company": "新公司", "gender": "F", "city": "杭州"})
    assert answer == {"data": {"updateUser": {"id": alice["id"], "nickname": None, "city": "杭州"}}}
    v3 = client.post("/api/v3/update-profile", headers=h,
                     json={"nickname": "爱丽丝", "gender": "M", "customData": {"level": 3}}).get_json()
    assert v3["statusCode"] == 200, v3
    saved, shown = profile_of(client, alice)
    assert (saved["company"], saved["city"], saved["nickname"], saved["gender"]) == ("新公司", "杭州", "爱丽丝", "M")
    assert saved["customData"] == shown["customData"] == {"level": 3}
