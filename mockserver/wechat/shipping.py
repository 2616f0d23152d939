"""Shipping information for paid orders (``/wxa/sec/order/*``): what a shop uploads after it ships,
what WeChat shows the payer, and whether the app's trades are managed at all.

Payments are not emulated: a paid order is made through the control plane (``POST
/__mock__/wechat/orders``), as WeChat Pay would have made it, keyed by its ``transaction_id`` and by
(``mchid``, ``out_trade_no``). Its ``order_state``: 1 awaiting shipping, 2 shipped, 3 receipt
confirmed (``POST /__mock__/wechat/orders/<transaction_id>/confirm``: the payer taps "confirm").

Rules, as WeChat documents them: shipping is uploaded once per order and may be changed once
(10060003 after that) until the payer confirms (10060004); a split delivery (``delivery_mode`` 2,
only by courier: 10060006) says ``is_all_delivered`` (10060007) and adds packages until it is true;
a unified one has exactly one package (268485228), at most 15 in all (10060024); ``item_desc`` is
1-120 characters (10060008, 10060009); a courier package names its ``tracking_no`` and
``express_company`` (268485226, 268485227; 128 bytes at most: 10060026, 10060025); ``upload_time``
is RFC 3339 (268485216); ``payer.openid`` and the order key must name a paid order of this app
(10060001). A combined payment's sub-orders are shipped together
(``upload_combined_shipping_info``): each by the same rules, all or none.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

from ..core.clock import Clock
from ..core.digits import ascii_digits
from ..core.errors import Conflict, ControlError, NotFound
from ..core.ids import RandomSource
from ..core.json_reading import is_integer
from ..core.store import UNCHANGED
from .errors import WeChatError
from .repo import Record, WeChatRepository
from .users import Directory

AWAITING, SHIPPED, CONFIRMED = 1, 2, 3
ORDER_STATES = (1, 2, 3, 4, 5, 6)
LOGISTICS_TYPES = (1, 2, 3, 4)  # courier, same-city, virtual goods, picked up by the user
COURIER, UNIFIED, SPLIT = 1, 1, 2
MAX_PACKAGES, MAX_ITEM_DESC, MAX_FIELD_BYTES = 15, 120, 128
DEFAULT_PAGE, MAX_PAGE = 100, 100
MAX_SUB_ORDERS = 50
RFC_3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
MERCHANT_ID = re.compile(r"^[0-9]{1,32}$")
TRADE_NO = re.compile(r"^[A-Za-z0-9_\-*|]{1,64}$")


def _rfc_3339(value: Any) -> int:
    """An ``upload_time`` as a timestamp (268485216 when it is not RFC 3339)."""
    if not isinstance(value, str) or not RFC_3339.match(value):
        raise WeChatError(268485216)
    text = value.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    try:
        return int(datetime.fromisoformat(text).timestamp())
    except ValueError:
        raise WeChatError(268485216) from None


def _shipment(body: Dict[str, Any], uploaded_at: int) -> Record:
    """One order's shipment as uploaded (mode, packages, whether it finishes the shipping),
    checked in WeChat's order."""
    logistics_type, delivery_mode = body.get("logistics_type"), body.get("delivery_mode")
    if not is_integer(logistics_type) or logistics_type not in LOGISTICS_TYPES:
        raise WeChatError(47001)
    if not is_integer(delivery_mode) or delivery_mode not in (UNIFIED, SPLIT):
        raise WeChatError(268485224)
    all_delivered = body.get("is_all_delivered")
    if delivery_mode == SPLIT:
        if logistics_type != COURIER:
            raise WeChatError(10060006)
        if not isinstance(all_delivered, bool):
            raise WeChatError(10060007)
    packages = _packages(body.get("shipping_list"), logistics_type, delivery_mode)
    return {"delivery_mode": delivery_mode, "logistics_type": logistics_type,
            "packages": [{**package, "upload_time": uploaded_at} for package in packages],
            "finished": delivery_mode == UNIFIED or all_delivered is True}


def _payer(body: Dict[str, Any]) -> str:
    payer = body.get("payer")
    openid = payer.get("openid") if isinstance(payer, dict) else None
    if not isinstance(openid, str):
        raise WeChatError(47001)
    return openid


