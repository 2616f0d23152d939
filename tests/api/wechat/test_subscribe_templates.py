"""Subscribe templates (``wxaapi/newtmpl/*``): the public library, an app's own templates from the
fixture and ``addtemplate``/``deltemplate``, and every errcode they document."""
from __future__ import annotations

import re

import pytest

from support import RID

BASE = "/wxaapi/newtmpl"


@pytest.fixture
def mp(client):
    """A mini program with two templates of its own, and an access token."""
    created = client.post("/__mock__/apps", json={"subscribe_templates": [
        {"priTmplId": "fixture-tmpl", "title": "订单发货提醒", "content": "订单号:{{character_string1.DATA}}\n",
         "example": "订单号:T1\n", "type": 2}, "id-only"]}).get_json()
    token = client.get("/cgi-bin/token", query_string={"grant_type": "client_credential", "appid": created["appid"],
                                                       "secret": created["secret"]}).get_json()["access_token"]
    return {**created, "token": token}


def get(client, mp, name, **query):
    return client.get(f"{BASE}/{name}", query_string={"access_token": mp["token"], **query}).get_json()


def post(client, mp, name, **kwargs):
    return client.post(f"{BASE}/{name}?access_token={mp['token']}", **kwargs).get_json()


def test_categories(client, mp):
    answer = get(client, mp, "getcategory")
    assert answer["errcode"] == 0 and answer["errmsg"] == "ok"
    assert {"id": 616, "name": "公交"} in answer["data"]


def test_public_titles_by_category_in_pages(client, mp):
    answer = get(client, mp, "getpubtemplatetitles", ids="307,616", start=0, limit=2)
    assert answer["errcode"] == 0 and answer["count"] == 3
    assert answer["data"] == [{"tid": 1536, "title": "订单发货提醒", "type": 2, "categoryId": "307"},
                              {"tid": 1822, "title": "付款成功通知", "type": 2, "categoryId": "307"}]
    assert get(client, mp, "getpubtemplatetitles", ids="616", start=0, limit=30)["data"][0]["type"] == 3


@pytest.mark.parametrize("query, errcode, errmsg", [
    ({"start": 0, "limit": 1}, 200018, "missing parameter ids"),
    ({"ids": '"616"', "start": 0, "limit": 1}, 200019, "invalid parameter ids"),
    ({"ids": "999", "start": 0, "limit": 1}, 200019, "invalid parameter ids"),
    ({"ids": "616", "start": -1, "limit": 1}, 200016, "invalid parameter start"),
    ({"ids": "616", "limit": 1}, 200016, "invalid parameter start"),
    ({"ids": "616", "start": 0, "limit": 31}, 200017, "invalid parameter limit"),
    ({"ids": "616", "start": 0, "limit": 0}, 200017, "invalid parameter limit"),
])
def test_public_titles_errors(client, mp, query, errcode, errmsg):
    answer = get(client, mp, "getpubtemplatetitles", **query)
    assert answer["errcode"] == errcode and re.fullmatch(f"{errmsg} rid: {RID}", answer["errmsg"]), answer


def test_public_keywords(client, mp):
    answer = get(client, mp, "getpubtemplatekeywords", tid=1536)
    assert answer["errcode"] == 0 and answer["count"] == 5
    assert answer["data"][0] == {"kid": 1, "name": "订单号", "example": "T20230501123456", "rule": "character_string"}
    assert get(client, mp, "getpubtemplatekeywords", tid=4)["errcode"] == 200014
    assert get(client, mp, "getpubtemplatekeywords")["errcode"] == 200014


def test_the_apps_templates_come_from_the_fixture(client, mp):
    answer = get(client, mp, "gettemplate")
    assert answer["errcode"] == 0
    assert answer["data"] == [
        {"priTmplId": "fixture-tmpl", "title": "订单发货提醒", "content": "订单号:{{character_string1.DATA}}\n",
         "example": "订单号:T1\n", "type": 2},
        {"priTmplId": "id-only", "title": "", "content": "", "example": "", "type": 2}]


