"""Ids a client sends (bodies, queries, headers, variables) may be any JSON value: only a string can
name a user, an app or a pool; anything else is refused in the route's own error format, never a 500."""
from __future__ import annotations

import pytest

from support import mint

NOT_STRINGS = [["x"], {"a": 1}, 7, True]


@pytest.mark.parametrize("value", NOT_STRINGS)
def test_v3_signin_client_id_that_is_not_a_string(client, rt, value):
    answer = client.post("/api/v3/signin-by-mobile", json={
        "client_id": value, "extIdpConnidentifier": "wechat-miniprogram", "connection": "wechat_mini_program_code",
        "wechatMiniProgramCodePayload": {"code": "x"}})
    assert answer.status_code == 200, answer.data[:300]
    assert answer.get_json()["statusCode"] == 400 and answer.get_json()["apiCode"] == 400


def test_v3_signin_by_client_id_keeps_the_callers_address(client, rt, wx_app, alias):
    """With no app header, the body's client_id names the app; the tokens' issuer is still this server."""
    app = rt.authing.apps()[0]
    code = mint(client, wx_app["appid"], alias)["code"]
    answer = client.post("/api/v3/signin-by-mobile", base_url="http://mock.test:8088", json={
        "client_id": app["id"], "client_secret": app["secret"], "extIdpConnidentifier": "wechat-miniprogram",
        "connection": "wechat_mini_program_code", "wechatMiniProgramCodePayload": {"code": code}}).get_json()
    assert answer["statusCode"] == 200, answer
    claims = rt.authing.tokens.codec.verify(answer["data"]["id_token"]).claims
    assert claims["iss"] == "http://mock.test:8088/oidc"
    assert rt.authing.users()[0]["lastIP"] is not None


@pytest.mark.parametrize("field", ["userId", "appId"])
@pytest.mark.parametrize("value", NOT_STRINGS)
def test_control_plane_token_ids_that_are_not_strings(client, rt, wx_app, alias, field, value):
    app = rt.authing.apps()[0]
    code = mint(client, wx_app["appid"], alias)["code"]
    user = client.post("/connections/social/wechat-miniprogram/auth", json={"code": code},
                       headers={"x-authing-app-id": app["id"]}).get_json()["data"]
    body = {"userId": user["id"], "appId": app["id"], field: value}
    answer = client.post("/__mock__/authing/tokens", json=body)
    assert 400 <= answer.status_code < 500 and "error" in answer.get_json(), answer.data[:300]
