"""The WeChat mini-program connection's routes (authing-wxapp-sdk): v2 answers."""
from __future__ import annotations

from flask import Blueprint

from .. import views
from . import RouteTable, authing, caller, json_object, register


def wechat_miniprogram_auth():
    body = json_object()
    raw = body.get("rawData")  # wx.getUserInfo()'s rawData: a JSON string, or already an object
    raw_data = json_object(raw, "rawData") if isinstance(raw, str) and raw else raw if isinstance(raw, dict) else None
    logged_in = authing().wechat_miniprogram.login_by_code(caller(), body.get("code"), body.get("iv"),
                                                           body.get("encryptedData"), raw_data)
    return views.v2(views.presented(logged_in), "登录成功")


def wechat_miniprogram_auth_by_phone():
    body = json_object()
    logged_in = authing().wechat_miniprogram.login_by_phone(caller(), body.get("code"), body.get("iv"),
                                                            body.get("encryptedData"))
    return views.v2(views.presented(logged_in), "登录成功")


def wechat_miniprogram_getphone():
    body = json_object()
    phone = authing().wechat_miniprogram.phone(caller(), body.get("code"), body.get("iv"), body.get("encryptedData"))
    return views.v2(views.miniprogram_phone(phone), "获取成功")


ROUTES: RouteTable = {
    "/connections/social/wechat-miniprogram/auth": (("POST",), wechat_miniprogram_auth),
    "/connections/social/wechat-miniprogram/auth-by-phone": (("POST",), wechat_miniprogram_auth_by_phone),
    "/connections/social/wechat-miniprogram/getphone": (("POST",), wechat_miniprogram_getphone),
}
blueprint = register(Blueprint("authing_connections", __name__), ROUTES)