def test_add_a_template_then_send_with_it_then_delete_it(client, mp):
    added = post(client, mp, "addtemplate", json={"tid": "1536", "kidList": [2, 1], "sceneDesc": "发货"})
    assert added["errcode"] == 0 and re.fullmatch(r"[A-Za-z0-9_-]{43}", added["priTmplId"])
    template = next(t for t in get(client, mp, "gettemplate")["data"] if t["priTmplId"] == added["priTmplId"])
    assert template == {"priTmplId": added["priTmplId"], "title": "订单发货提醒", "type": 2,
                        "content": "商品名称:{{thing2.DATA}}\n订单号:{{character_string1.DATA}}\n",
                        "example": "商品名称:纯棉T恤\n订单号:T20230501123456\n"}

    openid = client.get("/__mock__/users/yuna").get_json()["apps"][mp["appid"]]["openid"]
    client.post("/__mock__/wechat/subscriptions",
                json={"appid": mp["appid"], "user": "yuna", "template_ids": [added["priTmplId"]]})
    sent = client.post(f"/cgi-bin/message/subscribe/send?access_token={mp['token']}", json={
        "touser": openid, "template_id": added["priTmplId"],
        "data": {"thing2": {"value": "T恤"}, "character_string1": {"value": "T1"}}}).get_json()
    assert sent["errcode"] == 0

    assert post(client, mp, "deltemplate", json={"priTmplId": added["priTmplId"]}) == {"errcode": 0, "errmsg": "ok"}
    assert [t["priTmplId"] for t in get(client, mp, "gettemplate")["data"]] == ["fixture-tmpl", "id-only"]
    assert post(client, mp, "deltemplate", json={"priTmplId": added["priTmplId"]})["errcode"] == 20001


def test_add_template_takes_the_form_wechat_documents(client, mp):
    added = post(client, mp, "addtemplate", data="tid=3321&kidList=1&kidList=4&sceneDesc=%E9%A2%84%E7%BA%A6",
                 content_type="application/x-www-form-urlencoded")
    assert added["errcode"] == 0
    assert post(client, mp, "deltemplate", data={"priTmplId": added["priTmplId"]})["errcode"] == 0


@pytest.mark.parametrize("body, errcode, errmsg", [
    ({"kidList": [1, 2]}, 200014, "tid does not exist"),
    ({"tid": "77", "kidList": [1, 2]}, 200014, "tid does not exist"),
    ({"tid": 1536, "kidList": [1]}, 200020, "invalid keywords"),
    ({"tid": 1536, "kidList": [1, 2, 3, 4, 5, 6]}, 200020, "invalid keywords"),
    ({"tid": 1536, "kidList": [1, 1]}, 200020, "invalid keywords"),
    ({"tid": 1536, "kidList": [1, 9]}, 200020, "invalid keywords"),
    ({"tid": 1536, "kidList": "1,2"}, 200020, "invalid keywords"),
    ({"tid": 1536, "kidList": [1, True]}, 200020, "invalid keywords"),
    ({"tid": 1536, "kidList": [1, 2], "sceneDesc": "长" * 16}, 200021, "invalid parameter sceneDesc"),
    ({"tid": 1536, "kidList": [1, 2], "sceneDesc": 5}, 200021, "invalid parameter sceneDesc"),
])
def test_add_template_errors_change_nothing(client, rt, mp, body, errcode, errmsg):
    before = rt.wechat.repo.snapshot()
    answer = post(client, mp, "addtemplate", json=body)
    assert answer["errcode"] == errcode and re.fullmatch(f"{errmsg} rid: {RID}", answer["errmsg"]), answer
    assert rt.wechat.repo.snapshot() == before


def test_an_app_holds_at_most_25_templates(client, mp):
    for _ in range(23):  # two come from the fixture
        assert post(client, mp, "addtemplate", json={"tid": 1822, "kidList": [1, 2]})["errcode"] == 0
    assert post(client, mp, "addtemplate", json={"tid": 1822, "kidList": [1, 2]})["errcode"] == 200012
    assert len(get(client, mp, "gettemplate")["data"]) == 25


@pytest.mark.parametrize("body", [{}, {"priTmplId": 5}, {"priTmplId": "nope"}])
def test_delete_template_errors(client, mp, body):
    assert post(client, mp, "deltemplate", json=body)["errcode"] == 20001


def test_templates_need_a_token_and_their_method(client):
    assert client.get(f"{BASE}/gettemplate").get_json()["errcode"] == 41001
    assert client.post(f"{BASE}/gettemplate").get_json()["errcode"] == 43001
    assert client.get(f"{BASE}/addtemplate").get_json()["errcode"] == 43002


@pytest.mark.parametrize("templates, error", [
    ([{"title": "x"}], "app.subscribe_templates[0]: a template must be an id or an object with a priTmplId"),
    ([{"priTmplId": "a", "type": 5}], "app.subscribe_templates[0]: a template's type must be 2 (one-time) or 3 "
                                      "(long-term)"),
    ([{"priTmplId": "a", "colour": 5}], "app.subscribe_templates[0]: unknown template fields ['colour']"),
    (["a", {"priTmplId": "a"}], "app: subscribe_templates must not repeat a template id"),
    ("a", "app: subscribe_templates must be a list"),
])
def test_fixture_templates_are_checked(client, templates, error):
    answer = client.post("/__mock__/apps", json={"subscribe_templates": templates})
    assert (answer.status_code, answer.get_json()) == (400, {"error": error})
