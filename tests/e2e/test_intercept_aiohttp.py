"""``intercept()`` answers aiohttp on the real hosts through aiohttp's own connection and parser
(JSON, forms, multipart uploads, redirects, error statuses), refuses other hosts with
``InterceptError`` itself, lets ``passthrough`` hosts reach the network, and takes its patch away
with the last interception."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
from support import network_server

from mockserver import intercept
from mockserver.testing import InterceptError

WECHAT = "https://api.weixin.qq.com"
AUTHING = "https://core.authing.cn"


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_session_is_answered_on_the_real_hosts():
    async def login(mock):
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{WECHAT}/sns/jscode2session", params={
                    "appid": mock.appid, "secret": mock.secret, "js_code": mock.login("yuna"),
                    "grant_type": "authorization_code"}) as answer:
                session_answer = await answer.json()
            async with session.post(f"{WECHAT}/cgi-bin/stable_token", json={
                    "grant_type": "client_credential", "appid": mock.appid, "secret": mock.secret}) as answer:
                token = (await answer.json())["access_token"]
            async with session.post(f"{WECHAT}/wxa/msg_sec_check", params={"access_token": token},
                                    json={"content": "你好"}) as answer:
                checked = await answer.json()
            return session_answer, checked

    with intercept() as mock:
        session_answer, checked = run(login(mock))
        assert session_answer["openid"] == mock.user("yuna")["apps"][mock.appid]["openid"]
        assert checked == {"errcode": 0, "errmsg": "ok"}
        assert [entry["path"] for entry in mock.journal()["requests"]] == [
            "/sns/jscode2session", "/cgi-bin/stable_token", "/wxa/msg_sec_check"]


def test_a_multipart_upload_and_error_statuses_come_back_as_aiohttp_reads_them():
    async def upload(app_id):
        async with aiohttp.ClientSession() as session:
            form = aiohttp.FormData()
            form.add_field("file", b"\x89PNG\r\n\x1a\navatar", filename="a.png", content_type="image/png")
            async with session.post(f"{AUTHING}/api/v2/upload?folder=avatar", data=form,
                                    headers={"x-authing-app-id": app_id}) as answer:
                url = (await answer.json())["data"]["url"]
            async with session.get(url) as served:
                body, kind = await served.read(), served.content_type
            async with session.get(f"{AUTHING}/oidc/me") as refused:
                return body, kind, refused.status, refused.headers["WWW-Authenticate"], await refused.json()

    with intercept() as mock:
        body, kind, status, challenge, refusal = run(upload(mock.authing_app["id"]))
    assert (body, kind) == (b"\x89PNG\r\n\x1a\navatar", "image/png")
    assert status == 401 and challenge.startswith("Bearer") and refusal["error"] == "invalid_token"


def test_other_hosts_are_refused_with_intercept_error_itself():
    async def fetch():
        async with aiohttp.ClientSession() as session:
            await session.get("https://example.com/")

    with intercept() as mock:
        with pytest.raises(InterceptError, match="'example.com' is not a mocked host") as raised:
            run(fetch())
        assert not isinstance(raised.value, aiohttp.ClientError)
        assert mock.blocked == ["https://example.com/"]


def test_passthrough_hosts_reach_the_network_and_the_patch_goes_with_the_last_interception():
    async def fetch(url):
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as answer:
                return await answer.text()

    original = aiohttp.BaseConnector.connect
    with network_server() as url:
        with intercept(passthrough=["127.0.0.1"]):
            assert aiohttp.BaseConnector.connect is not original
            assert run(fetch(url + "/")) == "from the network"
        assert aiohttp.BaseConnector.connect is original
        assert run(fetch(url + "/")) == "from the network"