def _shipped(order: Optional[Record], app: Record, openid: str, shipment: Record) -> Tuple[Any, int]:
    """An order with ``shipment`` applied, or ``UNCHANGED`` and the errcode that refuses it (pure:
    a store change)."""
    if order is None or order["appid"] != app["appid"] or order["openid"] != openid:
        return UNCHANGED, 10060001
    if order["order_state"] not in (AWAITING, SHIPPED):
        return UNCHANGED, 10060004
    current = order["shipping"]
    adding = current is not None and not current["finished"] and current["delivery_mode"] == SPLIT \
        and shipment["delivery_mode"] == SPLIT
    if current is not None and current["finished"] and order["reshipped"]:
        return UNCHANGED, 10060003
    kept = current["packages"] if adding else []
    if len(kept) + len(shipment["packages"]) > MAX_PACKAGES:
        return UNCHANGED, 10060024
    shipping = {**shipment, "packages": kept + shipment["packages"]}
    return {**order, "shipping": shipping, "order_state": SHIPPED if shipment["finished"] else AWAITING,
            "reshipped": order["reshipped"] or (current is not None and current["finished"])}, 0


def _packages(shipping_list: Any, logistics_type: int, delivery_mode: int) -> List[Record]:
    if not isinstance(shipping_list, list) or not shipping_list \
            or not all(isinstance(package, dict) for package in shipping_list):
        raise WeChatError(47001)
    if delivery_mode == UNIFIED and len(shipping_list) != 1:
        raise WeChatError(268485228)
    packages = []
    for package in shipping_list:
        desc = package.get("item_desc")
        if not isinstance(desc, str) or not desc:
            raise WeChatError(10060008)
        if len(desc) > MAX_ITEM_DESC:
            raise WeChatError(10060009)
        tracking_no, company = package.get("tracking_no", ""), package.get("express_company", "")
        if not isinstance(tracking_no, str) or not isinstance(company, str):
            raise WeChatError(47001)
        if logistics_type == COURIER:
            if not tracking_no:
                raise WeChatError(268485226)
            if not company:
                raise WeChatError(268485227)
        if len(tracking_no.encode()) > MAX_FIELD_BYTES:
            raise WeChatError(10060026)
        if len(company.encode()) > MAX_FIELD_BYTES:
            raise WeChatError(10060025)
        packages.append({"tracking_no": tracking_no, "express_company": company, "goods_desc": desc})
    return packages


