"""``intercept()`` answers the standard library's ``urllib.request`` on the real hosts, keeps its
error handling (HTTPError for 400 and above), refuses other hosts with ``InterceptError`` itself,
and lets ``passthrough`` hosts reach the network."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from support import network_server

from mockserver import intercept
from mockserver.testing import InterceptError


def test_a_get_and_a_json_post_are_answered_on_the_real_host():
    with intercept() as mock:
        query = urllib.parse.urlencode({"grant_type": "client_credential", "appid": mock.appid, "secret": mock.secret})
        with urllib.request.urlopen(f"https://api.weixin.qq.com/cgi-bin/token?{query}") as answer:
            assert answer.status == 200 and answer.headers["Content-Type"].startswith("application/json")
            token = json.load(answer)["access_token"]
        request = urllib.request.Request(f"https://api.weixin.qq.com/wxa/msg_sec_check?access_token={token}",
                                         data=json.dumps({"content": "MOCK_RISKY"}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as answer:
            assert json.load(answer)["errcode"] == 87014


def test_an_error_status_is_an_http_error_as_urllib_makes_it():
    with intercept():
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen("https://core.authing.cn/oidc/me")
    assert refused.value.code == 401 and json.load(refused.value)["error"] == "invalid_token"


def test_other_hosts_are_refused_and_passthrough_reaches_the_network():
    original = urllib.request.AbstractHTTPHandler.do_open
    with intercept() as mock:
        with pytest.raises(InterceptError, match="'example.com' is not a mocked host"):
            urllib.request.urlopen("https://example.com/")
        assert mock.blocked == ["https://example.com/"]
    with network_server() as url:
        with intercept(passthrough=["127.0.0.1"]):
            with urllib.request.urlopen(url + "/") as answer:
                assert answer.read() == b"from the network"
    assert urllib.request.AbstractHTTPHandler.do_open is original
