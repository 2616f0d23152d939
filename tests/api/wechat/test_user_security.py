"""A user's security rank (``getuserriskrank``) and encryption keys (``getuserencryptkey``, with
what ``getLatestUserKey`` resolves in the mini program)."""
from __future__ import annotations

import pytest

from mockserver.wechat import crypto
from support import access_token, wechat_session



@pytest.fixture
def app():
    """A frozen clock: the times these answers carry move only when the test moves them."""
    from mockserver import Config, create_app

    return create_app(Config(clock_frozen=True))

@pytest.fixture
def session(client, wx_app, alias):
    return wechat_session(client, wx_app, alias)


def rank(client, token, **fields):
    return client.post(f"/wxa/getuserriskrank?access_token={token}", json=fields).get_json()


def test_the_rank_is_the_user_s_risk_rank(client, wx_app, alias, token, session):
    body = {"appid": wx_app["appid"], "openid": session["openid"], "scene": 0, "client_ip": "203.0.113.9"}
    answer = rank(client, token, **body)
    assert set(answer) == {"errcode", "errmsg", "risk_rank", "unoin_id"}
    assert (answer["errcode"], answer["errmsg"], answer["risk_rank"]) == (0, "getuserriskrank succ", 0)
    assert isinstance(answer["unoin_id"], int) and answer["unoin_id"] > 0
    assert client.patch(f"/__mock__/users/{alias}", json={"risk_rank": 3}).status_code == 200
    assert rank(client, token, **{**body, "scene": 1, "mobile_no": "13800138000", "is_test": True})["risk_rank"] == 3
    assert client.patch(f"/__mock__/users/{alias}", json={"risk_rank": 5}).status_code == 400


@pytest.mark.parametrize("change, errcode", [
    ({"scene": 3}, 40129), ({"scene": "0"}, 47001), ({"client_ip": None}, 47001), ({"client_ip": ""}, 47001),
    ({"mobile_no": 138}, 47001), ({"is_test": "no"}, 47001), ({"openid": "o" + "z" * 27}, 40003),
    ({"appid": "wx" + "0" * 16}, 43104),
])
def test_risk_rank_errors(client, wx_app, token, session, change, errcode):
    body = {"appid": wx_app["appid"], "openid": session["openid"], "scene": 0, "client_ip": "203.0.113.9", **change}
    assert rank(client, token, **{k: v for k, v in body.items() if v is not None})["errcode"] == errcode


def test_an_openid_of_another_app_does_not_match(client, wx_app, alias, token):
    other = client.post("/__mock__/apps", json={"name": "另一个"}).get_json()
    openid = wechat_session(client, other, alias)["openid"]
    body = {"appid": wx_app["appid"], "openid": openid, "scene": 0, "client_ip": "203.0.113.9"}
    assert rank(client, token, **body)["errcode"] == 43104
    assert client.post(f"/wxa/getuserriskrank?access_token={token}").get_json()["errcode"] == 44002



def test_a_user_not_seen_in_two_hours_is_not_ranked_but_a_test_call_is(client, wx_app, alias, session):
    body = {"appid": wx_app["appid"], "openid": session["openid"], "scene": 0, "client_ip": "203.0.113.9"}

    def ranked(**more):  # a fresh access token each time: the clock moves past the old one's life
        return rank(client, access_token(client, wx_app), **body, **more)
    client.post("/__mock__/clock", json={"advance": 7200})
    assert ranked()["errcode"] == 0  # two hours to the second: still seen
    client.post("/__mock__/clock", json={"advance": 1})
    late = ranked()
    assert (late["errcode"], late["errmsg"].split(" rid: ")[0]) == (
        61010, "user has not accessed the mini program in 2 hours")
    assert ranked(is_test=True)["errcode"] == 0
    wechat_session(client, wx_app, alias)  # the user opens the mini program again
    assert ranked()["errcode"] == 0


def test_an_openid_that_never_logged_in_is_not_ranked(client, wx_app, alias, token, rt):
    openid = rt.wechat.openid(rt.wechat.user(alias), wx_app["appid"])
    body = {"appid": wx_app["appid"], "openid": openid, "scene": 1, "client_ip": "203.0.113.9"}
    assert rank(client, token, **body)["errcode"] == 61010

def keys(client, token, session, **override):
    params = {"access_token": token, "openid": session["openid"], "sig_method": "hmac_sha256",
              "signature": crypto.session_signature(session["session_key"]), **override}
    return client.get("/wxa/business/getuserencryptkey", query_string=params).get_json()


def test_keys_rotate_hourly_and_the_three_newest_are_listed(client, rt, wx_app, alias, token, session):
    now = rt.clock.now_int()
    first = keys(client, token, session)
    assert first["errcode"] == 0 and first["errmsg"] == "ok"
    [key] = first["key_info_list"]
    assert list(key) == ["encrypt_key", "version", "expire_in", "iv", "create_time"]
    assert (key["version"], key["expire_in"], key["create_time"]) == (1, 3600, now)
    assert len(crypto_key_bytes(key["encrypt_key"])) == 16 and len(key["iv"]) == 16
    rt.clock.advance(1800)
    assert keys(client, token, session)["key_info_list"] == [{**key, "expire_in": 1800}]  # the same key
    for _ in range(3):
        rt.clock.advance(3600)
        token = access_token(client, wx_app)
        listed = keys(client, token, session)["key_info_list"]
    assert [k["version"] for k in listed] == [4, 3, 2] and [k["expire_in"] for k in listed] == [3600, 0, 0]


def test_the_mini_program_s_latest_key_is_the_server_s_newest(client, rt, wx_app, alias, token, session):
    latest = client.post("/__mock__/wechat/user-encrypt-key", json={"appid": wx_app["appid"], "user": alias}).get_json()
    assert set(latest) == {"encryptKey", "iv", "version", "expireTime", "errMsg"}
    assert latest["errMsg"] == "getLatestUserKey:ok" and latest["expireTime"] == rt.clock.now_int() + 3600
    [key] = keys(client, token, session)["key_info_list"]
    assert (key["encrypt_key"], key["iv"], key["version"]) == (latest["encryptKey"], latest["iv"], latest["version"])
    assert client.post("/__mock__/wechat/user-encrypt-key", json={"appid": wx_app["appid"]}).status_code == 400
    assert client.post("/__mock__/wechat/user-encrypt-key", json={"appid": wx_app["appid"], "user": "ghost"}).status_code == 404


def test_keys_are_asked_with_the_current_session_key(client, wx_app, alias, token, session):
    assert keys(client, token, session, signature="0" * 64)["errcode"] == 87009
    assert keys(client, token, session, sig_method="md5")["errcode"] == 87008
    assert keys(client, token, session, openid="o" + "q" * 27)["errcode"] == 40003
    newer = wechat_session(client, wx_app, alias)  # a new login: a new session key
    assert keys(client, token, session)["errcode"] == 87009
    assert keys(client, token, newer)["errcode"] == 0
    body = {"openid": newer["openid"], "sig_method": "hmac_sha256",
            "signature": crypto.session_signature(newer["session_key"])}
    posted = client.post(f"/wxa/business/getuserencryptkey?access_token={token}", json=body).get_json()
    assert posted["errcode"] == 0  # the newer documentation's POST with a body works too


def test_a_deleted_user_s_keys_go_with_it(client, rt, wx_app, alias, token, session):
    keys(client, token, session)
    client.delete(f"/__mock__/users/{alias}")
    assert rt.wechat.repo.snapshot()["wx.user_keys"] == {}


def crypto_key_bytes(encoded):
    import base64

    return base64.b64decode(encoded)
