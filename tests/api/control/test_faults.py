"""Fault injection as the real wechatpy client sees it, plus the rules' own API."""
from __future__ import annotations

import time

import pytest
import requests
from wechatpy.exceptions import WeChatClientException

from support import mint
from mockserver import Config, create_app

RID = r", rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$"


def add(client, **rule):
    response = client.post("/__mock__/faults", json=rule)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_simplest_rule_fails_once_and_the_code_still_works(wechatpy_client, client, wx_app, alias):
    rule = add(client, endpoint="/sns/jscode2session", errcode=-1, times=1)
    minted = mint(client, wx_app["appid"], alias)

    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.wxa.code_to_session(minted["code"])
    assert info.value.errcode == -1
    assert info.value.errmsg.startswith("system error, rid: ")

    # As with the real service, the failed exchange did not use the code up.
    assert wechatpy_client.wxa.code_to_session(minted["code"])["openid"] == minted["openid"]
    listed = client.get("/__mock__/faults").get_json()["faults"]
    assert listed == [{**rule, "hits": 1, "active": False}]


def test_rate_limit_errcode_keeps_its_real_errmsg(wechatpy_client, client, wx_app, alias):
    add(client, endpoint="jscode2session", errcode=45011)
    for _ in range(2):
        with pytest.raises(WeChatClientException) as info:
            wechatpy_client.wxa.code_to_session(mint(client, wx_app["appid"], alias)["code"])
        assert info.value.errcode == 45011
        assert info.value.errmsg.startswith("api minute-quota reach limit mustslower retry next minute, rid: ")
    assert client.get("/__mock__/faults").get_json()["faults"][0]["hits"] == 2


def test_errmsg_override_and_fault_on_a_token_route(wechatpy_client, client):
    add(client, endpoint="/cgi-bin/token", errcode=40013, errmsg="invalid appid hint: [abc]", times=1)
    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.fetch_access_token()
    assert info.value.errcode == 40013
    assert info.value.errmsg.startswith("invalid appid hint: [abc] rid: ")
    assert wechatpy_client.fetch_access_token()["expires_in"] == 7200


def test_dropped_connection_breaks_the_call_and_leaves_the_code_usable(wechatpy_client, client, wx_app, alias):
    add(client, endpoint="/sns/jscode2session", drop=True, times=1)
    code = mint(client, wx_app["appid"], alias)["code"]
    # wechatpy wraps only HTTP status errors: a broken connection reaches the caller from requests.
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="Connection broken"):
        wechatpy_client.wxa.code_to_session(code)
    assert wechatpy_client.wxa.code_to_session(code)["session_key"]


def test_malformed_body_reaches_wechatpy_as_an_undecodable_response(wechatpy_client, client, wx_app, alias):
    add(client, endpoint="/sns/jscode2session", malformed=True, times=1)
    code = mint(client, wx_app["appid"], alias)["code"]
    # wechatpy hands back the raw response when the body is not JSON.
    answer = wechatpy_client.wxa.code_to_session(code)
    assert isinstance(answer, requests.Response)
    assert answer.status_code == 200 and answer.text.startswith('{"errcode":0,')
    with pytest.raises(ValueError):
        answer.json()
    assert "openid" in wechatpy_client.wxa.code_to_session(code)


def test_latency_delays_the_answer_and_trips_client_timeouts(wechatpy_client, client, wx_app, alias):
    add(client, endpoint="/sns/jscode2session", latency_ms=600, times=2)
    code = mint(client, wx_app["appid"], alias)["code"]
    wechatpy_client.fetch_access_token()  # so that only the exchange itself is timed

    started = time.perf_counter()
    assert wechatpy_client.wxa.code_to_session(code)["openid"]  # latency alone: answered normally
    assert time.perf_counter() - started >= 0.6

    wechatpy_client.timeout = 0.2
    with pytest.raises(requests.exceptions.ReadTimeout):
        wechatpy_client.wxa.code_to_session(mint(client, wx_app["appid"], alias)["code"])


def test_latency_with_an_errcode(client, wx_app, alias):
    add(client, endpoint="/sns/jscode2session", errcode=-1, latency_ms=300)
    code = mint(client, wx_app["appid"], alias)["code"]
    started = time.perf_counter()
    answer = client.get("/sns/jscode2session", query_string={
        "appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": code}).get_json()
    assert time.perf_counter() - started >= 0.3
    assert answer["errcode"] == -1


def test_criteria_pick_the_user_app_and_code(wechatpy_client, client, rt, wx_app):
    users = [user["alias"] for user in rt.wechat.users()[:3]]
    target = rt.wechat.describe_user(rt.wechat.user(users[0]))["apps"][wx_app["appid"]]["openid"]
    add(client, endpoint="/sns/jscode2session", errcode=40226, match={"user": target})  # by openid
    other_code = mint(client, wx_app["appid"], users[2])["code"]
    add(client, endpoint="/sns/jscode2session", errcode=-1, match={"code": other_code})

    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.wxa.code_to_session(mint(client, wx_app["appid"], users[0])["code"])
    assert info.value.errcode == 40226
    assert wechatpy_client.wxa.code_to_session(mint(client, wx_app["appid"], users[1])["code"])["openid"]
    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.wxa.code_to_session(other_code)
    assert info.value.errcode == -1


