"""Subscribe messages: one message per one-time consent (43101 without one), long-term consents
until withdrawn, keyword values checked by type (47003 naming the field), pages (41030), the
consent API of the control plane, and the sent messages it lists."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from support import RID, WECHAT_HOST, RedirectAdapter

ORDER = {"priTmplId": "order-shipped", "title": "订单发货提醒", "type": 2,
         "content": "订单号:{{character_string1.DATA}}\n商品名称:{{thing2.DATA}}\n发货时间:{{time3.DATA}}\n"}
BUS = {"priTmplId": "bus-arriving", "title": "乘车提醒", "type": 3,
       "content": "线路名称:{{thing1.DATA}}\n到站时间:{{time2.DATA}}\n"}
VALUES = {"character_string1": {"value": "T2023050112"}, "thing2": {"value": "纯棉T恤"},
          "time3": {"value": "2023年05月01日 12:00"}}


@pytest.fixture
def shop(client):
    """An app with a one-time and a long-term template and two pages, and a logged-in user."""
    app = client.post("/__mock__/apps", json={"name": "shop", "subscribe_templates": [ORDER, BUS, "plain-id"],
                                              "pages": ["pages/index/index", "pages/order/order"]}).get_json()
    return with_user_and_token(client, app)


def with_user_and_token(client, app):
    """The app with yuna's openid in it and an access token."""
    user = client.get("/__mock__/users/yuna").get_json()
    token = client.get("/cgi-bin/token", query_string={"grant_type": "client_credential", "appid": app["appid"],
                                                       "secret": app["secret"]}).get_json()["access_token"]
    return {**app, "openid": user["apps"][app["appid"]]["openid"], "token": token}


@pytest.fixture
def shop_client(live, shop):
    wechatpy = WeChatClient(shop["appid"], shop["secret"])
    wechatpy._http.mount(WECHAT_HOST, RedirectAdapter(live.url))
    return wechatpy


def consent(client, app, templates, accept=None, user="yuna"):
    body = {"appid": app["appid"], "user": user, "template_ids": templates}
    if accept is not None:
        body["accept"] = accept
    return client.post("/__mock__/wechat/subscriptions", json=body)


def send(client, app, **fields):
    body = {"touser": app["openid"], "template_id": ORDER["priTmplId"], "data": VALUES, **fields}
    return client.post(f"/cgi-bin/message/subscribe/send?access_token={app['token']}", json=body).get_json()


def test_one_message_per_one_time_consent(shop_client, client, shop):
    answer = consent(client, shop, [ORDER["priTmplId"]])
    assert answer.status_code == 200
    assert answer.get_json() == {"openid": shop["openid"], "results": {"order-shipped": "accept"},
                                 "kinds": {"order-shipped": "one-time"}}
    sent = shop_client.wxa.send_subscribe_message(shop["openid"], "order-shipped", VALUES, page="pages/order/order")
    assert sent["errcode"] == 0 and sent["errmsg"] == "ok" and sent["msgid"] > 0
    with pytest.raises(WeChatClientException) as info:
        shop_client.wxa.send_subscribe_message(shop["openid"], "order-shipped", VALUES)
    assert info.value.errcode == 43101
    assert re.fullmatch(f"user refuse to accept the msg rid: {RID}", info.value.errmsg)


def test_consents_add_up(client, shop):
    consent(client, shop, ["order-shipped"])
    consent(client, shop, ["order-shipped"])
    assert [send(client, shop)["errcode"] for _ in range(3)] == [0, 0, 43101]


def test_without_consent_43101_and_nothing_sent(client, rt, shop):
    before = rt.wechat.repo.snapshot()
    assert send(client, shop)["errcode"] == 43101
    after = rt.wechat.repo.snapshot()
    assert after["wx.messages"] == before["wx.messages"] and after["wx.subscriptions"] == before["wx.subscriptions"]


def test_a_long_term_consent_lasts_until_withdrawn(client, shop):
    consent(client, shop, ["bus-arriving"])
    data = {"thing1": {"value": "12路"}, "time2": {"value": "08:30"}}
    assert [send(client, shop, template_id="bus-arriving", data=data)["errcode"] for _ in range(3)] == [0, 0, 0]
    withdrawn = consent(client, shop, ["bus-arriving"], accept=False).get_json()
    assert withdrawn["results"] == {"bus-arriving": "reject"}
    assert send(client, shop, template_id="bus-arriving", data=data)["errcode"] == 43101


