"""The tokens Authing issued to each user, as the control plane lists them
(``GET /__mock__/authing/users/<id>/tokens``: never the token itself) and revokes one
(``POST /__mock__/authing/users/<id>/tokens/<jti>/revoke``), and the dashboard's tables of them
and of the email outbox — on memory, SQLite and Redis. The mock is built from
``tests/data/signin_users.json`` (carol logs in with a password) unless a test says otherwise."""
from __future__ import annotations

import re

import jwt
import pytest
from support import DATA, ROOT, authing_login
from support.processes import state_url

from mockserver import Config, create_app
from mockserver.authing.repo import ISSUED, TOKENS_KEPT
from mockserver.authing.tokens import refresh_id
from mockserver.core.pruning import EVERY, GRACE

APP = "d1d1d1d1d1d1d1d1d1d1d1d1"
SECRET = "d1" * 16
H = {"x-authing-app-id": APP}
CHECK_LOGIN_STATUS = "query s($token: String) { checkLoginStatus(token: $token) { code message status } }"


@pytest.fixture(params=["memory", "sqlite", "redis"])
def backend(request, tmp_path):
    return state_url(request.param, tmp_path, request)


@pytest.fixture
def app(backend):
    app = create_app(Config(fixtures=str(DATA / "signin_users.json"), state=backend))
    yield app
    app.extensions["mockserver"].store.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def rt(app):
    return app.extensions["mockserver"]


def signin(client, scope="openid profile offline_access"):
    answer = client.post("/api/v3/signin", headers=H, json={
        "connection": "PASSWORD", "passwordPayload": {"username": "carol", "password": "carol-pass-1"},
        "options": {"scope": scope}}).get_json()
    assert answer["statusCode"] == 200, answer
    return answer["data"]


def carol(rt):
    return rt.authing.directory.linked(rt.authing.pools()[0]["id"], "username", "carol")["id"]


def listed(client, user_id):
    answer = client.get(f"/__mock__/authing/users/{user_id}/tokens")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["userId"] == user_id
    return body["tokens"]


def revoke(client, user_id, jti):
    return client.post(f"/__mock__/authing/users/{user_id}/tokens/{jti}/revoke")


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})


def introspected(client, token):
    return client.post("/oidc/token/introspection", data={"client_id": APP, "client_secret": SECRET,
                                                          "token": token}).get_json()


def login_status(client, token):
    return client.post("/graphql/v2", headers=H, json={"query": CHECK_LOGIN_STATUS,
                                                       "variables": {"token": token}}).get_json()


def test_a_v3_signin_notes_its_three_tokens_and_none_of_their_strings(client, rt):
    data = signin(client)
    id_claims, access_claims = claims(data["id_token"]), claims(data["access_token"])
    refresh = rt.authing.repo.refresh_token(data["refresh_token"])
    user = carol(rt)
    assert listed(client, user) == [
        {"jti": id_claims["jti"], "kind": "id_token", "appId": APP, "issuedAt": id_claims["iat"],
         "expiresAt": id_claims["exp"]},
        {"jti": access_claims["jti"], "kind": "access_token", "appId": APP, "issuedAt": access_claims["iat"],
         "expiresAt": access_claims["exp"]},
        {"jti": refresh_id(data["refresh_token"]), "kind": "refresh_token", "appId": APP,
         "issuedAt": refresh["issuedAt"], "expiresAt": refresh["expiresAt"]},
    ]
    text = client.get(f"/__mock__/authing/users/{user}/tokens").get_data(as_text=True)
    for secret in (data["id_token"], data["access_token"], data["refresh_token"]):
        assert secret not in text


def test_revoking_each_kind_through_the_control_plane_stops_it(client, rt):
    data = signin(client)
    user = carol(rt)
    id_token, access, refresh = listed(client, user)
    for token in (data["id_token"], data["access_token"], data["refresh_token"]):
        assert introspected(client, token)["active"] is True

    answer = revoke(client, user, id_token["jti"])
    assert answer.status_code == 200
    assert answer.get_json() == {"userId": user, "jti": id_token["jti"], "kind": "id_token", "revoked": True}
    assert login_status(client, data["id_token"]) == {
        "data": {"checkLoginStatus": {"code": 2207, "message": "token 已失效，请重新登录", "status": False}}}
    assert introspected(client, data["id_token"]) == {"active": False}

    assert revoke(client, user, access["jti"]).get_json()["kind"] == "access_token"
    assert introspected(client, data["access_token"]) == {"active": False}
    assert revoke(client, user, refresh["jti"]).get_json()["kind"] == "refresh_token"
    assert introspected(client, data["refresh_token"]) == {"active": False}
    refreshed = client.post("/oidc/token", data={"grant_type": "refresh_token", "refresh_token": data["refresh_token"],
                                                 "client_id": APP, "client_secret": SECRET})
    assert (refreshed.status_code, refreshed.get_json()) == (
        400, {"error": "invalid_grant", "error_description": "refresh token is invalid or expired"})
    assert listed(client, user) == []

    before = rt.authing.repo.snapshot()
    again = revoke(client, user, id_token["jti"])
    assert (again.status_code, again.get_json()) == (
        404, {"error": f"Authing user {user} has no live token '{id_token['jti']}'"})
    assert rt.authing.repo.snapshot() == before


