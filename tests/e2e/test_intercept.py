"""``intercept()``: unmodified wechatpy and authing SDK clients answered in-process, no sockets."""
from __future__ import annotations

import socket

import pytest
import requests
from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient

from mockserver import MockServer, create_app, intercept
from mockserver.testing import InterceptError


@pytest.fixture
def no_sockets(monkeypatch):
    """Any attempt to open a connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("a socket was opened under intercept()")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_wechatpy_code_to_session_with_no_base_url_change(no_sockets):
    with intercept() as mock:
        client = WeChatClient(mock.appid, mock.secret)
        session = client.wxa.code_to_session(mock.login("yuna"))
        identity = mock.user("yuna")["apps"][mock.appid]
        assert (session["openid"], session["unionid"]) == (identity["openid"], identity["unionid"])
        with pytest.raises(Exception) as raised:
            client.wxa.code_to_session("0" * 32)
        assert raised.value.errcode == 40029


def test_wechatpy_refetches_a_superseded_token_and_retries():
    with intercept() as mock:
        client = WeChatClient(mock.appid, mock.secret)
        assert client.wxa.check_text_security("你好")["errcode"] == 0
        first = client.access_token
        WeChatClient(mock.appid, mock.secret).fetch_access_token()  # another process refreshes it
        mock.advance_clock(301)  # past the 5 minutes the previous token keeps working
        assert client.wxa.check_text_security("你好")["errcode"] == 0
        assert client.access_token != first


def test_wechatpy_retries_an_expired_token():
    with intercept() as mock:
        client = WeChatClient(mock.appid, mock.secret)
        client.wxa.check_text_security("你好")
        first = client.access_token
        mock.advance_clock(7200)
        assert client.wxa.check_text_security("你好")["errcode"] == 0
        assert client.access_token != first


def test_control_plane_answers_on_the_wechat_host():
    with intercept() as mock:
        minted = requests.post("https://api.weixin.qq.com/__mock__/wechat/login",
                               json={"appid": mock.appid, "user": "qqian"}).json()
        assert WeChatClient(mock.appid, mock.secret).wxa.code_to_session(minted["code"])["openid"] == minted["openid"]


def test_other_hosts_fail_loudly_by_default(no_sockets):
    with intercept() as mock:
        with pytest.raises(InterceptError, match=r"blocked GET https://example\.com/x.*passthrough") as raised:
            requests.get("https://example.com/x")
        # neither a requests error nor an OSError: no client's `except` turns it into its own error
        assert not isinstance(raised.value, (requests.RequestException, OSError))
        assert raised.value.request.url == "https://example.com/x"
        assert mock.blocked == ["https://example.com/x"]


def test_passthrough_lets_listed_hosts_reach_the_network():
    with MockServer() as live, intercept(passthrough=["127.0.0.1"]):
        assert requests.get(live.url + "/__mock__/health", timeout=5).json() == {"status": "ok", "backend": "memory"}
        with pytest.raises(InterceptError):
            requests.get("http://localhost:1/")


def test_passthrough_true_lets_every_host_through():
    with MockServer() as live, intercept(passthrough=True):
        assert requests.get(live.url.replace("127.0.0.1", "localhost") + "/__mock__/health", timeout=5).ok


def test_every_authing_host_is_mocked(no_sockets):
    with intercept():
        for host in ("core.authing.cn", "api.authing.cn", "my-app.authing.cn"):
            config = requests.get(f"https://{host}/oidc/.well-known/openid-configuration").json()
            assert config["issuer"] == f"https://{host}/oidc"


def test_more_hosts_can_be_mocked(no_sockets):
    with intercept(hosts=["wechat.internal"]):
        assert requests.get("http://wechat.internal/__mock__/health").json() == {"status": "ok", "backend": "memory"}


def test_patch_is_removed_on_exit_and_nesting_uses_the_innermost():
    original = HTTPAdapter.send
    with intercept(seed=1) as outer:
        with intercept(seed=2) as inner:
            code = requests.post("https://api.weixin.qq.com/__mock__/wechat/login",
                                 json={"appid": inner.appid, "user": "yuna"}).json()["code"]
            assert inner.runtime.wechat.repo.code(code) is not None
        assert outer.runtime.wechat.repo.code(code) is None
        assert HTTPAdapter.send is not original
    assert HTTPAdapter.send is original


def test_an_interception_cannot_be_entered_twice():
    mock = intercept()
    with mock:
        with pytest.raises(RuntimeError, match="already active"):
            mock.__enter__()


def test_shares_state_with_a_given_server_and_its_url():
    with MockServer() as live, intercept(live) as mock:
        code = live.login("yuna")
        assert WeChatClient(mock.appid, mock.secret).wxa.code_to_session(code)["openid"]
        # the live server's own URL is answered in-process too, so both modes can be mixed
        assert requests.get(live.url + "/__mock__/users/yuna").json()["alias"] == "yuna"
        assert mock.runtime is live.runtime


def test_a_create_app_app_can_be_given():
    app = create_app()
    with intercept(app) as mock:
        assert mock.app is app
        assert requests.get("https://api.weixin.qq.com/__mock__/health").ok


def test_config_fields_choose_seed_and_fixtures():
    with intercept(seed=1) as one:
        code_1 = one.login("yuna")
    with intercept(seed=2) as two:
        code_2 = two.login("yuna")
    assert code_1 != code_2
    with pytest.raises(TypeError):
        intercept(no_such_field=1)


def test_each_intercept_starts_from_the_fixture_state():
    with intercept() as first:
        first.login()  # a new user
        users = len(first.users)
    del first
    with intercept() as second:
        assert len(second.users) == users - 1


@intercept
def test_bare_decorator_routes_the_call():
    answer = requests.get("https://api.weixin.qq.com/cgi-bin/token", params={"grant_type": "client_credential"})
    assert answer.json()["errcode"] == 41002


def test_decorated_calls_each_get_a_fresh_state():
    @intercept(seed=3)
    def login_new_user():
        appid = requests.get("https://api.weixin.qq.com/__mock__/apps").json()["wechat"][0]["appid"]
        return requests.post("https://api.weixin.qq.com/__mock__/wechat/login", json={"appid": appid}).json()

    assert login_new_user() == login_new_user()
    assert HTTPAdapter.send.__module__ == "requests.adapters"


@intercept()
class TestDecoratedClass:
    def test_methods_are_intercepted(self):
        assert requests.get("https://core.authing.cn/oidc/.well-known/jwks.json").json()["keys"]

    def helper_is_left_alone(self):
        return requests.get("https://api.weixin.qq.com/__mock__/health")

    def test_only_test_methods_are_wrapped(self):
        intercepted = type(self).__dict__["test_methods_are_intercepted"]
        assert hasattr(intercepted, "__wrapped__")
        assert not hasattr(type(self).__dict__["helper_is_left_alone"], "__wrapped__")


def test_response_is_a_complete_requests_response():
    with intercept():
        answer = requests.get("https://api.weixin.qq.com/sns/jscode2session?appid=wx0000000000000000")
        assert answer.status_code == 200 and answer.reason == "OK"
        assert answer.headers["Content-Type"].startswith("application/json")
        assert answer.url == "https://api.weixin.qq.com/sns/jscode2session?appid=wx0000000000000000"
        assert answer.json()["errcode"] in (40013, 41004)
        assert answer.request.method == "GET"
        missing = requests.get("https://api.authing.cn/__mock__/nowhere")
        assert missing.status_code == 404


def test_authing_sdk_with_its_default_host(no_sockets):
    from authing import AuthenticationClient

    with intercept() as mock:
        app = mock.authing_app
        client = AuthenticationClient(app_id=app["appId"], app_host=None, app_secret=app["secret"])
        assert client.app_host == "https://api.authing.cn"
        code = mock.login("yuna")
        signed_in = client.sign_in_by_mobile(ext_idp_connidentifier=app["connection"],
                                             connection="wechat_mini_program_code",
                                             wechat_mini_program_code_payload={"code": code})
        assert signed_in["statusCode"] == 200, signed_in
        token = signed_in["data"]["access_token"]
        claims = client.introspect_token_offline(token)
        assert claims["aud"] == app["appId"] and claims["iss"] == "https://api.authing.cn/oidc"

        client.set_access_token(token)
        updated = client.update_profile(nickname="Bob")
        assert updated["statusCode"] == 200, updated
        profile = client.get_profile()
        assert profile["data"]["nickname"] == "Bob" and profile["data"]["userId"] == claims["sub"]


def test_faults_and_journal_through_the_helpers():
    with intercept() as mock:
        client = WeChatClient(mock.appid, mock.secret)
        rule = mock.add_fault(endpoint="/sns/jscode2session", errcode=-1, times=1)
        assert rule["id"]
        code = mock.login("yuna")
        with pytest.raises(Exception) as raised:
            client.wxa.code_to_session(code)
        assert raised.value.errcode == -1
        assert client.wxa.code_to_session(code)["openid"]  # a faulted request changes no state
        journal = mock.journal(path="/sns/jscode2session")
        assert journal["count"] == 2 and journal["by_errcode"] == {"-1": 1, "0": 1}
        assert mock.journal()["count"] == 3  # and the token fetch


def test_a_dropped_connection_breaks_the_request_as_over_a_socket():
    with MockServer() as live:
        live.add_fault(endpoint="/cgi-bin/token", drop=True)
        query = {"grant_type": "client_credential", "appid": live.appid, "secret": live.secret}
        with pytest.raises(requests.RequestException) as over_socket:
            requests.get(live.url + "/cgi-bin/token", params=query, timeout=5)
        with intercept(live.app):
            with pytest.raises(requests.RequestException) as in_process:
                requests.get("https://api.weixin.qq.com/cgi-bin/token", params=query)
    assert type(in_process.value) is type(over_socket.value)


def test_cookies_and_redirects_behave_as_over_the_network():
    from flask import Flask, redirect, request

    app = Flask("cookies")

    @app.get("/login")
    def login():
        response = redirect("/home")
        response.set_cookie("session", "abc")
        return response

    @app.get("/home")
    def home():
        return {"session": request.cookies.get("session")}

    with intercept(app, hosts=["site.test"]), requests.Session() as session:
        answer = session.get("https://site.test/login")
        assert answer.json() == {"session": "abc"}
        assert [r.status_code for r in answer.history] == [302]
        assert session.cookies.get("session") == "abc"


def test_bytes_header_values_reach_the_app_as_text():
    """requests allows a header value to be bytes; the in-process call gives WSGI latin-1 text."""
    with intercept() as mock:
        app_id = mock.authing_app["appId"]
        answer = requests.get("https://core.authing.cn/api/v2/users/me",
                              headers={"x-authing-app-id": app_id.encode(), "Authorization": b"Bearer not-a-jwt"}).json()
    assert (answer["code"], answer["message"]) == (2207, "token 不合法")