def test_a_rejection_withdraws_one_time_consents_too(client, shop):
    consent(client, shop, ["order-shipped"])
    consent(client, shop, ["order-shipped"])
    consent(client, shop, ["order-shipped"], accept=False)
    held = client.get("/__mock__/wechat/subscriptions", query_string={"appid": shop["appid"], "user": "yuna"})
    assert held.get_json()["consents"]["order-shipped"]["remaining"] == 0
    assert send(client, shop)["errcode"] == 43101


def test_answers_per_template_and_the_consents_listed(client, shop):
    answer = consent(client, shop, ["order-shipped", "plain-id"], accept={"plain-id": False}).get_json()
    assert answer["results"] == {"order-shipped": "accept", "plain-id": "reject"}
    held = client.get("/__mock__/wechat/subscriptions", query_string={"appid": shop["appid"], "user": "yuna"})
    consents = held.get_json()
    assert consents["openid"] == shop["openid"]
    assert {k: (v["status"], v["kind"], v["remaining"]) for k, v in consents["consents"].items()} == {
        "order-shipped": ("accept", "one-time", 1), "plain-id": ("reject", "one-time", 0)}


def test_a_user_who_rejects_subscribe_messages_says_no_by_default(client, shop):
    client.patch("/__mock__/users/yuna", json={"rejects_subscribe_messages": True})
    assert consent(client, shop, ["order-shipped"]).get_json()["results"] == {"order-shipped": "reject"}
    assert consent(client, shop, ["order-shipped"], accept=True).get_json()["results"] == {"order-shipped": "accept"}
    assert send(client, shop)["errcode"] == 43101  # and WeChat refuses to deliver to them anyway


@pytest.mark.parametrize("templates, accept, error, err_code", [
    ([], None, "TmplIds can't be empty", 10001),
    ("order-shipped", None, "TmplIds can't be empty", 10001),
    ([5], None, "Invalid template id", 10004),
    (["a", "b", "c", "d"], None, "Templates count out of max bounds", 20003),
    (["nope"], None, "No template data return, verify the template id exist", 20001),
    (["order-shipped", "bus-arriving"], None, "Templates type must be same", 20002),
])
def test_consent_request_errors_are_the_mini_programs(client, rt, shop, templates, accept, error, err_code):
    before = rt.wechat.repo.snapshot()
    answer = consent(client, shop, templates, accept)
    assert (answer.status_code, answer.get_json()) == (400, {"error": error, "errCode": err_code})
    assert rt.wechat.repo.snapshot() == before


@pytest.mark.parametrize("body, error", [
    ({"user": "yuna", "template_ids": ["x"]}, "'appid' is required"),
    ({"appid": "wx7bcfa6ed0b1e34bd", "template_ids": ["x"]}, "'user' is required"),
])
def test_consent_needs_an_app_and_a_user(client, body, error):
    answer = client.post("/__mock__/wechat/subscriptions", json=body)
    assert (answer.status_code, answer.get_json()) == (400, {"error": error})


def test_accept_must_be_a_boolean_or_per_template(client, shop):
    answer = consent(client, shop, ["order-shipped"], accept={"other": True})
    assert answer.status_code == 400
    assert answer.get_json()["error"].startswith("'accept' must be true, false or {template id: true/false}")


@pytest.mark.parametrize("key, value, problem", [
    ("thing2", "", "is empty"), ("thing2", "   ", "is empty"), ("thing2", "字" * 21, "invalid"),
    ("character_string1", "中文", "invalid"), ("character_string1", "x" * 33, "invalid"),
    ("time3", "明天", "invalid"), ("time3", "25:61:99:00", "invalid"),
])
def test_values_are_checked_by_keyword_type(client, shop, key, value, problem):
    consent(client, shop, ["order-shipped"])
    answer = send(client, shop, data={**VALUES, key: {"value": value}})
    assert answer["errcode"] == 47003
    assert re.fullmatch(rf"argument invalid! data\.{key}\.value {problem} rid: {RID}", answer["errmsg"]), answer
    assert send(client, shop)["errcode"] == 0  # the consent was not spent


