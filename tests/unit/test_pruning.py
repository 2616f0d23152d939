"""Expired codes, tokens, SMS codes and revocations are pruned as new ones are written (every
``EVERY``-th write prunes those expired more than ``GRACE`` seconds ago), on every backend; a
user's sessions go with the user."""
from __future__ import annotations

import pytest
from mockserver import Config, create_app
from mockserver.authing.models import DEFAULT_TOKEN_LIFETIME
from mockserver.core.pruning import BATCH, EVERY, GRACE
from mockserver.wechat.login import CODE_TTL
from mockserver.wechat.tokens import TOKEN_TTL
from support import authing_login, mint
from support.processes import state_url


@pytest.fixture(params=["memory", "sqlite", "redis"])
def app(request, tmp_path):
    app = create_app(Config(state=state_url(request.param, tmp_path, request)))
    yield app
    app.extensions["mockserver"].store.close()


def exchange(client, wx, code):
    return client.get("/sns/jscode2session", query_string={
        "appid": wx["appid"], "secret": wx["secret"], "js_code": code}).get_json()


def fetch_token(client, wx):
    return client.get("/cgi-bin/token", query_string={
        "grant_type": "client_credential", "appid": wx["appid"], "secret": wx["secret"]}).get_json()["access_token"]


def token_errcode(client, token):
    return client.post(f"/wxa/msg_sec_check?access_token={token}", json={"content": "hi"}).get_json()["errcode"]


def test_login_codes_go_once_expired_longer_than_the_grace(rt, client):
    wx = rt.wechat.apps()[0]
    old = [mint(client, wx["appid"], "yuna")["code"] for _ in range(5)]
    rt.clock.advance(CODE_TTL + GRACE - 10)
    for _ in range(EVERY - 5):  # the EVERY-th write prunes: nothing is old enough yet
        mint(client, wx["appid"], "yuna")
    assert rt.store.count("wx.codes") == EVERY
    rt.clock.advance(20)
    for _ in range(EVERY):
        mint(client, wx["appid"], "yuna")
    assert rt.store.count("wx.codes") == 2 * EVERY - 5
    assert all(rt.wechat.repo.code(code) is None for code in old)
    assert exchange(client, wx, old[0])["errcode"] == 40029  # as when it was only expired


def test_a_used_code_is_pruned_after_the_grace_from_its_use(rt, client):
    wx = rt.wechat.apps()[0]
    used = mint(client, wx["appid"], "yuna")["code"]
    assert "openid" in exchange(client, wx, used)
    rt.clock.advance(GRACE + 1)
    for _ in range(EVERY - 1):
        mint(client, wx["appid"], "yuna")
    assert rt.wechat.repo.code(used) is None and rt.store.count("wx.codes") == EVERY - 1


def test_one_write_prunes_at_most_a_batch(rt, client):
    wx = rt.wechat.apps()[0]
    rt.store.put_many([("wx.codes", f"{i:032d}", {"appid": wx["appid"], "alias": "yuna", "session_key": "k",
                                                  "issued_at": 0, "expires_at": CODE_TTL, "used_at": None})
                       for i in range(BATCH + 10)])
    for _ in range(EVERY):
        mint(client, wx["appid"], "yuna")
    assert rt.store.count("wx.codes") == 10 + EVERY


def test_access_tokens_answer_42001_through_the_grace_then_go(rt, client):
    wx = rt.wechat.apps()[0]
    first = fetch_token(client, wx)
    rt.clock.advance(TOKEN_TTL + GRACE - 1)
    for _ in range(EVERY - 1):
        fetch_token(client, wx)
    assert token_errcode(client, first) == 40001  # superseded by the next fetch: its 5 minutes are long over
    stable = client.post("/cgi-bin/stable_token", json={"grant_type": "client_credential", "appid": wx["appid"],
                                                         "secret": wx["secret"]}).get_json()["access_token"]
    rt.clock.advance(TOKEN_TTL + 10)
    assert token_errcode(client, stable) == 42001
    rt.clock.advance(-20)  # moved back within the grace: as it was
    assert token_errcode(client, stable) == 0
    rt.clock.advance(GRACE + 20)
    for _ in range(EVERY):
        fetch_token(client, wx)
    assert rt.wechat.repo.token(stable) is None and token_errcode(client, stable) == 40001


def test_phone_codes_are_pruned(rt, client):
    wx = rt.wechat.apps()[0]
    old = client.post("/__mock__/wechat/phone-code", json={"appid": wx["appid"], "user": "yuna"}).get_json()["code"]
    rt.clock.advance(CODE_TTL + GRACE + 1)
    for _ in range(EVERY - 1):
        client.post("/__mock__/wechat/phone-code", json={"appid": wx["appid"], "user": "yuna"})
    assert rt.store.count("wx.phone_codes") == EVERY - 1 and rt.store.get("wx.phone_codes", old) is None


def test_sms_codes_their_pointers_and_revocations_are_pruned(rt, client):
    app, wx = rt.authing.apps()[0], rt.wechat.apps()[0]
    user = authing_login(client, "yuna", app["id"], wx["appid"])
    headers = {"x-authing-app-id": app["id"], "Authorization": "Bearer " + user["token"]}
    assert client.get("/api/v2/logout", headers=headers).get_json()["code"] == 200
    send = {"x-authing-app-id": app["id"]}
    assert client.post("/api/v2/sms/send", json={"phone": "13900000000"}, headers=send).get_json()["code"] == 200
    assert rt.store.count("authing.revoked") == 1 and rt.store.count("authing.sms.latest") == 1
    rt.clock.advance(DEFAULT_TOKEN_LIFETIME + GRACE + 1)  # past the revoked token's expiry, and the grace
    for i in range(1, EVERY):
        client.post("/api/v2/sms/send", json={"phone": f"139000000{i:02d}"}, headers=send)
        other = authing_login(client, "yuna", app["id"], wx["appid"])
        client.get("/api/v2/logout", headers={**send, "Authorization": "Bearer " + other["token"]})
    assert rt.store.count("authing.sms") == EVERY - 1 and rt.store.count("authing.sms.latest") == EVERY - 1
    assert rt.store.count("authing.revoked") == EVERY - 1
    codes = client.get("/__mock__/authing/sms").get_json()["codes"]
    assert "13900000000" not in {code["phone"] for code in codes}


def test_a_users_sessions_go_with_the_user(rt, client):
    wx = rt.wechat.apps()[0]
    created = client.post("/__mock__/users", json={"alias": "passing"}).get_json()
    assert "openid" in exchange(client, wx, mint(client, wx["appid"], "passing")["code"])
    openid = created["apps"][wx["appid"]]["openid"]
    assert rt.wechat.repo.session(wx["appid"], openid) is not None
    assert client.delete("/__mock__/users/passing").status_code == 200
    assert rt.wechat.repo.session(wx["appid"], openid) is None