def test_unknown_users_and_tokens_are_404_and_change_nothing(client, rt):
    signin(client)
    user = carol(rt)
    before = rt.authing.repo.snapshot()
    unknown_user = client.get("/__mock__/authing/users/nobody/tokens")
    assert (unknown_user.status_code, unknown_user.get_json()) == (404, {"error": "no Authing user with id 'nobody'"})
    assert revoke(client, "nobody", "x").get_json() == {"error": "no Authing user with id 'nobody'"}
    unknown_token = revoke(client, user, "f" * 24)
    assert (unknown_token.status_code, unknown_token.get_json()) == (
        404, {"error": f"Authing user {user} has no live token '{'f' * 24}'"})
    assert rt.authing.repo.snapshot() == before


def test_logouts_and_rfc7009_revocations_take_tokens_off_the_list(client, rt):
    data = signin(client)
    user = carol(rt)
    logout = client.get("/api/v2/logout", headers={**H, "Authorization": "Bearer " + data["id_token"]}).get_json()
    assert logout["code"] == 200, logout
    assert [token["kind"] for token in listed(client, user)] == ["access_token", "refresh_token"]
    for token in (data["access_token"], data["refresh_token"]):
        answer = client.post("/oidc/token/revocation", data={"client_id": APP, "client_secret": SECRET, "token": token})
        assert answer.status_code == 200
    assert listed(client, user) == []


def test_the_oidc_token_endpoint_and_graphql_refresh_are_noted(client, rt):
    data = signin(client)
    user = carol(rt)
    refreshed = client.post("/oidc/token", data={"grant_type": "refresh_token", "refresh_token": data["refresh_token"],
                                                 "client_id": APP, "client_secret": SECRET}).get_json()
    noted = listed(client, user)[3:]
    assert [(token["kind"], token["jti"]) for token in noted] == [
        ("access_token", claims(refreshed["access_token"])["jti"]), ("id_token", claims(refreshed["id_token"])["jti"])]
    renewed = client.post("/graphql/v2", headers={**H, "Authorization": "Bearer " + data["id_token"]}, json={
        "query": "mutation { refreshToken { token } }"}).get_json()["data"]["refreshToken"]["token"]
    assert listed(client, user)[-1]["jti"] == claims(renewed)["jti"]


def test_expired_tokens_are_not_listed_and_go_at_the_next_issue(client, rt):
    user = carol(rt)
    short = client.post("/__mock__/authing/tokens", json={"userId": user, "expiresIn": 60}).get_json()
    client.post("/__mock__/clock", json={"advance": 61})
    assert [token["kind"] for token in listed(client, user)] == ["access_token"]
    assert claims(short["token"])["jti"] in [token["jti"] for token in rt.authing.repo.issued(user)]
    expired = revoke(client, user, claims(short["token"])["jti"])
    assert (expired.status_code, expired.get_json()) == (
        404, {"error": f"Authing user {user} has no live token '{claims(short['token'])['jti']}'"})
    signin(client)
    kept = [token["jti"] for token in rt.authing.repo.issued(user)]
    assert claims(short["token"])["jti"] not in kept and len(kept) == 4


def test_a_user_keeps_the_newest_fifty(client, rt):
    user = carol(rt)
    minted = [client.post("/__mock__/authing/tokens", json={"userId": user}).get_json() for _ in range(26)]
    jtis = [claims(m[kind])["jti"] for m in minted for kind in ("id_token", "access_token")]
    assert TOKENS_KEPT == 50
    assert [token["jti"] for token in listed(client, user)] == jtis[-50:]


def test_a_user_whose_tokens_all_expired_is_pruned(client, rt):
    user = carol(rt)
    client.post("/__mock__/authing/tokens", json={"userId": user, "expiresIn": 60})
    lifetime = rt.authing.repo.app(APP)["tokenLifetime"]  # the access token's
    client.post("/__mock__/clock", json={"advance": lifetime + GRACE + 1})
    others = rt.authing.repo.users()
    for _ in range(EVERY):  # pruning runs at every EVERY-th write
        client.post("/__mock__/authing/tokens", json={"userId": others[-1]["id"]})
    assert rt.store.get(ISSUED, user) is None
    assert rt.store.get(ISSUED, others[-1]["id"]) is not None


