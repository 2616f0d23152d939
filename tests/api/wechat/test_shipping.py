"""Shipping information of paid orders (``/wxa/sec/order/*``): an order paid through the control
plane, shipped, changed once, confirmed by the payer, listed; and every documented refusal."""
from __future__ import annotations

import pytest

from mockserver import Config, create_app


@pytest.fixture
def app():
    return create_app(Config(clock_frozen=True))


@pytest.fixture
def call(client, token):
    def post(name, body):
        return client.post(f"/wxa/sec/order/{name}?access_token={token}", json=body).get_json()
    return post


@pytest.fixture
def order(client, wx_app, alias):
    made = client.post("/__mock__/wechat/orders", json={"appid": wx_app["appid"], "user": alias, "paid_amount": 990,
                                                        "description": "一盒茶叶", "mchid": "1230000109",
                                                        "out_trade_no": "T20261201001"})
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def shipment(order, **changes):
    body = {"order_key": {"order_number_type": 2, "transaction_id": order["transaction_id"]},
            "logistics_type": 1, "delivery_mode": 1,
            "shipping_list": [{"tracking_no": "SF1234567890", "express_company": "SF", "item_desc": "茶叶*1",
                               "contact": {"receiver_contact": "138****0000"}}],
            "upload_time": "2026-12-01T10:00:00+08:00", "payer": {"openid": order["openid"]}}
    body.update(changes)
    return body


