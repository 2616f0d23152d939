"""Digits that ``str.isdigit`` accepts and ``int()`` refuses (``²``, ``٣``): each place that reads a
number from text answers its own error for them, never a 500 or WeChat's ``-1 system error``."""
from __future__ import annotations

import copy
import json

import pytest
from support import DATA, access_token

from mockserver.core.digits import ascii_digits

ODD_DIGITS = ["²", "٣", "1²"]


@pytest.mark.parametrize("text, expected", [("0", True), ("123", True), ("", False), ("²", False), ("٣", False),
                                            ("1a", False), (12, False), (None, False)])
def test_ascii_digits(text, expected):
    assert ascii_digits(text) is expected


@pytest.mark.parametrize("odd", ODD_DIGITS)
def test_subscribe_template_numbers(client, wx_app, odd):
    token = access_token(client, wx_app)
    titles = "/wxaapi/newtmpl/getpubtemplatetitles"
    assert client.get(titles, query_string={"access_token": token, "ids": "616", "start": odd, "limit": "1"}
                      ).get_json()["errcode"] == 200016
    assert client.get(titles, query_string={"access_token": token, "ids": "616", "start": "0", "limit": odd}
                      ).get_json()["errcode"] == 200017
    assert client.get("/wxaapi/newtmpl/getpubtemplatekeywords", query_string={"access_token": token, "tid": odd}
                      ).get_json()["errcode"] == 200014
    assert client.post(f"/wxaapi/newtmpl/addtemplate?access_token={token}", json={"tid": odd, "kidList": [1, 2]}
                       ).get_json()["errcode"] == 200014


@pytest.mark.parametrize("odd", ODD_DIGITS)
def test_order_list_index(client, wx_app, odd):
    token = access_token(client, wx_app)
    answer = client.post(f"/wxa/sec/order/get_order_list?access_token={token}", json={"last_index": odd}).get_json()
    assert answer["errcode"] == 47001


def test_a_fixture_password_hash_with_odd_rounds_is_refused(client):
    fixture = json.loads((DATA / "signin_users.json").read_text(encoding="utf-8"))
    changed = copy.deepcopy(fixture)
    changed["authing"]["user_pools"][0]["users"][1]["password_hash"] = "pbkdf2_sha256$²$0123456789abcdef$eHl6"
    answer = client.put("/__mock__/state", json=changed)
    assert answer.status_code == 400 and "password_hash" in answer.get_json()["error"], answer.get_json()


def test_the_hosted_login_refuses_a_non_ascii_form_token_as_it_refuses_a_wrong_one(client):
    client.set_cookie("authing_mock_csrf", "abc", path="/oidc/auth")
    apps = client.get("/__mock__/apps").get_json()["authing"]["apps"]
    request = {"client_id": apps[0]["appId"], "redirect_uri": "http://localhost/cb", "response_type": "code",
               "scope": "openid", "state": "s"}
    for token in ("é", "abd"):
        answer = client.post("/oidc/auth", data={**request, "mock_action": "password", "csrf_token": token,
                                                 "username": "x", "password": "y"})
        assert answer.status_code == 400 and "页面已失效" in answer.get_data(as_text=True), answer.get_data()[:300]


def test_a_line_color_of_odd_digits_is_a_type_error(client, wx_app):
    token = access_token(client, wx_app)
    answer = client.post(f"/wxa/getwxacodeunlimit?access_token={token}",
                         json={"scene": "a=1", "line_color": {"r": "²", "g": "0", "b": "0"}})
    assert answer.get_json()["errcode"] == 47001

