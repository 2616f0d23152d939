"""Access tokens: lifetime, refresh grace, stable_token, and wechatpy's automatic retry."""
from __future__ import annotations

import pytest


def fetch(client, app, **overrides):
    query = {"grant_type": "client_credential", "appid": app["appid"], "secret": app["secret"], **overrides}
    return client.get("/cgi-bin/token", query_string={k: v for k, v in query.items() if v is not None}).get_json()


def use(client, token):
    """Any token-protected call; msg_sec_check v1 answers ok for harmless text."""
    return client.post(f"/wxa/msg_sec_check?access_token={token}", data='{"content":"你好"}').get_json()


def test_token_lasts_7200_seconds(client, rt, wx_app):
    token = fetch(client, wx_app)
    assert token["expires_in"] == 7200 and len(token["access_token"]) >= 136
    rt.clock.advance(7199)
    assert use(client, token["access_token"])["errcode"] == 0
    rt.clock.advance(1)
    assert use(client, token["access_token"])["errcode"] == 42001


def test_previous_token_works_five_more_minutes_after_refresh(client, rt, wx_app):
    old = fetch(client, wx_app)["access_token"]
    new = fetch(client, wx_app)["access_token"]
    assert old != new
    rt.clock.advance(299)
    assert use(client, old)["errcode"] == 0
    rt.clock.advance(1)
    assert use(client, old)["errcode"] == 40001
    assert use(client, new)["errcode"] == 0


@pytest.mark.parametrize("overrides, errcode", [
    ({"grant_type": "authorization_code"}, 40002),
    ({"grant_type": None}, 40002),
    ({"appid": None}, 41002),
    ({"secret": None}, 41004),
    ({"appid": "wx1111111111111111"}, 40013),
    ({"secret": "f" * 32}, 40125),
])
def test_token_errors(client, wx_app, overrides, errcode):
    assert fetch(client, wx_app, **overrides)["errcode"] == errcode


@pytest.mark.parametrize("token, errcode", [(None, 41001), ("bad token!", 40014), ("86_" + "A" * 136, 40001)])
def test_token_checks_on_protected_apis(client, token, errcode):
    query = "" if token is None else f"?access_token={token}"
    assert client.post(f"/wxa/msg_sec_check{query}", data='{"content":"x"}').get_json()["errcode"] == errcode


def test_token_in_body_is_a_format_error(client, wx_app):
    token = fetch(client, wx_app)["access_token"]
    body = client.post("/wxa/msg_sec_check", json={"content": "x", "access_token": token}).get_json()
    assert body["errcode"] == 47001