def test_a_paid_order_is_shipped_and_confirmed(client, rt, call, order, wx_app, alias):
    assert (order["order_state"], order["paid_amount"], len(order["transaction_id"])) == (1, 990, 28)
    assert "shipping" not in call("get_order", {"transaction_id": order["transaction_id"]})["order"]
    assert call("upload_shipping_info", shipment(order)) == {"errcode": 0, "errmsg": "ok"}
    got = call("get_order", {"merchant_id": "1230000109", "merchant_trade_no": "T20261201001"})
    assert got["errcode"] == 0
    shipped = got["order"]
    assert (shipped["order_state"], shipped["openid"], shipped["merchant_trade_no"]) == (2, order["openid"], "T20261201001")
    assert shipped["shipping"] == {"delivery_mode": 1, "logistics_type": 1, "finish_shipping": True, "goods_desc": "茶叶*1",
                                   "finish_shipping_count": 1, "shipping_list": [{
                                       "tracking_no": "SF1234567890", "express_company": "SF", "goods_desc": "茶叶*1",
                                       "upload_time": 1796090400}]}
    assert call("notify_confirm_receive", {"transaction_id": order["transaction_id"],
                                           "received_time": rt.clock.now_int()}) == {"errcode": 0, "errmsg": "ok"}
    confirmed = client.post(f"/__mock__/wechat/orders/{order['transaction_id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.get_json()["order_state"] == 3
    assert call("upload_shipping_info", shipment(order))["errcode"] == 10060004  # after the payer confirmed
    assert client.post(f"/__mock__/wechat/orders/{order['transaction_id']}/confirm").status_code == 409


def test_shipping_may_be_changed_once(call, order):
    assert call("upload_shipping_info", shipment(order))["errcode"] == 0
    changed = shipment(order, shipping_list=[{"tracking_no": "YT1", "express_company": "YTO", "item_desc": "茶叶*1"}])
    assert call("upload_shipping_info", changed)["errcode"] == 0
    assert call("get_order", {"transaction_id": order["transaction_id"]})["order"]["shipping"]["shipping_list"][0][
        "tracking_no"] == "YT1"
    refused = call("upload_shipping_info", changed)
    assert refused["errcode"] == 10060003 and refused["errmsg"].startswith("支付单已使用重新发货机会")


def test_a_split_delivery_adds_packages_until_all_are_delivered(call, order):
    package = {"tracking_no": "ZTO1", "express_company": "ZTO", "item_desc": "茶叶*1"}
    first = shipment(order, delivery_mode=2, is_all_delivered=False, shipping_list=[package])
    assert call("upload_shipping_info", first)["errcode"] == 0
    partial = call("get_order", {"transaction_id": order["transaction_id"]})["order"]
    assert partial["order_state"] == 1 and partial["shipping"]["finish_shipping"] is False
    assert partial["shipping"]["finish_shipping_count"] == 0
    last = shipment(order, delivery_mode=2, is_all_delivered=True, shipping_list=[{**package, "tracking_no": "ZTO2"}])
    assert call("upload_shipping_info", last)["errcode"] == 0
    done = call("get_order", {"transaction_id": order["transaction_id"]})["order"]
    assert done["order_state"] == 2 and [p["tracking_no"] for p in done["shipping"]["shipping_list"]] == ["ZTO1", "ZTO2"]
    assert done["shipping"]["finish_shipping_count"] == 2


@pytest.mark.parametrize("changes, errcode", [
    ({"order_key": {"order_number_type": 2, "transaction_id": "4200000000000000000000000000"}}, 10060001),
    ({"order_key": {"order_number_type": 1, "mchid": "1230000109", "out_trade_no": "nope"}}, 10060001),
    ({"order_key": {"order_number_type": 3}}, 47001),
    ({"order_key": {"order_number_type": 3, "mchid": "1230000109", "out_trade_no": "T20261201001"}}, 47001),
    ({"payer": {"openid": "o" + "x" * 27}}, 10060001),
    ({"payer": "me"}, 47001),
    ({"logistics_type": 0}, 47001),
    ({"delivery_mode": "UNIFIED_DELIVERY"}, 268485224),
    ({"delivery_mode": 2, "logistics_type": 3, "is_all_delivered": True}, 10060006),
    ({"delivery_mode": 2}, 10060007),
    ({"shipping_list": []}, 47001),
    ({"shipping_list": [{"item_desc": "a", "tracking_no": "1", "express_company": "SF"}] * 2}, 268485228),
    ({"delivery_mode": 2, "is_all_delivered": True,
      "shipping_list": [{"item_desc": "a", "tracking_no": "1", "express_company": "SF"}] * 16}, 10060024),
    ({"shipping_list": [{"tracking_no": "1", "express_company": "SF"}]}, 10060008),
    ({"shipping_list": [{"item_desc": "x" * 121, "tracking_no": "1", "express_company": "SF"}]}, 10060009),
    ({"shipping_list": [{"item_desc": "a", "express_company": "SF"}]}, 268485226),
    ({"shipping_list": [{"item_desc": "a", "tracking_no": "1"}]}, 268485227),
    ({"shipping_list": [{"item_desc": "a", "tracking_no": "1" * 129, "express_company": "SF"}]}, 10060026),
    ({"shipping_list": [{"item_desc": "a", "tracking_no": "1", "express_company": "S" * 129}]}, 10060025),
    ({"upload_time": "2026-12-01 10:00:00"}, 268485216),
    ({"upload_time": "2026-13-45T10:00:00+08:00"}, 268485216),
])
def test_upload_refusals_change_nothing(call, rt, order, changes, errcode):
    before = rt.wechat.repo.snapshot()
    assert call("upload_shipping_info", shipment(order, **changes))["errcode"] == errcode
    assert rt.wechat.repo.snapshot() == before


def test_virtual_goods_need_no_courier(call, order):
    virtual = shipment(order, logistics_type=3, shipping_list=[{"item_desc": "会员月卡"}])
    assert call("upload_shipping_info", virtual)["errcode"] == 0


def test_another_app_s_order_does_not_exist_for_it(client, call, order, alias):
    other = client.post("/__mock__/apps", json={"name": "另一个"}).get_json()
    token = client.get("/cgi-bin/token", query_string={"grant_type": "client_credential", "appid": other["appid"],
                                                        "secret": other["secret"]}).get_json()["access_token"]
    answer = client.post(f"/wxa/sec/order/get_order?access_token={token}",
                         json={"transaction_id": order["transaction_id"]}).get_json()
    assert answer["errcode"] == 10060001


def test_the_order_list_pages_and_filters(client, rt, call, wx_app, alias):
    made = [client.post("/__mock__/wechat/orders", json={"appid": wx_app["appid"], "user": alias}).get_json()
            for _ in range(3)]
    call("upload_shipping_info", shipment(made[1]))
    first = call("get_order_list", {"page_size": 2})
    assert (first["errcode"], first["has_more"], first["last_index"]) == (0, True, "2")
    assert [o["transaction_id"] for o in first["order_list"]] == [o["transaction_id"] for o in made[:2]]
    rest = call("get_order_list", {"page_size": 2, "last_index": first["last_index"]})
    assert rest["has_more"] is False and [o["transaction_id"] for o in rest["order_list"]] == [made[2]["transaction_id"]]
    shipped = call("get_order_list", {"order_state": 2})["order_list"]
    assert [o["transaction_id"] for o in shipped] == [made[1]["transaction_id"]]
    now = rt.clock.now_int()
    assert call("get_order_list", {"pay_time_range": {"begin_time": now + 1}})["order_list"] == []
    assert len(call("get_order_list", {"openid": made[0]["openid"]})["order_list"]) == 3
    for bad in ({"page_size": 0}, {"page_size": 101}, {"order_state": 9}, {"last_index": "x"},
                {"pay_time_range": {"begin_time": "0"}}, {"openid": 5}):
        assert call("get_order_list", bad)["errcode"] == 47001, bad


def test_get_order_and_reminder_errors(call, rt, order):
    assert call("get_order", {"transaction_id": "4200000000000000000000000001"})["errcode"] == 10060001
    assert call("get_order", {})["errcode"] == 47001
    assert call("get_order", {"transaction_id": 42})["errcode"] == 47001
    reminder = {"transaction_id": order["transaction_id"], "received_time": rt.clock.now_int()}
    assert call("notify_confirm_receive", reminder)["errcode"] == 10060004  # not shipped yet
    assert call("notify_confirm_receive", {**reminder, "received_time": "today"})["errcode"] == 47001


def test_trade_management_and_jump_path(client, call, wx_app):
    assert call("is_trade_managed", {"appid": wx_app["appid"]}) == {"errcode": 0, "errmsg": "ok", "is_trade_managed": True}
    assert call("is_trade_management_confirmation_completed", {"appid": wx_app["appid"]}) == {
        "errcode": 0, "errmsg": "ok", "completed": True}
    assert call("is_trade_managed", {"appid": "wx" + "1" * 16})["errcode"] == 40013
    other = client.post("/__mock__/apps", json={"trade_managed": False, "trade_management_confirmed": False}).get_json()
    token = client.get("/cgi-bin/token", query_string={"grant_type": "client_credential", "appid": other["appid"],
                                                        "secret": other["secret"]}).get_json()["access_token"]
    managed = client.post(f"/wxa/sec/order/is_trade_managed?access_token={token}", json={"appid": other["appid"]})
    assert managed.get_json()["is_trade_managed"] is False
    assert client.post("/__mock__/apps", json={"trade_managed": "yes"}).status_code == 400
    assert call("set_msg_jump_path", {"path": "pages/orders/detail"}) == {"errcode": 0, "errmsg": "ok"}
    assert call("set_msg_jump_path", {})["errcode"] == 47001


def test_paying_through_the_control_plane(client, wx_app, alias, order):
    again = client.post("/__mock__/wechat/orders", json={"appid": wx_app["appid"], "user": alias,
                                                         "transaction_id": order["transaction_id"]})
    assert again.status_code == 409
    same_trade_no = client.post("/__mock__/wechat/orders", json={"appid": wx_app["appid"], "user": alias,
                                                                 "mchid": "1230000109", "out_trade_no": "T20261201001"})
    assert same_trade_no.status_code == 409
    for bad in ({"paid_amount": 0}, {"transaction_id": "abc"}, {"out_trade_no": "有"}, {"description": 1}):
        assert client.post("/__mock__/wechat/orders", json={"appid": wx_app["appid"], "user": alias, **bad}).status_code == 400
    assert client.post("/__mock__/wechat/orders", json={"appid": wx_app["appid"], "user": "ghost"}).status_code == 404
    listed = client.get("/__mock__/wechat/orders").get_json()
    assert listed["total"] == 1 and listed["orders"][0]["appid"] == wx_app["appid"]
    assert client.post("/__mock__/wechat/orders/4200000000000000000000000000/confirm").status_code == 404


@pytest.fixture
def combined(client, wx_app, alias):
    made = client.post("/__mock__/wechat/orders", json={
        "appid": wx_app["appid"], "user": alias, "mchid": "1230000109", "out_trade_no": "C1",
        "sub_orders": [{"out_trade_no": "C1-a", "paid_amount": 100}, {"out_trade_no": "C1-b", "paid_amount": 200}]})
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def combined_upload(combined, subs=None, **changes):
    body = {"order_key": {"order_number_type": 1, "mchid": "1230000109", "out_trade_no": "C1"},
            "sub_orders": subs if subs is not None else [
                {"order_key": {"order_number_type": 2, "transaction_id": tid}, "logistics_type": 3,
                 "delivery_mode": 1, "shipping_list": [{"item_desc": f"卡券 {n}"}]}
                for n, tid in enumerate(combined["sub_orders"])],
            "upload_time": "2026-12-01T10:00:00.120+08:00", "payer": {"openid": combined["openid"]}}
    body.update(changes)
    return body


def test_a_combined_payment_ships_its_sub_orders_together(client, call, combined):
    assert len(combined["sub_orders"]) == 2
    assert call("upload_combined_shipping_info", combined_upload(combined)) == {"errcode": 0, "errmsg": "ok"}
    for n, tid in enumerate(combined["sub_orders"]):
        order = call("get_order", {"transaction_id": tid})["order"]
        assert order["order_state"] == 2 and order["shipping"]["goods_desc"] == f"卡券 {n}"
    by_merchant = call("get_order", {"merchant_id": "1230000109", "merchant_trade_no": "C1-b"})["order"]
    assert by_merchant["paid_amount"] == 200
    # the combined payment itself is no order of its own
    assert call("get_order", {"merchant_id": "1230000109", "merchant_trade_no": "C1"})["errcode"] == 10060001


def test_combined_refusals_ship_nothing(call, rt, combined, order):
    first, second = combined["sub_orders"]
    good = {"order_key": {"order_number_type": 2, "transaction_id": first}, "logistics_type": 3,
            "delivery_mode": 1, "shipping_list": [{"item_desc": "卡券"}]}
    cases = [
        (combined_upload(combined, [good, {**good, "order_key": {"order_number_type": 2, "transaction_id": second},
                                           "shipping_list": [{"item_desc": ""}]}]), 10060008),
        (combined_upload(combined, [good, {**good, "order_key": {"order_number_type": 2,
                                                                  "transaction_id": order["transaction_id"]}}]),
         10060001),  # not one of its sub-orders
        (combined_upload(combined, [good, good]), 10060001),
        (combined_upload(combined, []), 47001),
        (combined_upload(combined, "all"), 47001),
        (combined_upload(combined, order_key={"order_number_type": 2, "transaction_id": order["transaction_id"]}),
         10060001),  # an ordinary order is no combined payment
        (combined_upload(combined, payer={"openid": "o" + "y" * 27}), 10060001),
        (combined_upload(combined, upload_time="yesterday"), 268485216),
    ]
    before = rt.wechat.repo.snapshot()
    for body, errcode in cases:
        assert call("upload_combined_shipping_info", body)["errcode"] == errcode, body
    assert rt.wechat.repo.snapshot() == before


def test_combined_payments_through_the_control_plane(client, wx_app, alias, combined):
    taken = client.post("/__mock__/wechat/orders", json={"appid": wx_app["appid"], "user": alias, "mchid": "1230000109",
                                                         "sub_orders": [{"out_trade_no": "C1-a"}, {}]})
    assert taken.status_code == 409
    for subs in ([{}], "two", [{}, 3]):
        refused = client.post("/__mock__/wechat/orders", json={"appid": wx_app["appid"], "user": alias, "sub_orders": subs})
        assert refused.status_code == 400, subs
    same = client.post("/__mock__/wechat/orders", json={"appid": wx_app["appid"], "user": alias,
                                                        "sub_orders": [{"out_trade_no": "X"}, {"out_trade_no": "X"}]})
    assert same.status_code == 409
    assert client.get("/__mock__/wechat/orders").get_json()["total"] == 2  # the sub-orders


def test_one_refused_sub_order_ships_none(client, call, rt, combined):
    first, second = combined["sub_orders"]
    alone = shipment({"transaction_id": second, "openid": combined["openid"]}, logistics_type=3,
                     shipping_list=[{"item_desc": "卡券"}])
    assert call("upload_shipping_info", alone)["errcode"] == 0
    client.post(f"/__mock__/wechat/orders/{second}/confirm")
    before = rt.wechat.repo.snapshot()
    assert call("upload_combined_shipping_info", combined_upload(combined))["errcode"] == 10060004
    assert rt.wechat.repo.snapshot() == before
    assert call("get_order", {"transaction_id": first})["order"]["order_state"] == 1
