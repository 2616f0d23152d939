"""Token rules that hold on every path that accepts an Authing token (``Tokens.live`` in
``mockserver/authing/tokens.py``): a blocked user's token is no live login anywhere; ``iss`` must
be one of the mock's own issuers and ``nbf`` must have come by the mock's clock; a request that
names a user pool (``x-authing-userpool-id``) refuses a token of another pool's app; a request
naming neither an app nor a pool is taken to be for the token's own app.

Each test runs one token through every such path (``outcomes``) and compares all the answers at
once, so that a path that forgets the rule fails the test. The mock is built from
``tests/data/two_pools.json``: pool A (apps A1, A2), pool B (app B1).
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, Optional

import jwt
import pytest

from mockserver import Config, create_app
from support import ROOT, authing_login
from support.two_pools import APP_A1, APP_A2, APP_B1, DEV_KEY, FIXTURE, POOL_A, POOL_B, SECRETS, WX_A

LOCKED = (2005, "用户已被锁定")
INVALID = (2207, "token 不合法")
NOT_THIS_POOL = (2207, "token 不属于此用户池")

GRAPHQL = {
    "user": "query user($id: String) { user(id: $id) { id } }",
    "updateUser": "mutation updateUser($input: UpdateUserInput!) { updateUser(input: $input) { id nickname } }",
    "refreshToken": "mutation refreshToken { refreshToken { exp } }",
    "bindPhone": "mutation bindPhone { bindPhone(phone: \"13700137000\", phoneCode: \"123456\") { id } }",
}
CHECK_LOGIN_STATUS = ("query checkLoginStatus($token: String) "
                      "{ checkLoginStatus(token: $token) { code message status exp iat data { id } } }")


def new_client(**config: Any):
    return create_app(Config(fixtures=str(FIXTURE), **config)).test_client()


@pytest.fixture
def client():
    return new_client()


def headers(token: Optional[str] = None, app_id: Optional[str] = APP_A1, pool_id: Optional[str] = None,
            host: Optional[str] = None) -> Dict[str, str]:
    h = {}
    if app_id:
        h["x-authing-app-id"] = app_id
    if pool_id:
        h["x-authing-userpool-id"] = pool_id
    if token:
        h["Authorization"] = "Bearer " + token
    if host:
        h["Host"] = host
    return h


def forge(token: str, **changes: Any) -> str:
    """``token``'s claims with ``changes`` (a value of None removes the claim), signed with the mock's dev key."""
    claims = {**jwt.decode(token, options={"verify_signature": False}), **changes}
    claims = {name: value for name, value in claims.items() if value is not None}
    # Signed as bytes: PyJWT's own encode refuses some of the claims a forger may write (a number as iss).
    return jwt.PyJWS().encode(json.dumps(claims).encode(), DEV_KEY, algorithm="RS256",
                              headers={"kid": jwt.get_unverified_header(token)["kid"]})


def outcomes(client, token: str, client_app: str = APP_A1, **request: Any) -> Dict[str, Any]:
    """What every path that accepts a token answers for ``token``, sent with ``headers(token, **request)``
    (introspection authenticates as ``client_app``): refusals as (code, message), successes as "ok"."""
    h = headers(token, **request)
    answers: Dict[str, Any] = {}
    me = client.get("/api/v2/users/me", headers=h).get_json()
    answers["v2 users/me"] = "ok" if me["code"] == 200 else (me["code"], me["message"])
    for name, query in GRAPHQL.items():
        body = client.post("/graphql/v2", headers=h, json={"query": query, "variables": {"input": {"nickname": "x"}}})
        body = body.get_json()
        errors = [e["message"] for e in body.get("errors", [])]
        answers["graphql " + name] = (errors[0]["code"], errors[0]["message"]) if errors else "ok"
    answers["graphql checkLoginStatus"] = client.post("/graphql/v2", headers=h, json={
        "query": CHECK_LOGIN_STATUS}).get_json()["data"]["checkLoginStatus"]
    # The Python 4.x SDK sends the token in the variables only.
    unauthenticated = {k: v for k, v in h.items() if k != "Authorization"}
    answers["graphql checkLoginStatus(token)"] = client.post("/graphql/v2", headers=unauthenticated, json={
        "query": CHECK_LOGIN_STATUS, "variables": {"token": token}}).get_json()["data"]["checkLoginStatus"]
    for name, answer in (("v3 get-profile", client.get("/api/v3/get-profile", headers=h)),
                         ("v3 update-profile", client.post("/api/v3/update-profile", headers=h, json={"city": "x"}))):
        body = answer.get_json()
        answers[name] = "ok" if body["statusCode"] == 200 else (body["apiCode"], body["message"])
    me = client.get("/oidc/me", headers=h)
    answers["oidc me"] = "ok" if me.status_code == 200 else (
        me.status_code, me.headers.get("WWW-Authenticate"), me.get_json())
    answers["introspection"] = client.post("/oidc/token/introspection", headers=unauthenticated, data={
        "client_id": client_app, "client_secret": SECRETS[client_app], "token": token}).get_json()["active"]
    validated = client.get("/api/v2/oidc/validate_token", headers=h, query_string={"id_token": token}).get_json()
    answers["validate_token"] = "ok" if "sub" in validated else validated
    return answers


def refused(code: int, message: str) -> Dict[str, Any]:
    """``outcomes`` of a token refused with ``code`` and ``message``."""
    status = {"code": code, "message": message, "status": False, "exp": None, "iat": None, "data": None}
    return {
        "v2 users/me": (code, message),
        **{"graphql " + name: (code, message) for name in GRAPHQL},
        "graphql checkLoginStatus": status, "graphql checkLoginStatus(token)": status,
        "v3 get-profile": (code, message), "v3 update-profile": (code, message),
        "oidc me": (401, 'Bearer error="invalid_token"', {"error": "invalid_token", "error_description": message}),
        "introspection": False,
        "validate_token": {"code": 400, "message": "token 校验失败：" + message, "data": None},
    }


def accepted(answers: Dict[str, Any]) -> bool:
    """Every path took the token (bindPhone then fails on its SMS code, 2001, after the token check)."""
    status = answers.pop("graphql checkLoginStatus"), answers.pop("graphql checkLoginStatus(token)")
    return (all(s["code"] == 200 and s["status"] is True for s in status) and answers.pop("introspection") is True
            and answers.pop("graphql bindPhone") == (2001, "验证码不正确") and set(answers.values()) == {"ok"})


def log_in(client, app_id: str = APP_A1, alias: str = "alice") -> Dict[str, Any]:
    return authing_login(client, alias, app_id, WX_A)


def state(client):
    return client.get("/__mock__/authing/users").get_json()


# --- a blocked user's token is no live login ------------------------------------------------------
def test_a_blocked_users_token_is_refused_everywhere_and_works_again_once_unblocked(client):
    user = log_in(client)
    token = user["token"]
    assert accepted(outcomes(client, token))
    assert client.patch(f"/__mock__/authing/users/{user['id']}", json={"blocked": True}).status_code == 200
    before = state(client)

    assert outcomes(client, token) == refused(*LOCKED)
    assert state(client) == before  # nothing was written: no profile change, no new token, no phone

    assert client.patch(f"/__mock__/authing/users/{user['id']}", json={"blocked": False}).status_code == 200
    assert accepted(outcomes(client, token))


def test_the_token_of_a_user_the_mock_no_longer_has_is_no_live_login(client):
    """A reset drops the users made since the fixture; their tokens stay well signed but log nobody in."""
    token = log_in(client)["token"]
    assert client.post("/__mock__/reset").status_code == 200
    assert outcomes(client, token) == refused(2004, "用户不存在")


def test_a_blocked_user_can_still_log_out(client):
    """A logout ends a login rather than using it: it revokes a blocked user's token too."""
    user = log_in(client)
    client.patch(f"/__mock__/authing/users/{user['id']}", json={"blocked": True})
    assert client.get("/api/v2/logout", headers=headers(user["token"])).get_json() == {
        "code": 200, "message": "退出登录成功"}
    client.patch(f"/__mock__/authing/users/{user['id']}", json={"blocked": False})
    assert client.get("/api/v2/users/me", headers=headers(user["token"])).get_json()["code"] == 2207


