"""The login flow through the real wechatpy client: code → session, with every error path."""
from __future__ import annotations

import re

import pytest
from wechatpy.exceptions import WeChatClientException

from support import WECHAT_HOST, RedirectAdapter, mint

OPENID = re.compile(r"^o[A-Za-z0-9_-]{27}$")
SESSION_KEY = re.compile(r"^[A-Za-z0-9+/]{22}==$")
RID = re.compile(r", rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$")


def test_code_to_session_gives_openid_unionid_and_session_key(wechatpy_client, client, wx_app, alias):
    minted = mint(client, wx_app["appid"], alias)
    assert re.match(r"^0[A-Za-z0-9]{31}$", minted["code"]) and minted["errMsg"] == "login:ok"

    session = wechatpy_client.wxa.code_to_session(minted["code"])

    assert session["openid"] == minted["openid"]
    assert OPENID.match(session["openid"])
    assert SESSION_KEY.match(session["session_key"])
    assert OPENID.match(session["unionid"])  # the default app is bound to an Open Platform account
    assert "errcode" not in session


def test_code_is_single_use(wechatpy_client, client, wx_app, alias):
    code = mint(client, wx_app["appid"], alias)["code"]
    wechatpy_client.wxa.code_to_session(code)
    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.wxa.code_to_session(code)
    assert info.value.errcode == 40163
    assert info.value.errmsg.startswith("code been used")
    assert RID.search(info.value.errmsg)


def test_code_expires_after_five_minutes(wechatpy_client, client, rt, wx_app, alias):
    fresh = mint(client, wx_app["appid"], alias)["code"]
    stale = mint(client, wx_app["appid"], alias)["code"]
    rt.clock.advance(299)
    wechatpy_client.wxa.code_to_session(fresh)
    rt.clock.advance(2)
    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.wxa.code_to_session(stale)
    assert info.value.errcode == 40029


@pytest.mark.parametrize("code", ["0" * 32, "not-a-code", "x"])
def test_unknown_codes_are_invalid(wechatpy_client, code):
    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.wxa.code_to_session(code)
    assert info.value.errcode == 40029
    assert info.value.errmsg.startswith("invalid code, rid: ")


def test_another_apps_code_is_invalid(wechatpy_client, client, alias):
    other = client.post("/__mock__/apps", json={"name": "other"}).get_json()
    code = mint(client, other["appid"], alias)["code"]
    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.wxa.code_to_session(code)
    assert info.value.errcode == 40029
    # ... and the failed attempt did not use it up for its own app
    assert client.get("/sns/jscode2session", query_string={
        "appid": other["appid"], "secret": other["secret"], "js_code": code,
        "grant_type": "authorization_code"}).get_json()["openid"]


def test_new_login_gives_new_session_key(wechatpy_client, client, wx_app, alias):
    first = wechatpy_client.wxa.code_to_session(mint(client, wx_app["appid"], alias)["code"])
    second = wechatpy_client.wxa.code_to_session(mint(client, wx_app["appid"], alias)["code"])
    assert first["openid"] == second["openid"]
    assert first["session_key"] != second["session_key"]


def test_openid_differs_between_apps_and_unionid_is_shared(client, wx_app, alias):
    sibling = client.post("/__mock__/apps", json={"open_platform": wx_app["open_platform"]}).get_json()
    loner = client.post("/__mock__/apps", json={}).get_json()

    def login(app):
        code = mint(client, app["appid"], alias)["code"]
        return client.get("/sns/jscode2session", query_string={
            "appid": app["appid"], "secret": app["secret"], "js_code": code,
            "grant_type": "authorization_code"}).get_json()

    main, twin, alone = login(wx_app), login(sibling), login(loner)
    assert len({main["openid"], twin["openid"], alone["openid"]}) == 3
    assert main["unionid"] == twin["unionid"]
    assert "unionid" not in alone
    assert login(wx_app)["openid"] == main["openid"]  # stable per (user, app)


@pytest.mark.parametrize("params, errcode", [
    ({"appid": None}, 41002),
    ({"secret": None}, 41004),
    ({"js_code": None}, 41008),
    ({"grant_type": "client_credential"}, 40002),
    ({"appid": "wx0000000000000000"}, 40013),
    ({"appid": "garbage"}, 40013),
    ({"secret": "0" * 32}, 40125),
])
def test_jscode2session_errors(client, wx_app, alias, params, errcode):
    code = mint(client, wx_app["appid"], alias)["code"]
    query = {"appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": code,
             "grant_type": "authorization_code", **params}
    body = client.get("/sns/jscode2session", query_string={k: v for k, v in query.items() if v is not None})
    assert body.status_code == 200
    assert body.get_json()["errcode"] == errcode
    assert RID.search(body.get_json()["errmsg"])
    # a rejected request changes no state: the code still works
    ok = client.get("/sns/jscode2session", query_string={**query, **{"appid": wx_app["appid"],
                    "secret": wx_app["secret"], "js_code": code, "grant_type": "authorization_code"}})
    assert "openid" in ok.get_json()