def test_appid_criterion_covers_routes_called_with_an_access_token(wechatpy_client, client, rt, wx_app, alias):
    other = client.post("/__mock__/apps", json={"name": "other"}).get_json()
    add(client, endpoint="/wxa/msg_sec_check", errcode=-1, match={"appid": other["appid"]})
    assert wechatpy_client.wxa.check_text_security("hello")["errcode"] == 0  # wx_app: no fault
    add(client, endpoint="/wxa/msg_sec_check", errcode=45009, match={"appid": wx_app["appid"]})
    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.wxa.check_text_security("hello")
    assert info.value.errcode == 45009


def test_probability_is_drawn_from_the_seeded_source():
    def run():
        client = create_app(Config(seed=3)).test_client()
        wx_app = client.get("/__mock__/apps").get_json()["wechat"][0]
        add(client, endpoint="/cgi-bin/token", errcode=-1, probability=0.5)
        query = {"grant_type": "client_credential", "appid": wx_app["appid"], "secret": wx_app["secret"]}
        return [client.get("/cgi-bin/token", query_string=query).get_json().get("errcode") for _ in range(40)]

    first, second = run(), run()
    assert first == second  # same seed, same calls: same faults
    assert 5 < first.count(-1) < 35  # and it really is a coin toss


def test_first_matching_rule_wins_and_rules_can_be_removed(client, wx_app, alias):
    first = add(client, endpoint="/sns/jscode2session", errcode=-1)
    add(client, endpoint="/sns/jscode2session", errcode=45011)
    query = {"appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": mint(client, wx_app["appid"], alias)["code"]}
    assert client.get("/sns/jscode2session", query_string=query).get_json()["errcode"] == -1
    assert client.delete(f"/__mock__/faults/{first['id']}").get_json() == {"deleted": first["id"]}
    assert client.get("/sns/jscode2session", query_string=query).get_json()["errcode"] == 45011
    assert client.delete("/__mock__/faults").get_json() == {"deleted": 1}
    assert "openid" in client.get("/sns/jscode2session", query_string=query).get_json()
    assert client.delete(f"/__mock__/faults/{first['id']}").status_code == 404


def test_control_plane_is_never_faulted(client, wx_app):
    add(client, endpoint="/sns/jscode2session", errcode=-1)
    assert client.post("/__mock__/wechat/login", json={"appid": wx_app["appid"]}).status_code == 200


@pytest.mark.parametrize("rule, message", [
    ({"errcode": -1}, "'endpoint' is required"),
    ({"endpoint": "/nope", "errcode": -1}, "no emulated route '/nope'"),
    ({"endpoint": "/__mock__/clock", "errcode": -1}, "no emulated route"),
    ({"endpoint": "/sns/jscode2session"}, "say what to do"),
    ({"endpoint": "/sns/jscode2session", "errcode": -1, "drop": True}, "not errcode and drop"),
    ({"endpoint": "/sns/jscode2session", "errcode": 0}, "non-zero integer"),
    ({"endpoint": "/sns/jscode2session", "errcode": 12345}, "give 'errmsg' too"),
    ({"endpoint": "/sns/jscode2session", "authing": {"code": 2001}}, "for Authing routes"),
    ({"endpoint": "/api/v2/logout", "errcode": -1}, "for WeChat routes"),
    ({"endpoint": "/sns/jscode2session", "drop": True, "errmsg": "x"}, "'errmsg' goes with 'errcode'"),
    ({"endpoint": "/sns/jscode2session", "latency_ms": 5, "errmsg": "x"}, "'errmsg' goes with 'errcode'"),
    ({"endpoint": "/sns/jscode2session", "drop": "yes"}, "'drop' must be true"),
    ({"endpoint": "jscode2session", "authing": {"code": 1}, "errmsg": "x"}, "'errmsg' goes with 'errcode'"),
    ({"endpoint": "/sns/jscode2session", "errcode": -1, "times": 0}, "'times' must be a positive integer"),
    ({"endpoint": "/sns/jscode2session", "errcode": -1, "probability": 1.5}, "'probability'"),
    ({"endpoint": "/sns/jscode2session", "latency_ms": -5}, "'latency_ms'"),
    ({"endpoint": "/sns/jscode2session", "errcode": -1, "match": {"user": "nobody"}}, "no WeChat user"),
    ({"endpoint": "/sns/jscode2session", "errcode": -1, "match": {"openid": "o1"}}, "unknown match criteria"),
    ({"endpoint": "/sns/jscode2session", "errcode": -1, "when": "now"}, "unknown rule fields"),
])
def test_bad_rules_are_refused_with_a_reason(client, rule, message):
    response = client.post("/__mock__/faults", json=rule)
    assert response.status_code in (400, 404)
    assert message in response.get_json()["error"]
    assert client.get("/__mock__/faults").get_json() == {"faults": []}


def test_rules_live_in_the_store_and_reset_clears_them(client, rt):
    rule = add(client, endpoint="/sns/jscode2session", errcode=-1)
    assert [r["errcode"] for r in rt.faults.list() if r["id"] == rule["id"]] == [-1]
    client.post("/__mock__/reset")
    assert client.get("/__mock__/faults").get_json() == {"faults": []}


@pytest.mark.parametrize("endpoint", ["logout", "authing.logout", "/api/v2/logout"])
def test_a_route_is_named_by_the_service_whatever_blueprint_serves_it(client, endpoint):
    rule = client.post("/__mock__/faults", json={"endpoint": endpoint, "authing": {"code": 2333}}).get_json()
    assert rule["service"] == "authing", rule
    answer = client.get("/api/v2/logout").get_json()
    assert answer["code"] == 2333
    assert client.get("/logout").get_json()["code"] == (2333 if "/" not in endpoint else 2020)  # same route, other path

