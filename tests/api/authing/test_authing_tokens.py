"""Authing tokens and the v3 API: the real PyPI authing 5.1.0, PyJWT's PyJWKClient, and every
kind of token the mock must refuse (expired by its clock, tampered, alg none, wrong audience,
logged out), refused the same way by every API family."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import jwt
import pytest
import requests

from support import DATA, authing_login, mint


@pytest.fixture
def authing_app(rt):
    return rt.authing.apps()[0]


@pytest.fixture
def conn(rt):
    return rt.authing.connections()[0]


def headers(app, token=None):
    h = {"x-authing-app-id": app["id"], "x-authing-userpool-id": app["userPoolId"]}
    if token:
        h["Authorization"] = "Bearer " + token
    return h


def login(client, wx_app, alias, app):
    return authing_login(client, alias, app["id"], wx_app["appid"])


def test_python_sdk_sign_in_profile_update_and_offline_introspection(live, client, wx_app, alias, authing_app, conn, rt):
    from authing import AuthenticationClient

    sdk = AuthenticationClient(app_id=authing_app["id"], app_host=live.url, app_secret=authing_app["secret"])
    code = mint(client, wx_app["appid"], alias)["code"]
    signed_in = sdk.sign_in_by_mobile(ext_idp_connidentifier=conn["identifier"], connection="wechat_mini_program_code",
                                      wechat_mini_program_code_payload={"code": code})
    assert signed_in["statusCode"] == 200, signed_in
    tokens = signed_in["data"]
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == authing_app["tokenLifetime"]
    assert tokens["expire_in"] == authing_app["tokenLifetime"]  # WechatLoginTokenRespDto's name

    sdk.set_access_token(tokens["access_token"])  # sent bare, without "Bearer"
    profile = sdk.get_profile(with_identities=True)
    assert profile["statusCode"] == 200
    openid = rt.wechat.openid(rt.wechat.user(alias), wx_app["appid"])
    assert profile["data"]["identities"][0]["userIdInIdp"] in (openid, rt.authing.users()[0]["unionid"])
    user_id = profile["data"]["userId"]

    updated = sdk.update_profile(nickname="小明", city="杭州", gender="M")
    assert updated["statusCode"] == 200 and updated["data"]["nickname"] == "小明"
    assert rt.authing.user_record(user_id)["city"] == "杭州"

    payload = sdk.introspect_token_offline(tokens["access_token"])
    assert payload["sub"] == user_id and payload["aud"] == authing_app["id"]
    id_claims = sdk.introspect_token_offline(tokens["id_token"])
    assert id_claims["data"]["openid"] == openid

    # The same code again: refused, nothing changes.
    again = sdk.sign_in_by_mobile(ext_idp_connidentifier=conn["identifier"], connection="wechat_mini_program_code",
                                  wechat_mini_program_code_payload={"code": code})
    assert again["statusCode"] == 400 and again["apiCode"] == 400 and "code been used" in again["message"]
    assert len(rt.authing.users()) == 1


def test_v3_phone_connections_and_decrypt(client, wx_app, alias, authing_app, conn, rt):
    h = headers(authing_app)
    code = mint(client, wx_app["appid"], alias)["code"]
    sealed = client.post("/__mock__/wechat/encrypted-data",
                         json={"appid": wx_app["appid"], "user": alias, "kind": "phoneNumber"}).get_json()
    answer = client.post("/api/v3/signin-by-mobile", headers=h, json={
        "extIdpConnidentifier": conn["identifier"], "connection": "wechat_mini_program_phone",
        "wechatMiniProgramPhonePayload": {"code": code, "iv": sealed["iv"], "encryptedData": sealed["encryptedData"]}})
    assert answer.get_json()["statusCode"] == 200
    phone = rt.wechat.user(alias)["phone"]
    assert rt.authing.users()[0]["phone"] == phone

    login_code = mint(client, wx_app["appid"], alias)["code"]
    phone_code = client.post("/__mock__/wechat/phone-code", json={"appid": wx_app["appid"], "user": alias}).get_json()
    both = client.post("/api/v3/signin-by-mobile", headers=h, json={
        "extIdpConnidentifier": conn["identifier"], "connection": "wechat_mini_program_code_and_phone",
        "wechatMiniProgramCodeAndPhonePayload": {"wxLoginInfo": {"code": login_code},
                                                 "wxPhoneInfo": {"code": phone_code["code"]}}}).get_json()
    assert both["statusCode"] == 200 and len(rt.authing.users()) == 1
    assert rt.authing.users()[0]["loginsCount"] == 2

    code = mint(client, wx_app["appid"], alias)["code"]
    info = client.post("/__mock__/wechat/encrypted-data", json={"appid": wx_app["appid"], "user": alias}).get_json()
    plain = client.post("/api/v3/decrypt-wechat-miniprogram-data", headers=h, json={
        "code": code, "iv": info["iv"], "encryptedData": info["encryptedData"],
        "extIdpConnidentifier": conn["identifier"]}).get_json()
    assert plain["statusCode"] == 200 and plain["data"]["nickName"] == rt.wechat.user(alias)["nickname"]


def test_pyjwk_client_verifies_user_tokens_and_keys_survive_restarts(live, client, wx_app, alias, authing_app):
    from mockserver import Config, create_app

    token = login(client, wx_app, alias, authing_app)["token"]
    key = jwt.PyJWKClient(live.url + "/oidc/.well-known/jwks.json").get_signing_key_from_jwt(token)
    assert jwt.decode(token, key.key, algorithms=["RS256"], audience=authing_app["id"])["aud"] == authing_app["id"]
    restarted = create_app(Config()).test_client()
    assert restarted.get("/oidc/.well-known/jwks.json").get_json() == client.get("/oidc/.well-known/jwks.json").get_json()


def test_discovery_issuer_follows_host_or_public_url(live, client):
    assert requests.get(live.url + "/oidc/.well-known/openid-configuration", timeout=10).json()["issuer"] == live.url + "/oidc"
    from mockserver import Config, create_app
    public = create_app(Config(public_url="https://auth.example.test")).test_client()
    config = public.get("/oidc/.well-known/openid-configuration").get_json()
    assert config["issuer"] == "https://auth.example.test/oidc"
    assert config["jwks_uri"] == "https://auth.example.test/oidc/.well-known/jwks.json"
    shouted = client.get("/oidc/.well-known/openid-configuration", headers={"Host": "LocalHost:8088"}).get_json()
    assert shouted["issuer"] == "http://localhost:8088/oidc"  # host names are case-insensitive: one issuer


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


TWO_POOLS = DATA / "two_pools.json"

INVALID = (2207, "token 不合法")
NOT_THIS_APP = (2207, "token 不属于此应用")
#: Each kind of bad token, with the code and message it must get (REJECTIONS in authing/service.py).
REJECTED = {
    "bad-signature": INVALID,
    "alg-none": INVALID,
    "HS256-for-an-RS256-app": INVALID,
    "unknown-kid": INVALID,
    "no-jti": INVALID,
    "not-a-JWT": INVALID,
    "wrong-audience": NOT_THIS_APP,
    "unknown-audience": NOT_THIS_APP,
    "expired": (2206, "登录信息已过期"),
    "revoked": (2207, "token 已失效，请重新登录"),
}


@pytest.fixture
def pools():
    """A mock with two apps in one pool (tests/data/two_pools.json): the client, app A1, app A2, its mini program."""
    from mockserver import Config, create_app

    fixture = json.loads(TWO_POOLS.read_text(encoding="utf-8"))
    pool = fixture["authing"]["user_pools"][0]
    a1, a2 = ({**app, "userPoolId": pool["id"]} for app in pool["apps"][:2])
    return create_app(Config(fixtures=str(TWO_POOLS))).test_client(), a1, a2, fixture["wechat"]["apps"][0]


def rejected_token(kind, client, app, other_app, wx_app):
    """One token of ``kind`` that ``app`` must refuse, with exactly that one defect, made from alice's real one."""
    import mockserver

    dev_key = (Path(mockserver.__file__).resolve().parent / "data" / "authing-dev-signing-key.pem").read_bytes()
    good = login(client, wx_app, "alice", app)["token"]
    head, _, sig = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    kid = jwt.get_unverified_header(good)["kid"]

    def rs256(changed, key_id=kid):
        return jwt.encode(changed, dev_key, algorithm="RS256", headers={"kid": key_id})
    # Re-signed unchanged, the claims pass: so each token below has exactly the one defect it is named for.
    assert client.get("/api/v2/users/me", headers=headers(app, rs256(claims))).get_json()["code"] == 200
    if kind == "bad-signature":  # a later exp, the original signature
        return ".".join([head, _b64({**claims, "exp": claims["exp"] + 3600}), sig])
    if kind == "alg-none":
        return ".".join([_b64({"alg": "none", "typ": "JWT"}), _b64(claims), ""])
    if kind == "HS256-for-an-RS256-app":
        return jwt.encode(claims, app["secret"], algorithm="HS256")
    if kind == "unknown-kid":
        return rs256(claims, "another-key")
    if kind == "no-jti":
        return rs256({k: v for k, v in claims.items() if k != "jti"})
    if kind == "not-a-JWT":
        return "not-a-jwt"
    if kind == "wrong-audience":  # a real token of the pool's other app
        return login(client, wx_app, "alice", other_app)["token"]
    if kind == "unknown-audience":
        return rs256({**claims, "aud": "f" * 24})
    if kind == "expired":
        minted = client.post("/__mock__/authing/tokens",
                             json={"userId": claims["sub"], "appId": app["id"], "expiresIn": 60}).get_json()
        assert client.get("/api/v2/users/me", headers=headers(app, minted["token"])).get_json()["code"] == 200
        assert client.post("/__mock__/clock", json={"advance": 61}).status_code == 200
        return minted["token"]
    if kind == "revoked":
        assert client.get("/api/v2/logout", headers=headers(app, good)).get_json()["code"] == 200
        return good
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", sorted(REJECTED))
def test_each_rejected_token_is_refused_everywhere_for_its_own_reason(pools, kind):
    client, app, other_app, wx_app = pools
    token = rejected_token(kind, client, app, other_app, wx_app)
    code, message = REJECTED[kind]
    before = client.get("/__mock__/authing/users").get_json()
    h = headers(app, token)

    me = client.get("/api/v2/users/me", headers=h)
    assert me.status_code == 200 and me.get_json() == {"code": code, "message": message, "data": None}
    gql = client.post("/graphql/v2", headers=h, json={
        "query": "mutation updateUser($input: UpdateUserInput!) { updateUser(input: $input) { id } }",
        "variables": {"input": {"nickname": "hacked"}}}).get_json()
    assert gql["data"] == {"updateUser": None}
    assert [e["message"] for e in gql["errors"]] == [{"code": code, "message": message, "data": None}]
    status = client.post("/graphql/v2", headers=h, json={"query": "query { checkLoginStatus { code message status } }"})
    assert status.get_json() == {"data": {"checkLoginStatus": {"code": code, "message": message, "status": False}}}
    for v3 in (client.get("/api/v3/get-profile", headers=h),
               client.post("/api/v3/update-profile", headers=h, json={"nickname": "hacked"})):
        body = v3.get_json()
        assert (body["statusCode"], body["apiCode"], body["message"]) == (401, code, message)
    oidc = client.get("/oidc/me", headers=h)
    assert oidc.status_code == 401 and oidc.get_json() == {"error": "invalid_token", "error_description": message}
    introspected = client.post("/oidc/token/introspection", data={
        "client_id": app["id"], "client_secret": app["secret"], "token": token}).get_json()
    assert introspected == {"active": False}
    validated = client.get("/api/v2/oidc/validate_token", headers=h, query_string={"id_token": token}).get_json()
    assert validated == {"code": 400, "message": "token 校验失败：" + message, "data": None}
    assert client.get("/__mock__/authing/users").get_json() == before


