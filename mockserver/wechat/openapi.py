"""OpenAPI description of WeChat's part of the control plane (see ``control/openapi.py``)."""
from __future__ import annotations

from typing import Any, Dict

from ..control.openapi import ANY_OBJECT, PAGE_PARAMS, STRING, obj, op, paged, path_param, ref
from ..emulation import OpenApiPart

USER_REF = path_param("ref", "user alias or any of the user's openids")
SCHEMAS = {"LoginCode": obj({"code": STRING, "errMsg": STRING, "openid": STRING}, ["code", "errMsg", "openid"])}

#: The fields of a fault rule that answers a WeChat error.
FAULT_FIELDS: Dict[str, Any] = {
    "errcode": {"type": "integer", "description": "WeChat routes: answer this errcode with its real errmsg"},
    "errmsg": {"type": "string",
               "description": "override of the errmsg (required for errcodes the mock does not know)"},
}

PATHS: Dict[str, Dict[str, Any]] = {
    "/__mock__/wx.js": {"get": op("The wx shim for running mini-program code under Node", "meta",
                                  {"type": "string"}, content="application/javascript")},
    "/__mock__/wechat/login": {"post": op(
        "What wx.login() resolves: a login code for a user (a new user when none is given)", "wechat",
        ref("LoginCode"), body=obj({"appid": STRING, "user": STRING}, ["appid"]))},
    "/__mock__/wechat/phone-code": {"post": op(
        "What the getPhoneNumber button hands over (new flow)", "wechat", obj({"code": STRING, "errMsg": STRING}),
        body=obj({"appid": STRING, "user": STRING}, ["appid", "user"]))},
    "/__mock__/wechat/encrypted-data": {"post": op(
        "encryptedData + iv (+ rawData, signature) for the user's current session key", "wechat",
        body=obj({"appid": STRING, "user": STRING, "kind": {"type": "string", "enum": ["userInfo", "phoneNumber"]}},
                 ["appid", "user"]))},
    "/__mock__/wechat/messages": {"get": op("Subscribe messages sent", "wechat")},
    "/__mock__/users": {
        "get": op("A page of the WeChat users, in creation order, with their openids/unionids and the total",
                  "users", paged("users", ANY_OBJECT), params=PAGE_PARAMS),
        "post": op("Create a WeChat user (missing fields are made up)", "users", body=ANY_OBJECT, status="201"),
    },
    "/__mock__/users/{ref}": {
        "get": op("One WeChat user", "users", params=[USER_REF]),
        "patch": op("Change a WeChat user's fields", "users", body=ANY_OBJECT, params=[USER_REF]),
        "delete": op("Delete a WeChat user", "users", obj({"deleted": STRING}), params=[USER_REF]),
    },
    "/__mock__/apps": {"post": op("Create a WeChat mini-program app", "apps", body=ANY_OBJECT, status="201")},
}

PART = OpenApiPart(PATHS, SCHEMAS, FAULT_FIELDS)
