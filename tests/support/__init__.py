"""One set of helpers for every test: where things are, and one helper per repeated step.

Tests reach the mock's state through the control plane (``/__mock__/``) or the package's public
helpers, never through the store.
"""
from __future__ import annotations

import contextlib
import http.server
import re
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

from requests.adapters import HTTPAdapter

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
DATA = TESTS / "data"
JS_DIR = TESTS / "js"
WECHAT_HOST = "https://api.weixin.qq.com"
AUTHING_AUTH = "/connections/social/wechat-miniprogram/auth"
RID = "[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}"


def rid_ending(path: str) -> "re.Pattern[str]":
    """How a WeChat errmsg on ``path`` ends: ``, rid: …`` on ``/sns/``, `` rid: …`` elsewhere."""
    return re.compile((", rid: " if path.startswith("/sns/") else "(?<!,) rid: ") + RID + "$")


def access_token(client, app: Dict[str, Any]) -> str:
    """A new ``/cgi-bin/token`` access token of a WeChat ``app`` (one lives 2 hours of the mock clock)."""
    return client.get("/cgi-bin/token", query_string={
        "grant_type": "client_credential", "appid": app["appid"], "secret": app["secret"]}).get_json()["access_token"]


def mint(client, appid: str, user: Optional[str] = None) -> Dict[str, Any]:
    """What ``wx.login()`` resolves for ``user`` (a new user when None): ``code``, ``openid``."""
    body = {"appid": appid}
    if user:
        body["user"] = user
    response = client.post("/__mock__/wechat/login", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def wechat_session(client, app: Dict[str, Any], user: str) -> Dict[str, Any]:
    """``user`` logs in to mini program ``app``: the answer of ``/sns/jscode2session``."""
    return client.get("/sns/jscode2session", query_string={
        "appid": app["appid"], "secret": app["secret"], "js_code": mint(client, app["appid"], user)["code"],
        "grant_type": "authorization_code"}).get_json()


def authing_login(client, user: str, app_id: str, appid: str) -> Dict[str, Any]:
    """``user`` logs in to Authing app ``app_id`` through mini program ``appid`` (authing-wxapp-sdk's
    ``loginByCode``): the v2 user, with its ``token``."""
    answer = client.post(AUTHING_AUTH, json={"code": mint(client, appid, user)["code"]},
                         headers={"x-authing-app-id": app_id}).get_json()
    assert answer["code"] == 200, answer
    return answer["data"]


def graphql(client, app_id: str, token: Optional[str], query: str, variables: Optional[Dict[str, Any]] = None):
    """One GraphQL call to ``/graphql/v2`` as app ``app_id`` with a user's token: the answer."""
    headers = {"x-authing-app-id": app_id}
    if token:
        headers["Authorization"] = "Bearer " + token
    return client.post("/graphql/v2", headers=headers, json={"query": query, "variables": variables or {}}).get_json()


class RedirectAdapter(HTTPAdapter):
    """Sends requests for the real WeChat host to the mock instead (wechatpy stays unmodified)."""

    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url

    def send(self, request, **kwargs):
        request.url = self.base_url + request.url[len(WECHAT_HOST):]
        return super().send(request, **kwargs)


@contextlib.contextmanager
def network_server(text: bytes = b"from the network") -> Iterator[str]:
    """A plain HTTP server on loopback answering every GET with ``text``: what a ``passthrough``
    request reaches instead of the mock. Yields its base URL."""
    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()