def test_the_dashboard_lists_live_tokens_and_revokes_one(client, rt):
    data = signin(client, "openid profile")
    user = carol(rt)
    id_jti = claims(data["id_token"])["jti"]
    page = client.get("/__mock__/").get_data(as_text=True)
    assert 'href="#authing-tokens"' in page and "Authing live tokens (2)" in page
    assert f'data-key="{user}/{id_jti}"' in page
    csrf = re.search(r'name="csrf" value="(\w+)"', page).group(1)
    forged = client.post("/__mock__/dashboard/authing-tokens/revoke", data={"key": f"{user}/{id_jti}"})
    assert forged.status_code == 403 and introspected(client, data["id_token"])["active"] is True
    done = client.post("/__mock__/dashboard/authing-tokens/revoke", data={"key": f"{user}/{id_jti}", "csrf": csrf})
    assert done.status_code == 303
    assert f"id_token {id_jti} of Authing user {user} revoked" in client.get(done.headers["Location"]).get_data(
        as_text=True)
    assert introspected(client, data["id_token"]) == {"active": False}
    assert [token["kind"] for token in listed(client, user)] == ["access_token"]
    stale = client.post("/__mock__/dashboard/authing-tokens/revoke", data={"key": f"{user}/{id_jti}", "csrf": csrf})
    assert "has no live token" in client.get(stale.headers["Location"]).get_data(as_text=True)


def test_the_dashboard_shows_the_email_outbox(client, rt):
    page = client.get("/__mock__/").get_data(as_text=True)
    assert "Email outbox (0)" in page and "No email sent." in page
    sent = client.post("/api/v3/send-email", headers=H, json={"channel": "CHANNEL_LOGIN", "email": "carol@example.com"})
    assert sent.get_json()["statusCode"] == 200
    code = client.get("/__mock__/authing/emails").get_json()["emails"][-1]["code"]
    page = client.get("/__mock__/").get_data(as_text=True)
    assert "Email outbox (1)" in page and 'href="#authing-emails"' in page
    outbox = page[page.index('id="authing-emails"'):]
    assert "carol@example.com" in outbox and f">{code}<" in outbox


def test_a_mini_program_login_notes_its_token(backend):
    """The hot path: authing-wxapp-sdk's loginByCode, on the default fixture."""
    app = create_app(Config(state=backend))
    try:
        client, rt = app.test_client(), app.extensions["mockserver"]
        authing_app = rt.authing.apps()[0]
        user = authing_login(client, "yuna", authing_app["id"], rt.wechat.apps()[0]["appid"])
        token = claims(user["token"])
        assert listed(client, user["id"]) == [{"jti": token["jti"], "kind": "id_token", "appId": authing_app["id"],
                                               "issuedAt": token["iat"], "expiresAt": token["exp"]}]
    finally:
        app.extensions["mockserver"].store.close()


def test_the_readme_example_runs_as_written():
    """README's "An Authing user's tokens" example (a loopback MockServer), run as it is written."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### An Authing user's tokens")
    section = text[start:text.index("\n### ", start)]
    (example,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    exec(compile(example, "README.md", "exec"), {})


def test_a_mini_program_login_notes_its_token_in_the_write_of_the_login(monkeypatch):
    """The hot path costs no extra write (nor a Redis round trip): the user's login and the note of
    the token it issues are one ``update_many``."""
    app = create_app(Config())
    client, rt = app.test_client(), app.extensions["mockserver"]
    authing_app, appid = rt.authing.apps()[0], rt.wechat.apps()[0]["appid"]
    authing_login(client, "yuna", authing_app["id"], appid)  # made on the first login
    code = client.post("/__mock__/wechat/login", json={"appid": appid, "user": "yuna"}).get_json()["code"]
    writes = []
    for name in ("put", "put_many", "update", "update_many"):
        method = getattr(rt.store, name)
        monkeypatch.setattr(rt.store, name, lambda *args, _name=name, _method=method: (
            writes.append((_name, args[0] if _name in ("put_many", "update_many") else [(args[0], args[1])])),
            _method(*args))[1])
    answer = client.post("/connections/social/wechat-miniprogram/auth", json={"code": code},
                         headers={"x-authing-app-id": authing_app["id"]}).get_json()
    noting = [keys for _, keys in writes if any(namespace == ISSUED for namespace, *_ in keys)]
    assert noting == [[("authing.users", answer["data"]["id"]), (ISSUED, answer["data"]["id"])]]


def test_mini_program_logins_prune_the_expired_too():
    app = create_app(Config())
    client, rt = app.test_client(), app.extensions["mockserver"]
    authing_app, appid = rt.authing.apps()[0], rt.wechat.apps()[0]["appid"]
    first, other = (user["alias"] for user in rt.wechat.users()[:2])
    gone = authing_login(client, first, authing_app["id"], appid)["id"]
    client.post("/__mock__/clock", json={"advance": authing_app["tokenLifetime"] + GRACE + 1})
    for _ in range(EVERY):
        kept = authing_login(client, other, authing_app["id"], appid)["id"]
    assert rt.store.get(ISSUED, gone) is None and rt.store.get(ISSUED, kept) is not None