class Shipping:
    def __init__(self, repo: WeChatRepository, directory: Directory, clock: Clock, random: RandomSource):
        self.repo = repo
        self.directory = directory
        self.clock = clock
        self.random = random

    # --- the API ------------------------------------------------------------------------------
    def upload(self, app: Record, body: Dict[str, Any]) -> None:
        """``upload_shipping_info``: the packages of one order, checked, then applied in one update."""
        transaction_id = self._order_key(app, body.get("order_key"))
        shipment = _shipment(body, _rfc_3339(body.get("upload_time")))
        openid = _payer(body)
        refused = self.repo.update_order(transaction_id, lambda order: _shipped(order, app, openid, shipment))
        if refused:
            raise WeChatError(refused)

    def upload_combined(self, app: Record, body: Dict[str, Any]) -> None:
        """``upload_combined_shipping_info``: the packages of each sub-order of a combined payment,
        all applied in one step or none."""
        combined = self.repo.combined_order(self._order_key(app, body.get("order_key")))
        uploaded_at, openid = _rfc_3339(body.get("upload_time")), _payer(body)
        if combined is None:  # its sub-orders' app and payer are its own: _shipped checks them
            raise WeChatError(10060001)
        subs = body.get("sub_orders")
        if not isinstance(subs, list) or not subs or not all(isinstance(sub, dict) for sub in subs):
            raise WeChatError(47001)
        shipments = [(self._order_key(app, sub.get("order_key")), _shipment(sub, uploaded_at)) for sub in subs]
        ids = [transaction_id for transaction_id, _ in shipments]
        if len(set(ids)) != len(ids) or not set(ids) <= set(combined["sub_orders"]):
            raise WeChatError(10060001)

        def ship_all(orders: List[Optional[Record]]):
            results = [_shipped(order, app, openid, shipment) for order, (_, shipment) in zip(orders, shipments)]
            refused = next((errcode for _, errcode in results if errcode), 0)
            return ([UNCHANGED] * len(results) if refused else [order for order, _ in results]), refused
        refused = self.repo.update_orders(ids, ship_all)
        if refused:
            raise WeChatError(refused)

    def _order_key(self, app: Record, key: Any) -> str:
        """The transaction id an ``order_key`` names (by WeChat Pay's id, or the merchant's)."""
        if not isinstance(key, dict) or key.get("order_number_type") not in (1, 2):
            raise WeChatError(47001)
        if key["order_number_type"] == 2:
            return self._transaction(app, key.get("transaction_id"), None, None)
        return self._transaction(app, None, key.get("mchid"), key.get("out_trade_no"))

    def _transaction(self, app: Record, transaction_id: Any, merchant_id: Any, trade_no: Any) -> str:
        if transaction_id is None:
            if not isinstance(merchant_id, str) or not isinstance(trade_no, str):
                raise WeChatError(47001)
            transaction_id = self.repo.order_by_merchant(merchant_id, trade_no)
        if not isinstance(transaction_id, str) or not transaction_id:
            raise WeChatError(10060001 if transaction_id is None else 47001)
        return transaction_id

    def order(self, app: Record, body: Dict[str, Any]) -> Record:
        """``get_order``: by ``transaction_id``, or ``merchant_id`` + ``merchant_trade_no``."""
        transaction_id = self._transaction(app, body.get("transaction_id"), body.get("merchant_id"),
                                           body.get("merchant_trade_no"))
        order = self.repo.order(transaction_id)
        if order is None or order["appid"] != app["appid"]:
            raise WeChatError(10060001)
        return order

    def orders(self, app: Record, body: Dict[str, Any]) -> Tuple[List[Record], str, bool]:
        """``get_order_list``: this app's orders by pay time, state and payer; a page of
        ``page_size`` after ``last_index``, the index to go on from, and whether there are more."""
        window = body.get("pay_time_range", {})
        state, openid = body.get("order_state"), body.get("openid")
        last_index, size = body.get("last_index", ""), body.get("page_size", DEFAULT_PAGE)
        if not isinstance(window, dict) or not all(is_integer(window.get(k, 0)) for k in ("begin_time", "end_time")) \
                or (state is not None and (not is_integer(state) or state not in ORDER_STATES)) \
                or not isinstance(openid, (str, type(None))) or not isinstance(last_index, str) \
                or not is_integer(size) or not 1 <= size <= MAX_PAGE or (last_index and not ascii_digits(last_index)):
            raise WeChatError(47001)
        begin, end = window.get("begin_time", 0), window.get("end_time", 2 ** 32 - 1)
        start = int(last_index or 0)
        matched = [order for order in self.repo.app_orders(app["appid"])
                   if begin <= order["pay_time"] <= end and state in (None, order["order_state"])
                   and openid in (None, order["openid"])]
        page = matched[start:start + size]
        return page, str(start + len(page)), start + len(page) < len(matched)

    def remind_receipt(self, app: Record, body: Dict[str, Any]) -> None:
        """``notify_confirm_receive``: reminds the payer of a shipped order to confirm receipt."""
        received_time = body.get("received_time")
        if not is_integer(received_time):
            raise WeChatError(47001)
        order = self.order(app, body)
        if order["order_state"] != SHIPPED:
            raise WeChatError(10060004)
        self.repo.update_order(order["transaction_id"], lambda current: (
            UNCHANGED if current is None else {**current, "receipt_reminded_at": self.clock.now_int()}, None))

    def set_jump_path(self, app: Record, path: Any) -> None:
        """``set_msg_jump_path``: the page the payer's shipping messages open."""
        if not isinstance(path, str) or not path:
            raise WeChatError(47001)
        self.repo.put_shipping_settings(app["appid"], {"msg_jump_path": path})

    @staticmethod
    def trade_managed(app: Record, appid: Any) -> Tuple[bool, bool]:
        """``is_trade_managed`` and ``is_trade_management_confirmation_completed``: the app's fields."""
        if appid != app["appid"]:
            raise WeChatError(40013)
        return app.get("trade_managed", True), app.get("trade_management_confirmed", True)

    # --- the control plane: WeChat Pay's part -------------------------------------------------
    def pay(self, fields: Dict[str, Any]) -> Record:
        """A paid order (``POST /__mock__/wechat/orders``): WeChat Pay's ids are made up when not
        given. With ``sub_orders`` (each with the same optional fields), a combined payment: its
        sub-orders are orders of their own, shipped through ``upload_combined_shipping_info``."""
        app, user = self.directory.app_and_user(fields.get("appid"), fields.get("user"))
        subs = fields.get("sub_orders")
        if subs is not None and (not isinstance(subs, list) or not 2 <= len(subs) <= MAX_SUB_ORDERS
                                 or not all(isinstance(sub, dict) for sub in subs)):
            raise ControlError(f"'sub_orders' must be a list of 2 to {MAX_SUB_ORDERS} objects")
        openid, now = self.directory.openid(user, app["appid"]), self.clock.now_int()
        order = {**self._paid(fields), "openid": openid, "trade_create_time": now, "pay_time": now,
                 "appid": app["appid"], "alias": user["alias"]}
        if subs is None:
            orders, combined = [order], None
        else:
            orders = [{**order, **self._paid(sub), "merchant_id": order["merchant_id"]} for sub in subs]
            combined = {**order, "sub_orders": [sub["transaction_id"] for sub in orders]}
        if not self.repo.add_orders(orders, combined):
            raise Conflict("a transaction_id, or an out_trade_no of that merchant, is taken")
        return combined or order

    def _paid(self, fields: Dict[str, Any]) -> Record:
        """One order's WeChat Pay fields, checked (made up where not given)."""
        amount, description = fields.get("paid_amount", 100), fields.get("description", "")
        transaction_id = fields.get("transaction_id") or "42000" + self.random.chars(23, "0123456789")
        merchant_id = fields.get("mchid") or "1" + self.random.chars(9, "0123456789")
        trade_no = fields.get("out_trade_no") or self.random.chars(20, "0123456789abcdefghijklmnopqrstuvwxyz")
        if not is_integer(amount) or amount <= 0:
            raise ControlError("'paid_amount' must be a positive integer (fen)")
        if not isinstance(description, str):
            raise ControlError("'description' must be a string")
        if not (isinstance(transaction_id, str) and ascii_digits(transaction_id) and len(transaction_id) <= 32):
            raise ControlError("'transaction_id' must be digits (at most 32)")
        if not (isinstance(merchant_id, str) and MERCHANT_ID.match(merchant_id)):
            raise ControlError("'mchid' must be digits (at most 32)")
        if not (isinstance(trade_no, str) and TRADE_NO.match(trade_no)):
            raise ControlError("'out_trade_no' must be 1-64 letters, digits or _-*|")
        return {"transaction_id": transaction_id, "merchant_id": merchant_id, "sub_merchant_id": "",
                "merchant_trade_no": trade_no, "description": description, "paid_amount": amount,
                "order_state": AWAITING, "in_complaint": False, "shipping": None, "reshipped": False}

    def confirm_receipt(self, transaction_id: str) -> Record:
        """The payer confirms receipt of a shipped order (``POST .../orders/<id>/confirm``)."""
        def confirm(order: Optional[Record]):
            if order is None:
                return UNCHANGED, "missing"
            if order["order_state"] != SHIPPED:
                return UNCHANGED, "unshipped"
            confirmed = {**order, "order_state": CONFIRMED}
            return confirmed, confirmed
        outcome = self.repo.update_order(transaction_id, confirm)
        if outcome == "missing":
            raise NotFound(f"no order with transaction_id {transaction_id!r}")
        if outcome == "unshipped":
            raise Conflict("only a shipped order (order_state 2) can be confirmed")
        return outcome

    def paid_orders(self, offset: int, limit: int) -> Tuple[int, List[Record]]:
        return self.repo.orders_page(offset, limit)
