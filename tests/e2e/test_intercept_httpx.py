"""``intercept()`` answers httpx (sync and async) on the real hosts, refuses other hosts with
``InterceptError`` itself, lets ``passthrough`` hosts reach the network, and leaves the transports
of in-process test clients (FastAPI's ``TestClient``) alone."""
from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from support import network_server

from mockserver import intercept
from mockserver.testing import InterceptError

WECHAT = "https://api.weixin.qq.com"


def session_params(mock):
    return {"appid": mock.appid, "secret": mock.secret, "js_code": mock.login("yuna"),
            "grant_type": "authorization_code"}


def test_a_sync_client_is_answered_on_the_real_host():
    with intercept() as mock:
        with httpx.Client() as client:
            answer = client.get(f"{WECHAT}/sns/jscode2session", params=session_params(mock)).json()
        assert answer["openid"] == mock.user("yuna")["apps"][mock.appid]["openid"]
        assert httpx.get(f"{WECHAT}/sns/jscode2session").json()["errcode"] == 41002  # module-level calls too


def test_an_async_client_is_answered_on_the_real_host():
    async def login(mock):
        async with httpx.AsyncClient() as client:
            token = (await client.get(f"{WECHAT}/cgi-bin/token", params={
                "grant_type": "client_credential", "appid": mock.appid, "secret": mock.secret})).json()
            checked = await client.post(f"{WECHAT}/wxa/msg_sec_check", params={
                "access_token": token["access_token"]}, json={"content": "hello"})
            return checked.json()

    with intercept() as mock:
        assert asyncio.run(login(mock)) == {"errcode": 0, "errmsg": "ok"}


def test_other_hosts_are_refused_with_intercept_error_itself():
    async def fetch():
        async with httpx.AsyncClient() as client:
            await client.get("https://example.com/")

    with intercept() as mock:
        with pytest.raises(InterceptError, match="'example.com' is not a mocked host"):
            httpx.get("https://example.com/")
        with pytest.raises(InterceptError):
            asyncio.run(fetch())
        assert mock.blocked == ["https://example.com/", "https://example.com/"]


def test_passthrough_hosts_reach_the_network_and_the_patch_goes_with_the_last_interception():
    original = httpx.HTTPTransport.handle_request
    with network_server() as url:
        with intercept(passthrough=["127.0.0.1"]):
            assert httpx.HTTPTransport.handle_request is not original
            assert httpx.get(url + "/").text == "from the network"
    assert httpx.HTTPTransport.handle_request is original


backend = FastAPI()


@backend.get("/login")
async def login_route(code: str, appid: str, secret: str):
    """A backend that exchanges a mini program's code with WeChat through httpx."""
    async with httpx.AsyncClient(base_url=WECHAT) as wechat:
        answer = await wechat.get("/sns/jscode2session", params={"appid": appid, "secret": secret, "js_code": code})
    return {"openid": answer.json().get("openid")}


def test_a_fastapi_backend_under_its_test_client(mockserver_intercept):
    mock = mockserver_intercept
    with TestClient(backend) as client:  # its own transport: not intercepted, still in-process
        answer = client.get("/login", params={"code": mock.login("yuna"), "appid": mock.appid,
                                               "secret": mock.secret}).json()
    assert answer == {"openid": mock.user("yuna")["apps"][mock.appid]["openid"]}