def test_blocked_user_gets_40226(client, wx_app, alias):
    client.patch(f"/__mock__/users/{alias}", json={"blocked": True})
    code = mint(client, wx_app["appid"], alias)["code"]
    body = client.get("/sns/jscode2session", query_string={
        "appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": code}).get_json()
    assert body["errcode"] == 40226


def test_a_code_refused_for_its_user_is_left_unused(client, wx_app):
    """Blocked, or deleted since it was minted: refused, and the code is as it was."""
    query = {"appid": wx_app["appid"], "secret": wx_app["secret"]}
    client.post("/__mock__/users", json={"alias": "leaving", "nickname": "离开"})
    blocked, deleted = mint(client, wx_app["appid"], "yuna")["code"], mint(client, wx_app["appid"], "leaving")["code"]
    client.patch("/__mock__/users/yuna", json={"blocked": True})
    assert client.get("/sns/jscode2session", query_string={**query, "js_code": blocked}).get_json()["errcode"] == 40226
    client.patch("/__mock__/users/yuna", json={"blocked": False})
    assert "openid" in client.get("/sns/jscode2session", query_string={**query, "js_code": blocked}).get_json()
    client.delete("/__mock__/users/leaving")
    assert client.get("/sns/jscode2session", query_string={**query, "js_code": deleted}).get_json()["errcode"] == 40029
    client.post("/__mock__/users", json={"alias": "leaving", "nickname": "回来"})
    assert "openid" in client.get("/sns/jscode2session", query_string={**query, "js_code": deleted}).get_json()


def test_login_without_user_creates_a_fake_user(client, wx_app):
    before = len(client.get("/__mock__/users").get_json()["users"])
    minted = mint(client, wx_app["appid"])
    users = client.get("/__mock__/users").get_json()["users"]
    assert len(users) == before + 1
    created = client.get(f"/__mock__/users/{minted['openid']}").get_json()
    assert created["apps"][wx_app["appid"]]["openid"] == minted["openid"]
    assert re.search(r"[\u4e00-\u9fff]", created["nickname"])  # Faker zh_CN


def test_accept_unknown_codes_logs_in_the_named_user(wx_app):
    from mockserver import Config, create_app

    app = create_app(Config(accept_unknown_codes="yuna"))
    client = app.test_client()
    devtools_code = "0a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P"
    query = {"appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": devtools_code,
             "grant_type": "authorization_code"}
    session = client.get("/sns/jscode2session", query_string=query).get_json()
    expected = client.get("/__mock__/users/yuna").get_json()["apps"][wx_app["appid"]]["openid"]
    assert session["openid"] == expected
    assert client.get("/sns/jscode2session", query_string=query).get_json()["errcode"] == 40163
    malformed = client.get("/sns/jscode2session", query_string={**query, "js_code": "short"}).get_json()
    assert malformed["errcode"] == 40029


def test_login_minute_quota_gives_45011_until_the_next_minute(live, client, rt, alias):
    from wechatpy import WeChatClient

    limited = client.post("/__mock__/apps", json={"name": "limited", "login_minute_quota": 2}).get_json()
    wechatpy_client = WeChatClient(limited["appid"], limited["secret"])
    wechatpy_client._http.mount(WECHAT_HOST, RedirectAdapter(live.url))
    rt.clock.set(1_800_000_040)  # 20 s left in this minute
    codes = [mint(client, limited["appid"], alias)["code"] for _ in range(3)]
    wechatpy_client.wxa.code_to_session(codes[0])
    wechatpy_client.wxa.code_to_session(codes[1])
    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.wxa.code_to_session(codes[2])
    assert info.value.errcode == 45011
    rt.clock.advance(20)
    assert wechatpy_client.wxa.code_to_session(codes[2])["openid"]  # the limited call left the code unused


def test_accept_unknown_codes_refuses_a_blocked_user(wx_app):
    from mockserver import Config, create_app

    client = create_app(Config(accept_unknown_codes="yuna")).test_client()
    client.patch("/__mock__/users/yuna", json={"blocked": True})
    answer = client.get("/sns/jscode2session", query_string={
        "appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": "0a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P"})
    assert answer.get_json()["errcode"] == 40226


def test_jscode2session_reads_only_the_query_string(client, wx_app, alias):
    code = mint(client, wx_app["appid"], alias)["code"]
    query = {"appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": code, "grant_type": "authorization_code"}
    for body in ({"data": query}, {"json": query}):
        answer = client.post("/sns/jscode2session", **body).get_json()
        assert answer["errcode"] == 41002 and answer["errmsg"].startswith("appid missing, rid: ")
    assert "openid" in client.get("/sns/jscode2session", query_string=query).get_json()  # the code was not used
