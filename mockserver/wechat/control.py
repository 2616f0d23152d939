"""The WeChat part of the control plane (``/__mock__/...``): what the mini program would receive,
the users and apps, the messages sent, the dashboard's mint form, and the ``wx`` shim."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Mapping, Tuple

from flask import Blueprint, Response, request

from ..control.dashboard import DASHBOARD_ROWS
from ..control.parsing import body, page, page_query, required
from ..core.errors import ControlError
from . import views
from .routes import wechat
from .service import WeChatService

blueprint = Blueprint("wechat_control", __name__, url_prefix="/__mock__", template_folder="templates")
WX_SHIM = Path(__file__).resolve().parent.parent / "static" / "wx.js"
WX_SHIM_PATH = "/__mock__/wx.js"


@blueprint.post("/wechat/login")
def login():
    data = body()
    return views.minted_code(wechat().login.mint_login_code(required(data, "appid"), data.get("user")))


@blueprint.post("/wechat/phone-code")
def phone_code():
    data = body()
    return views.phone_code(wechat().login.mint_phone_code(required(data, "appid"), required(data, "user")))


@blueprint.post("/wechat/encrypted-data")
def encrypted_data():
    data = body()
    return views.open_data(wechat().login.open_data(required(data, "appid"), required(data, "user"),
                                                    data.get("kind", "userInfo")))


@blueprint.get("/wechat/messages")
def messages():
    """The subscribe messages sent, in the order sent (``?offset=&limit=``), with their total."""
    query = page_query(request.args)
    total, sent = wechat().messages.sent(query.offset, query.limit)
    return page("messages", total, sent, query)


@blueprint.post("/wechat/subscriptions")
def record_consent():
    """A user's answer to ``wx.requestSubscribeMessage`` (the shim posts here too)."""
    from .subscriptions import RequestRefused  # the consent module is imported on first use

    data = body()
    try:
        in_settings = data.get("in_settings", False)
        if not isinstance(in_settings, bool):
            raise ControlError("'in_settings' must be true or false")
        openid, changes = wechat().answer_subscription(
            required(data, "appid"), required(data, "user"), data.get("template_ids"), data.get("accept"),
            in_settings=in_settings)
    except RequestRefused as exc:
        return {"error": exc.message, "errCode": exc.err_code}, 400
    return views.consent_answer(openid, changes)


@blueprint.get("/wechat/subscriptions")
def consents():
    """What a user allowed an app to send (``?appid=&user=``)."""
    query = request.args.to_dict()
    openid, held = wechat().subscriptions.consents(required(query, "appid"), required(query, "user"))
    return {"openid": openid, "consents": held}


@blueprint.post("/wechat/links/open")
def open_link():
    """A user opens a URL Link, URL Scheme or Short Link: what the mini program starts with."""
    data = body()
    return views.opened_link(wechat().links.open(data.get("url"), data.get("user")))


@blueprint.get("/wechat/links")
def links():
    """The links generated, oldest first (``?offset=&limit=``), with their total."""
    query = page_query(request.args)
    total, generated = wechat().links.generated(query.offset, query.limit)
    return page("links", total, generated, query)


@blueprint.post("/wechat/user-encrypt-key")
def user_encrypt_key():
    """What ``wx.getUserCryptoManager().getLatestUserKey()`` resolves for a user."""
    data = body()
    return views.latest_user_key(*wechat().user_keys.latest(required(data, "appid"), required(data, "user")))


@blueprint.post("/wechat/orders")
def pay_order():
    """A paid order, as WeChat Pay would have made it (payments are not emulated); with
    ``sub_orders``, a combined payment and the ids of its sub-orders."""
    paid = wechat().shipping.pay(body())
    return {**views.order(paid), **({"sub_orders": paid["sub_orders"]} if "sub_orders" in paid else {})}, 201


@blueprint.get("/wechat/orders")
def paid_orders():
    query = page_query(request.args)
    total, orders = wechat().shipping.paid_orders(query.offset, query.limit)
    return page("orders", total, [{**views.order(order), "appid": order["appid"]} for order in orders], query)


@blueprint.post("/wechat/orders/<transaction_id>/confirm")
def confirm_receipt(transaction_id: str):
    """The payer confirms receipt of a shipped order (order_state 3)."""
    return views.order(wechat().shipping.confirm_receipt(transaction_id))


@blueprint.get("/users")
def list_users():
    """A page of the users, in creation order (``?offset=&limit=``), with their total."""
    service, query = wechat(), page_query(request.args)
    total, users = service.directory.users_page(query.offset, query.limit)
    return page("users", total, service.describe_users(users), query)


@blueprint.post("/users")
def create_user():
    service = wechat()
    return service.describe_user(service.directory.create_user(body())), 201


@blueprint.get("/users/<ref>")
def get_user(ref: str):
    service = wechat()
    return service.describe_user(service.user(ref))


@blueprint.patch("/users/<ref>")
def update_user(ref: str):
    service = wechat()
    return service.describe_user(service.directory.update_user(ref, body()))


@blueprint.delete("/users/<ref>")
def delete_user(ref: str):
    return {"deleted": wechat().directory.delete_user(ref)["alias"]}


@blueprint.post("/apps")
def create_app():
    return wechat().create_app(body()), 201


@blueprint.post("/wechat/push")
def user_message():
    """"User ``user`` sends ``message`` to app ``appid``" (or enters its chat: ``event``
    ``user_enter_tempsession``): pushed to the app's backend; opens the customer-service window."""
    data = body()
    return wechat().customer_service.user_acts(required(data, "appid"), required(data, "user"), data.get("message"),
                                               data.get("event"), data.get("session_from"))


@blueprint.get("/wechat/deliveries")
def deliveries():
    """A page of the pushes (oldest first) with their outcome and tries."""
    query = page_query(request.args)
    total, records = wechat().push.listing(query.offset, query.limit)
    return page("deliveries", total, records, query)


@blueprint.get("/wechat/custom-messages")
def custom_messages():
    """A page of the customer-service messages the backends sent (oldest first)."""
    query = page_query(request.args)
    total, records = wechat().customer_service.sent(query.offset, query.limit)
    return page("messages", total, records, query)


@blueprint.get("/wechat/media")
def media():
    """A page of the temporary media uploaded (without their bytes)."""
    query = page_query(request.args)
    total, records = wechat().media.listing(query.offset, query.limit)
    return page("media", total, records, query)


@blueprint.get("/wx.js")
def wx_shim():
    return Response(WX_SHIM.read_bytes(), status=200, content_type="application/javascript; charset=utf-8")


def dashboard(service: WeChatService, args: Mapping[str, str]) -> Tuple[str, Dict[str, Any]]:
    """The WeChat part of the dashboard's template: apps, the live codes and tokens that expire
    soonest, each with its total (the users are a table of ``dashboard.py``)."""
    apps = service.apps()
    code_count, codes = service.login.live_codes(DASHBOARD_ROWS)
    token_count, tokens = service.tokens.live(DASHBOARD_ROWS)
    return "wechat_dashboard.html", {
        "wechat_apps": apps, "codes": codes, "code_count": code_count, "tokens": tokens, "token_count": token_count,
        "summary": [("apps", "Mini programs", len(apps)), ("codes", "Live codes", code_count),
                    ("tokens", "Access tokens", token_count)]}