def test_a_valid_token_is_accepted_everywhere(client, rt, wx_app, alias, authing_app):
    token = login(client, wx_app, alias, authing_app)["token"]
    h = headers(authing_app, token)
    me = client.get("/api/v2/users/me", headers=h).get_json()
    assert me["code"] == 200 and me["data"]["token"] == token
    assert client.get("/oidc/me", headers=h).get_json()["sub"] == me["data"]["id"]
    assert client.post("/oidc/token/introspection", data={
        "client_id": authing_app["id"], "client_secret": authing_app["secret"], "token": token}).get_json()["active"]
    assert client.get("/api/v2/oidc/validate_token", query_string={"id_token": token}).get_json()["sub"] == me["data"]["id"]
    bad_client = client.post("/oidc/token/introspection", data={
        "client_id": authing_app["id"], "client_secret": "wrong", "token": token})
    assert bad_client.status_code == 401 and bad_client.get_json()["error"] == "invalid_client"


def test_hs256_apps_sign_with_their_secret(tmp_path, rt):
    from mockserver import Config, create_app

    fixture = json.loads(Path(rt.fixture_source).read_text(encoding="utf-8"))
    fixture["authing"]["user_pools"][0]["apps"][0]["token_algorithm"] = "HS256"
    path = tmp_path / "hs.json"
    path.write_text(json.dumps(fixture, ensure_ascii=False))
    app = create_app(Config(fixtures=str(path)))
    client, runtime = app.test_client(), app.extensions["mockserver"]
    authing_app, wx_app = runtime.authing.apps()[0], runtime.wechat.apps()[0]
    token = login(client, wx_app, runtime.wechat.users()[0]["alias"], authing_app)["token"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    jwt.decode(token, authing_app["secret"], algorithms=["HS256"], audience=authing_app["id"])
    assert client.get("/api/v2/users/me", headers=headers(authing_app, token)).get_json()["code"] == 200


def test_control_plane_mints_tokens_and_lists_users(client, wx_app, alias, authing_app):
    user = login(client, wx_app, alias, authing_app)
    minted = client.post("/__mock__/authing/tokens", json={"userId": user["id"], "expiresIn": 60})
    assert minted.status_code == 201
    token = minted.get_json()["token"]
    assert client.get("/api/v2/users/me", headers=headers(authing_app, token)).get_json()["data"]["id"] == user["id"]
    client.post("/__mock__/clock", json={"advance": 61})
    assert client.get("/api/v2/users/me", headers=headers(authing_app, token)).get_json()["code"] == 2206
    listed = client.get("/__mock__/authing/users").get_json()["users"]
    assert [u["id"] for u in listed] == [user["id"]]
    assert client.get("/__mock__/authing/users/" + user["id"]).get_json()["openid"] == user["openid"]
    assert client.get("/__mock__/authing/users/" + "0" * 24).status_code == 404
    assert client.post("/__mock__/authing/tokens", json={"userId": "nope"}).status_code == 404


@pytest.mark.parametrize("claims", [{"jti": None}, {"jti": ""}, {"jti": 7}, {"sub": ["x"]}])
@pytest.mark.parametrize("algorithm", ["RS256", "HS256"])
def test_validly_signed_tokens_without_a_string_jti_are_invalid(client, rt, wx_app, alias, authing_app, claims,
                                                                   algorithm):
    """Anyone can sign a token (the dev key ships, HS256 uses the app secret); Authing's always carry a
    jti, so one without is refused as invalid everywhere — and a logout with it is no 500."""
    user = login(client, wx_app, alias, authing_app)
    good = jwt.decode(user["token"], options={"verify_signature": False})
    forged_claims = {k: v for k, v in {**good, **claims}.items() if v is not None}
    if algorithm == "HS256":
        authing_app = {**authing_app, "algorithm": "HS256"}
        rt.authing.repo.put_app(authing_app)
    forged = rt.authing.tokens.codec.sign(forged_claims, authing_app)
    h = headers(authing_app, forged)
    before = rt.authing.repo.snapshot()
    logout = client.get("/api/v2/logout", query_string={"app_id": authing_app["id"]}, headers=h)
    assert logout.status_code == 200 and logout.get_json()["code"] == 2207, logout.data[:300]
    assert client.get("/api/v2/users/me", headers=h).get_json()["code"] == 2207
    assert client.get("/api/v3/get-profile", headers=h).get_json()["apiCode"] == 2207
    assert client.post("/oidc/token/introspection", data={
        "client_id": authing_app["id"], "client_secret": authing_app["secret"], "token": forged}).get_json() == {
        "active": False}
    assert rt.authing.repo.snapshot() == before  # nothing revoked, nothing changed


def test_logout_current_of_the_js_sdk(client, wx_app, alias, authing_app):
    """js-sdk's logoutCurrent: ``GET {appHost}/logout?appId=..&deviceId=current`` revokes the token."""
    token = login(client, wx_app, alias, authing_app)["token"]
    bearer = {"Authorization": "Bearer " + token}
    query = {"appId": authing_app["id"], "deviceId": "current"}
    assert client.get("/api/v2/users/me", headers=headers(authing_app, token)).get_json()["code"] == 200
    answer = client.get("/logout", query_string=query, headers=bearer)
    assert answer.status_code == 200 and answer.get_json()["code"] == 200, answer.data[:300]
    assert client.get("/api/v2/users/me", headers=headers(authing_app, token)).get_json()["code"] == 2207
    assert client.get("/logout", query_string=query, headers=bearer).get_json()["code"] == 200  # twice is fine
    anonymous = client.get("/logout", query_string=query)
    assert anonymous.status_code == 200 and anonymous.get_json()["code"] == 2020


def test_discovery_lists_only_the_introspection_auth_methods_that_work(client, wx_app, alias, authing_app):
    token = login(client, wx_app, alias, authing_app)["token"]
    methods = client.get("/oidc/.well-known/openid-configuration").get_json()[
        "introspection_endpoint_auth_methods_supported"]
    outcomes = {
        "client_secret_post": client.post("/oidc/token/introspection", data={
            "client_id": authing_app["id"], "client_secret": authing_app["secret"], "token": token}),
        "client_secret_basic": client.post("/oidc/token/introspection", data={"token": token},
                                           auth=(authing_app["id"], authing_app["secret"])),
        "none": client.post("/oidc/token/introspection", data={"client_id": authing_app["id"], "token": token}),
    }
    assert {name for name, answer in outcomes.items() if answer.status_code == 200} == set(methods)


@pytest.mark.parametrize("claim", ["exp", "iat"])
@pytest.mark.parametrize("value", [1e20, -5, 2 ** 70, True, "1700000000"])
def test_signed_tokens_with_impossible_times_are_invalid(client, rt, wx_app, alias, authing_app, claim, value):
    user = login(client, wx_app, alias, authing_app)
    claims = {**jwt.decode(user["token"], options={"verify_signature": False}), claim: value}
    forged = rt.authing.tokens.codec.sign(claims, authing_app)
    h = headers(authing_app, forged)
    assert client.get("/api/v2/users/me", headers=h).get_json()["code"] == 2207
    checked = client.post("/graphql/v2", headers=h, json={"query": "{ checkLoginStatus { code status exp } }"}).get_json()
    assert checked == {"data": {"checkLoginStatus": {"code": 2207, "status": False, "exp": None}}}


def test_token_times_after_2038_are_answered_by_graphql(client, rt, wx_app, alias, authing_app):
    """GraphQL's Int ends in 2038; the mock's clock (and a token's exp) goes further."""
    client.post("/__mock__/clock", json={"set": 2 ** 31 + 100})
    user = login(client, wx_app, alias, authing_app)
    h = headers(authing_app, user["token"])
    checked = client.post("/graphql/v2", headers=h, json={"query": "{ checkLoginStatus { code exp iat } }"}).get_json()
    assert "errors" not in checked and checked["data"]["checkLoginStatus"]["exp"] > 2 ** 31, checked
    refreshed = client.post("/graphql/v2", headers=h, json={"query": "mutation { refreshToken { exp iat } }"}).get_json()
    assert refreshed["data"]["refreshToken"]["iat"] == 2 ** 31 + 100, refreshed


@pytest.mark.parametrize("expires_in", [10 ** 12, 2 ** 63, 0, 1.5])
def test_control_plane_token_lifetimes_are_bounded(client, wx_app, alias, authing_app, expires_in):
    user = login(client, wx_app, alias, authing_app)
    answer = client.post("/__mock__/authing/tokens", json={"userId": user["id"], "expiresIn": expires_in})
    assert answer.status_code == 400 and "expiresIn" in answer.get_json()["error"]
