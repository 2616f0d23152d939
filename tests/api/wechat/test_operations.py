"""Operations: WeChat's server addresses, API quotas and their reset."""
from __future__ import annotations

import pytest
from support import access_token
from wechatpy.exceptions import WeChatClientException

from mockserver.wechat import quotas


def quota(client, token, cgi_path):
    return client.post(f"/cgi-bin/openapi/quota/get?access_token={token}", json={"cgi_path": cgi_path}).get_json()


def test_callback_ips_through_wechatpy(wechatpy_client, client):
    ips = wechatpy_client.misc.get_wechat_ips()
    assert ips and all(isinstance(ip, str) and ip.count(".") == 3 for ip in ips)
    assert client.get("/cgi-bin/getcallbackip").get_json()["errcode"] == 41001


def test_api_domain_ips(client, token):
    answer = client.get(f"/cgi-bin/get_api_domain_ip?access_token={token}").get_json()
    assert set(answer) == {"ip_list"} and len(answer["ip_list"]) >= 3
    assert client.get("/cgi-bin/get_api_domain_ip?access_token=" + "x" * 20).get_json()["errcode"] == 40001


def test_quota_get_counts_the_day_s_calls(client, token, wx_app):
    assert quota(client, token, "/cgi-bin/token") == {"errcode": 0, "errmsg": "ok", "quota": {
        "daily_limit": 2000, "used": 1, "remain": 1999}}
    access_token(client, wx_app)
    client.post(f"/wxa/generate_urllink?access_token={token}", json={})
    client.post(f"/wxa/generatescheme?access_token={token}", json={})
    client.post(f"/wxa/genwxashortlink?access_token={token}", json={"page_url": "pages/index/index"})
    assert quota(client, token, "/cgi-bin/token")["quota"]["used"] == 2
    assert quota(client, token, "/wxa/generate_urllink")["quota"] == {"daily_limit": 500_000, "used": 2, "remain": 499_998}
    assert quota(client, token, "/wxa/generatescheme")["quota"]["used"] == 2  # one limit for both
    assert quota(client, token, "/wxa/genwxashortlink")["quota"] == {"daily_limit": 1_000_000, "used": 1,
                                                                     "remain": 999_999}


@pytest.mark.parametrize("cgi_path", ["/cgi-bin/message/custom/send", "/wxa/msg_sec_check", "/wxa/getwxacodeunlimit"])
def test_quota_get_answers_for_every_api_the_mock_serves(client, token, cgi_path):
    """As WeChat answers for each of its APIs (its doc's own example is custom/send); the mock
    does not count these calls, so nothing is used of a limit it never reaches."""
    client.post(f"{cgi_path}?access_token={token}", json={})
    assert quota(client, token, cgi_path) == {"errcode": 0, "errmsg": "ok", "quota": {
        "daily_limit": quotas.UNMETERED, "used": 0, "remain": quotas.UNMETERED}}


@pytest.mark.parametrize("cgi_path, errcode", [
    ("/sns/jscode2session", 76022), ("/cgi-bin/no_such_api", 76021), ("", 47001), (7, 47001)])
def test_quota_get_errors(client, token, cgi_path, errcode):
    assert quota(client, token, cgi_path)["errcode"] == errcode


def test_clear_quota_resets_the_day_s_counts(client, rt, token, wx_app, monkeypatch):
    monkeypatch.setattr(quotas, "TOKEN", quotas.Meter("", 2))
    monkeypatch.setitem(quotas.METERED_PATHS, "/cgi-bin/token", quotas.TOKEN)
    access_token(client, wx_app)
    assert quota(client, token, "/cgi-bin/token")["quota"] == {"daily_limit": 2, "used": 2, "remain": 0}
    cleared = client.post(f"/cgi-bin/clear_quota?access_token={token}", json={"appid": wx_app["appid"]}).get_json()
    assert cleared == {"errcode": 0, "errmsg": "ok"}
    assert quota(client, token, "/cgi-bin/token")["quota"]["used"] == 0


def test_clear_quota_lets_a_spent_token_quota_fetch_again(client, token, wx_app):
    for _ in range(1999):
        access_token(client, wx_app)
    refused = client.get("/cgi-bin/token", query_string={
        "grant_type": "client_credential", "appid": wx_app["appid"], "secret": wx_app["secret"]}).get_json()
    assert refused["errcode"] == 45009
    client.post(f"/cgi-bin/clear_quota?access_token={token}", json={"appid": wx_app["appid"]})
    assert "access_token" in client.get("/cgi-bin/token", query_string={
        "grant_type": "client_credential", "appid": wx_app["appid"], "secret": wx_app["secret"]}).get_json()


def test_clear_quota_10_times_a_month(client, rt, token, wx_app):
    def clear():
        return client.post(f"/cgi-bin/clear_quota?access_token={token}", json={"appid": wx_app["appid"]}).get_json()
    for _ in range(10):
        assert clear()["errcode"] == 0
    refused = clear()
    assert refused["errcode"] == 48006 and refused["errmsg"].startswith(
        "forbid to clear quota because of reaching the limit")


def test_clear_quota_names_the_token_s_app(client, token, wx_app):
    answer = client.post(f"/cgi-bin/clear_quota?access_token={token}", json={"appid": "wx" + "0" * 16}).get_json()
    assert answer["errcode"] == 40013
    assert client.post(f"/cgi-bin/clear_quota?access_token={token}", json={}).get_json()["errcode"] == 40013
    assert client.post(f"/cgi-bin/clear_quota?access_token={token}").get_json()["errcode"] == 44002


def test_clear_quota_by_app_secret(client, token, wx_app):
    url = "/cgi-bin/clear_quota/v2"
    ok = client.post(url, query_string={"appid": wx_app["appid"], "appsecret": wx_app["secret"]}).get_json()
    assert ok == {"errcode": 0, "errmsg": "ok"}
    assert quota(client, token, "/cgi-bin/token")["quota"]["used"] == 0
    assert client.post(url, query_string={"appid": wx_app["appid"], "appsecret": "0" * 32}).get_json()["errcode"] == 40125
    assert client.post(url, query_string={"appid": wx_app["appid"]}).get_json()["errcode"] == 41004
    assert client.post(url).get_json()["errcode"] == 41002


def test_wechatpy_reads_quota_errors(wechatpy_client):
    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.post("openapi/quota/get", data={"cgi_path": "/sns/jscode2session"})
    assert info.value.errcode == 76022


def test_counters_do_not_pile_up(client, rt, wx_app):
    """A counter's first call of a day drops the day before's."""
    for _ in range(2):
        token = access_token(client, wx_app)
        client.post(f"/wxa/generate_urllink?access_token={token}", json={})
        rt.clock.advance(86400)
    today = int(rt.clock.now() // 86400) - 1
    assert sorted(rt.wechat.repo.snapshot()["wx.quota"]) == [f"{wx_app['appid']}:{today}",
                                                             f"{wx_app['appid']}:links:{today}"]
