"""The WeChat part of the control plane (``/__mock__/...``): what the mini program would receive,
the users and apps, the messages sent, the dashboard's mint form, and the ``wx`` shim."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Mapping, Tuple

from flask import Blueprint, Response, request

from ..control.dashboard import DASHBOARD_ROWS
from ..control.parsing import body, page, page_query, required
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
    return {"messages": wechat().messages.sent()}


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
    return wechat().directory.create_app(body()), 201


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