# --- iss: only the mock's own issuers -----------------------------------------------------------
@pytest.mark.parametrize("issuer", [
    "https://evil.example/oidc",             # another server
    "https://aaaaaa.authing.cn.evil.example/oidc",
    "http://localhost/other",                # the mock's host, not its issuer path
    "http://localhost/oidc?x=1",
    "http://localhost/oidc#x",
    "http:///oidc",                          # no host
    "http://user@localhost/oidc",
    "ftp://localhost/oidc",
    "http://localhost:99999/oidc",           # not a port
    42,
    None,                                    # no iss at all
])
def test_a_token_of_another_issuer_is_refused_like_a_tampered_one(client, issuer):
    token = log_in(client)["token"]
    assert jwt.decode(token, options={"verify_signature": False})["iss"] == "http://localhost/oidc"
    assert accepted(outcomes(client, forge(token)))  # re-signed unchanged: good; so only iss differs below
    before = state(client)
    assert outcomes(client, forge(token, iss=issuer)) == refused(*INVALID)
    assert state(client) == before


def test_a_token_minted_under_one_of_the_mocks_names_is_good_under_the_others(client):
    """Without --public-url the issuer follows the Host used; every name the mock answers to as its own
    (IP addresses, localhost, --host, the real services' hosts) issues tokens good on all of them."""
    for minted_on in ("127.0.0.1:8088", "localhost:8088", "core.authing.cn", "[::1]:8088"):
        answer = client.post("/connections/social/wechat-miniprogram/auth", headers=headers(host=minted_on), json={
            "code": client.post("/__mock__/wechat/login", json={"appid": WX_A, "user": "alice"}).get_json()["code"]})
        token = answer.get_json()["data"]["token"]
        for presented_on in ("localhost", "127.0.0.1:9999", "my-app.authing.cn"):
            me = client.get("/api/v2/users/me", headers=headers(token, host=presented_on)).get_json()
            assert me["code"] == 200, (minted_on, presented_on, me)