def test_daily_quota(client, rt, wx_app):
    today = int(rt.clock.now() // 86400)
    for _ in range(2000):  # the day's quota, spent
        assert "access_token" in fetch(client, wx_app)
    assert fetch(client, wx_app)["errcode"] == 45009
    rt.clock.advance(86400)
    assert "access_token" in fetch(client, wx_app)
    assert list(rt.wechat.repo.snapshot()["wx.quota"]) == [f"{wx_app['appid']}:{today + 1}"]  # no pile-up


def stable(client, app, **overrides):
    body = {"grant_type": "client_credential", "appid": app["appid"], "secret": app["secret"], **overrides}
    return client.post("/cgi-bin/stable_token", json=body).get_json()


def test_stable_token_is_reused_until_close_to_expiry(client, rt, wx_app):
    first = stable(client, wx_app)
    rt.clock.advance(100)
    again = stable(client, wx_app)
    assert again["access_token"] == first["access_token"] and 7099 <= again["expires_in"] <= 7100
    assert fetch(client, wx_app)["access_token"] != first["access_token"]  # separate from /cgi-bin/token
    assert use(client, first["access_token"])["errcode"] == 0  # and not invalidated by it
    rt.clock.advance(6801)  # 299 s left: within 5 minutes of expiry
    renewed = stable(client, wx_app)
    assert renewed["access_token"] != first["access_token"] and renewed["expires_in"] == 7200
    assert use(client, first["access_token"])["errcode"] == 0  # still until its own expiry


def test_stable_token_force_refresh_invalidates_previous(client, wx_app):
    first = stable(client, wx_app)["access_token"]
    forced = stable(client, wx_app, force_refresh=True)["access_token"]
    assert forced != first
    assert use(client, first)["errcode"] == 40001
    assert use(client, forced)["errcode"] == 0


@pytest.mark.parametrize("overrides, errcode", [
    ({"grant_type": "x"}, 40002), ({"secret": "0" * 32}, 40125), ({"force_refresh": "yes"}, 47001),
    ({"appid": ""}, 41002),
])
def test_stable_token_errors(client, wx_app, overrides, errcode):
    assert stable(client, wx_app, **overrides)["errcode"] == errcode


@pytest.mark.parametrize("body, errcode", [("", 44002), ("  ", 44002), ("not json", 47001), ("[1,2]", 47001)])
def test_stable_token_bad_bodies(client, body, errcode):
    assert client.post("/cgi-bin/stable_token", data=body).get_json()["errcode"] == errcode


@pytest.mark.parametrize("how", ["expire", "refresh-elsewhere", "unknown"])
def test_wechatpy_refetches_the_token_and_retries(wechatpy_client, live, rt, wx_app, how):
    wechatpy_client.fetch_access_token()
    cached = wechatpy_client.access_token
    if how == "expire":
        rt.clock.advance(7201)  # wechatpy's own cache still believes the token is fresh
    elif how == "refresh-elsewhere":
        import requests
        requests.get(f"{live.url}/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": wx_app["appid"], "secret": wx_app["secret"]})
        rt.clock.advance(301)
    else:
        wechatpy_client.session.set(wechatpy_client.access_token_key, "86_" + "Z" * 136, 7200)
    result = wechatpy_client.wxa.check_text_security("你好")
    assert result["errcode"] == 0
    assert wechatpy_client.access_token != cached


@pytest.mark.parametrize("overrides, errcode", [
    ({"appid": "wx1111111111111111", "grant_type": None}, 40013),  # the appid first, then the grant type
    ({"appid": "wx1111111111111111", "secret": None}, 40013),
    ({"grant_type": None, "secret": "0" * 32}, 40002),
    ({"grant_type": None, "secret": None}, 41004),
])
def test_both_token_apis_check_the_appid_before_the_rest(client, wx_app, overrides, errcode):
    assert fetch(client, wx_app, **overrides)["errcode"] == errcode
    body = {k: v for k, v in {"grant_type": "client_credential", "appid": wx_app["appid"], "secret": wx_app["secret"],
                              **overrides}.items() if v is not None}
    assert client.post("/cgi-bin/stable_token", json=body).get_json()["errcode"] == errcode


def test_stable_token_force_refresh_is_limited_to_one_per_30_seconds(client, rt, wx_app):
    first = stable(client, wx_app, force_refresh=True)["access_token"]
    rt.clock.advance(29)
    kept = stable(client, wx_app, force_refresh=True)
    assert kept["access_token"] == first and kept["expires_in"] in (7171, 7170)
    assert use(client, first)["errcode"] == 0  # not invalidated
    rt.clock.advance(1)
    assert stable(client, wx_app, force_refresh=True)["access_token"] != first


def test_stable_token_force_refresh_is_limited_to_20_a_day(client, rt, wx_app):
    rt.clock.set(86400 * 20000 + 60)  # early in a day of the clock
    tokens = []
    for _ in range(20):
        tokens.append(stable(client, wx_app, force_refresh=True)["access_token"])
        rt.clock.advance(31)
    assert len(set(tokens)) == 20
    assert stable(client, wx_app, force_refresh=True)["access_token"] == tokens[-1]
    assert use(client, tokens[-1])["errcode"] == 0
    rt.clock.set(86400 * 20001 + 60)  # the next day
    plain = stable(client, wx_app)["access_token"]  # (the last one expired overnight)
    forced = stable(client, wx_app, force_refresh=True)["access_token"]
    assert forced != plain  # allowed again
    assert stable(client, wx_app, force_refresh=True)["access_token"] == forced  # 30 s apart still
