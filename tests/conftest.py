"""Shared fixtures: a fresh app per test, a live server, and wechatpy pointed at it.

Tests are organised by layer: ``unit/`` (one module's rules), ``api/<service>/`` (one service's
HTTP API, in-process), ``api/control/`` (the control plane), ``e2e/`` (real SDKs, Node, a
browser, processes), ``perf/`` (load). Helpers: ``support/``.
"""
from __future__ import annotations

import os

# Every memory store the tests make checks the store's contract: each change runs twice and may
# not call the store (mockserver/core/store.py). Set before the package is used.
os.environ["MOCKSERVER_STRICT_STORE"] = "1"

import pytest  # noqa: E402
import requests  # noqa: E402
from mockserver import Config, MockServer, create_app  # noqa: E402
from support import WECHAT_HOST, RedirectAdapter  # noqa: E402
from support.processes import redis_server  # noqa: E402,F401  (a fixture, for every test that asks)


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


@pytest.fixture
def live(app):
    """The test's app served on a free loopback port."""
    with MockServer(app=app, threads=16) as server:
        yield server


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