def test_a_missing_keyword_is_empty(client, shop):
    consent(client, shop, ["order-shipped"])
    answer = send(client, shop, data={"thing2": {"value": "T恤"}})
    assert answer["errcode"] == 47003
    assert answer["errmsg"].startswith("argument invalid! data.character_string1.value is empty")


@pytest.mark.parametrize("rule, good, bad", [
    ("number", "12.5", "12a"), ("letter", "abc", "ab1"), ("symbol", "#%", "abc"), ("amount", "¥128.00元", "128.001"),
    ("phone_number", "+86 138-0013-8000", "1380013800x"), ("car_number", "粤B12345", "粤b1234567"),
    ("name", "张三", "张三3"), ("phrase", "已发货", "已经发货了吧"), ("time", "15:01~16:01", "15点"),
    ("date", "2023年05月01日 ~ 2023年05月02日", "05/01"),
])
def test_each_keyword_type(client, shop, rule, good, bad):
    template = {"priTmplId": f"t-{rule}", "content": f"x:{{{{{rule}1.DATA}}}}\n"}
    created = client.post("/__mock__/apps", json={"subscribe_templates": [template]}).get_json()
    app = with_user_and_token(client, created)
    consent(client, app, [f"t-{rule}"])
    assert send(client, app, template_id=f"t-{rule}", data={f"{rule}1": {"value": bad}})["errcode"] == 47003
    assert send(client, app, template_id=f"t-{rule}", data={f"{rule}1": {"value": good}})["errcode"] == 0


def test_a_template_known_by_id_only_takes_any_non_empty_values(client, shop):
    consent(client, shop, ["plain-id"])
    assert send(client, shop, template_id="plain-id", data={"x9": {"value": ""}})["errcode"] == 47003
    assert send(client, shop, template_id="plain-id", data={"x9": {"value": "anything at all, long or short"}})[
        "errcode"] == 0


@pytest.mark.parametrize("fields, errcode", [
    ({"page": "pages/missing/missing"}, 41030), ({"page": ""}, 41030), ({"page": 7}, 41030),
    ({"template_id": "unknown"}, 40037), ({"template_id": ""}, 40037), ({"touser": "o" + "x" * 27}, 40003),
    ({"data": ["x"]}, 47001), ({"miniprogram_state": "beta"}, 47001),
])
def test_send_errors_change_nothing(client, rt, shop, fields, errcode):
    consent(client, shop, ["order-shipped"])
    before = rt.wechat.repo.snapshot()
    assert send(client, shop, **fields)["errcode"] == errcode
    assert rt.wechat.repo.snapshot() == before


def test_a_page_with_a_query_is_one_of_the_apps_pages(client, shop):
    consent(client, shop, ["order-shipped"])
    assert send(client, shop, page="pages/order/order?id=7")["errcode"] == 0


def test_sent_messages_are_listed_in_pages(client, shop):
    for _ in range(3):
        consent(client, shop, ["order-shipped"])
        send(client, shop, lang="en_US")
    listed = client.get("/__mock__/wechat/messages", query_string={"offset": 1, "limit": 1}).get_json()
    assert listed["total"] == 3 and listed["offset"] == 1 and listed["limit"] == 1
    (message,) = listed["messages"]
    assert message["appid"] == shop["appid"] and message["touser"] == shop["openid"]
    assert message["template_id"] == "order-shipped" and message["data"] == VALUES and message["lang"] == "en_US"


def test_racing_sends_spend_one_consent_once(live, client, shop):
    consent(client, shop, ["order-shipped"])
    token = shop["token"]
    body = {"touser": shop["openid"], "template_id": "order-shipped", "data": VALUES}
    start = threading.Barrier(20)

    def race(_):
        with requests.Session() as session:
            start.wait()
            return session.post(f"{live.url}/cgi-bin/message/subscribe/send?access_token={token}", json=body,
                                timeout=30).json()["errcode"]

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = sorted(pool.map(race, range(20)))
    assert codes == [0] + [43101] * 19
    assert client.get("/__mock__/wechat/messages").get_json()["total"] == 1
