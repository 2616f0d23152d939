"""Shared fixtures: a fresh app per test, a live server, and wechatpy pointed at it."""
from __future__ import annotations

import threading

import pytest
import requests
from requests.adapters import HTTPAdapter
from waitress.server import create_server

from mockserver import Config, create_app

WECHAT_HOST = "https://api.weixin.qq.com"


@pytest.fixture
def app():
    return create_app(Config())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def rt(app):
    """The app's Runtime: store, clock, random source and services."""
    return app.extensions["mockserver"]


@pytest.fixture
def wx_app(rt):
    """The default fixture's mini-program app (appid, secret, ...)."""
    return rt.wechat.apps()[0]


@pytest.fixture
def alias(rt):
    return rt.wechat.users()[0]["alias"]


def mint(client, appid, user=None):
    body = {"appid": appid}
    if user:
        body["user"] = user
    response = client.post("/__mock__/wechat/login", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


class LiveServer:
    """An app served by waitress on a free loopback port, in a background thread."""

    def __init__(self, app):
        self.app = app
        self.server = create_server(app, host="127.0.0.1", port=0, threads=16)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def close(self):
        self.server.close()


@pytest.fixture
def live(app):
    server = LiveServer(app)
    yield server
    server.close()


class RedirectAdapter(HTTPAdapter):
    """Sends requests for the real WeChat host to the mock instead (wechatpy stays unmodified)."""

    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url

    def send(self, request, **kwargs):
        request.url = self.base_url + request.url[len(WECHAT_HOST):]
        return super().send(request, **kwargs)


@pytest.fixture
def wechatpy_client(live, wx_app):
    from wechatpy import WeChatClient

    client = WeChatClient(wx_app["appid"], wx_app["secret"])
    client._http.mount(WECHAT_HOST, RedirectAdapter(live.url))
    return client


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session