def test_a_token_minted_under_a_foreign_host_name_is_good_only_there(client):
    """A Host the mock does not know as its own (a compose service name, say) issues tokens good on that
    Host only: elsewhere their issuer is not the mock's. (--public-url names it for both.)"""
    code = client.post("/__mock__/wechat/login", json={"appid": WX_A, "user": "alice"}).get_json()["code"]
    token = client.post("/connections/social/wechat-miniprogram/auth", headers=headers(host="mock:8088"),
                        json={"code": code}).get_json()["data"]["token"]
    assert client.get("/api/v2/users/me", headers=headers(token, host="mock:8088")).get_json()["code"] == 200
    me = client.get("/api/v2/users/me", headers=headers(token, host="localhost")).get_json()
    assert (me["code"], me["message"]) == INVALID


def test_under_public_url_its_issuer_is_the_only_one():
    public = new_client(public_url="https://auth.example.test")
    user = log_in(public)
    assert jwt.decode(user["token"], options={"verify_signature": False})["iss"] == "https://auth.example.test/oidc"
    assert accepted(outcomes(public, user["token"]))
    # Under --public-url the Host no longer matters, and loopback issuers are no longer the mock's.
    assert public.get("/api/v2/users/me", headers=headers(user["token"], host="10.1.2.3")).get_json()["code"] == 200
    assert outcomes(public, forge(user["token"], iss="http://localhost/oidc")) == refused(*INVALID)
    assert outcomes(public, forge(user["token"], iss="http://127.0.0.1:8088/oidc")) == refused(*INVALID)
    # And the other way round: a server without it does not take the public issuer as its own.
    local = new_client()
    local_token = log_in(local)["token"]
    assert outcomes(local, forge(local_token, iss="https://auth.example.test/oidc")) == refused(*INVALID)


# --- nbf: not before its time, by the mock's clock --------------------------------------------------
def test_a_token_not_valid_yet_is_refused_until_the_mock_clock_reaches_its_nbf(client):
    token = log_in(client)["token"]
    now = client.get("/__mock__/clock").get_json()["now"]
    early = forge(token, nbf=int(now) + 60)
    before = state(client)
    assert outcomes(client, early) == refused(*INVALID)
    assert state(client) == before
    assert client.post("/__mock__/clock", json={"advance": 60}).status_code == 200
    assert accepted(outcomes(client, early))


@pytest.mark.parametrize("nbf", ["soon", True, -1, 1e20, [1]])
def test_a_token_whose_nbf_is_no_time_is_invalid(client, nbf):
    token = log_in(client)["token"]
    assert outcomes(client, forge(token, nbf=nbf)) == refused(*INVALID)


# --- which app and user pool a request is for ---------------------------------------------------------
def test_a_request_naming_no_app_and_no_pool_is_for_the_tokens_own_app(client):
    """As a call to that app's own domain (https://<app>.authing.cn) would be: any app's live token passes."""
    for app_id in (APP_A2, APP_B1):
        appid = WX_A if app_id == APP_A2 else "wxbbbbbbbbbbbbbbb1"
        token = authing_login(client, "alice", app_id, appid)["token"]
        assert accepted(outcomes(client, token, client_app=app_id, app_id=None))


def test_a_request_naming_a_user_pool_refuses_a_token_of_another_pools_app(client):
    token = log_in(client, app_id=APP_A2)["token"]
    # Its own pool, named alone or with the token's app: good.
    assert accepted(outcomes(client, token, client_app=APP_A2, app_id=None, pool_id=POOL_A))
    assert accepted(outcomes(client, token, client_app=APP_A2, app_id=APP_A2, pool_id=POOL_A))
    before = state(client)
    for pool_id in (POOL_B, "f" * 24):  # another pool, a pool that does not exist
        for app_id in (None, APP_A2):
            assert outcomes(client, token, client_app=APP_A2, app_id=app_id, pool_id=pool_id) == refused(*NOT_THIS_POOL)
        logout = client.get("/api/v2/logout", headers=headers(token, app_id=None, pool_id=pool_id)).get_json()
        assert (logout["code"], logout["message"]) == NOT_THIS_POOL
    assert state(client) == before
    # The refused logouts revoked nothing.
    assert client.get("/api/v2/users/me", headers=headers(token, app_id=APP_A2)).get_json()["code"] == 200


# --- README -----------------------------------------------------------------------------------------
def test_the_readme_example_runs_as_written():
    """README's "Which tokens count as a login" example (a loopback MockServer), run as it is written."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### Which tokens count as a login")
    section = text[start:text.index("\n## ", start)]
    (example,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    exec(compile(example, "README.md", "exec"), {})
