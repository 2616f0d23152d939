"""OpenAPI description of WeChat's part of the control plane (see ``control/openapi.py``)."""
from __future__ import annotations

from typing import Any, Dict

from ..control.openapi import ANY_OBJECT, INTEGER, PAGE_PARAMS, STRING, obj, op, paged, path_param, ref
from ..emulation import OpenApiPart

USER_REF = path_param("ref", "user alias or any of the user's openids")
PUSH = obj({"url": STRING, "token": {"type": "string", "description": "3-32 letters or digits"},
            "aes_key": {"type": "string",
                        "description": "the EncodingAESKey: 43 letters or digits (compatible and safe mode)"},
            "mode": {"type": "string", "enum": ["plain", "compatible", "safe"], "default": "safe"},
            "format": {"type": "string", "enum": ["XML", "JSON"], "default": "XML"}}, ["url", "token"])
SCHEMAS = {
    "LoginCode": obj({"code": STRING, "errMsg": STRING, "openid": STRING}, ["code", "errMsg", "openid"]),
    "ConsentAnswer": obj({"openid": STRING,
                          "results": {"type": "object", "additionalProperties": {
                              "type": "string", "enum": ["accept", "reject"]}},
                          "kinds": {"type": "object", "additionalProperties": {
                              "type": "string", "enum": ["one-time", "long-term"]}}},
                         ["openid", "results", "kinds"]),
    "AppIn": obj({"appid": STRING, "secret": STRING, "name": STRING, "push": PUSH}, additionalProperties=True),
    "Delivery": obj({"id": STRING, "appid": STRING, "user": STRING, "event": STRING, "message": ANY_OBJECT,
                     "due_at": {"type": "number"},
                     "status": {"type": "string", "enum": ["pending", "sending", "delivered", "failed", "nothing"]},
                     "tries": {"type": "array", "items": ANY_OBJECT}}),
    "UserMessage": obj({"openid": STRING, "message": ANY_OBJECT, "window": ANY_OBJECT, "delivery": ref("Delivery")}),
    "OpenedLink": obj({"kind": {"type": "string", "enum": ["urllink", "scheme", "shortlink"]}, "appid": STRING,
                       "path": STRING, "query": STRING, "env_version": STRING,
                       "scene": {"type": ["integer", "null"]}, "openid": {"type": ["string", "null"]}},
                      ["kind", "appid", "path", "query", "env_version", "scene", "openid"]),
    "GeneratedLink": obj({"link": STRING, "kind": STRING, "appid": STRING, "path": STRING, "query": STRING,
                          "env_version": STRING, "create_time": INTEGER, "expire_time": INTEGER,
                          "opens": INTEGER, "visit_openid": STRING}, ["link", "kind", "appid", "path", "query",
                                                                      "env_version", "create_time", "expire_time",
                                                                      "opens"]),
}
CONSENT_REQUEST = obj({"appid": STRING, "user": STRING, "template_ids": {"type": "array", "items": STRING},
                       "accept": {"description": "true, false or {template id: true/false}; absent: the user's "
                                                 "default (accept, unless rejects_subscribe_messages)"},
                       "in_settings": {"type": "boolean", "default": False,
                                       "description": "the user changed it in the settings: pushed as "
                                                      "subscribe_msg_change_event, not subscribe_msg_popup_event"}},
                      ["appid", "user", "template_ids"])

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
    "/__mock__/wechat/messages": {"get": op("A page of the subscribe messages sent, in the order sent, with the total",
                                            "wechat", paged("messages", ANY_OBJECT), params=PAGE_PARAMS)},
    "/__mock__/wechat/subscriptions": {
        "post": op("A user's answer to wx.requestSubscribeMessage: consent given or withdrawn (one message per "
                   "accept of a one-time template; 400 with the mini program's errCode for a bad request)",
                   "wechat", ref("ConsentAnswer"), body=CONSENT_REQUEST),
        "get": op("What a user allowed an app to send, by template id", "wechat",
                  obj({"openid": STRING, "consents": ANY_OBJECT}),
                  params=[{"name": "appid", "in": "query", "required": True, "schema": STRING},
                          {"name": "user", "in": "query", "required": True, "schema": STRING,
                           "description": "alias or openid"}]),
    },
    "/__mock__/wechat/links/open": {"post": op(
        "A user opens a URL Link, URL Scheme or Short Link: the appid, path, query and env_version the mini"
        " program starts with (404: never generated, 409: expired)", "wechat", ref("OpenedLink"),
        body=obj({"url": STRING, "user": STRING}, ["url"]))},
    "/__mock__/wechat/user-encrypt-key": {"post": op(
        "What wx.getUserCryptoManager().getLatestUserKey() resolves: the user's newest encryption key"
        " (a new version once the last expired)", "wechat",
        obj({"encryptKey": STRING, "iv": STRING, "version": INTEGER, "expireTime": INTEGER, "errMsg": STRING},
            ["encryptKey", "iv", "version", "expireTime", "errMsg"]),
        body=obj({"appid": STRING, "user": STRING}, ["appid", "user"]))},
    "/__mock__/wechat/orders": {
        "post": op("A paid order, as WeChat Pay would have made it (ids made up when not given)", "wechat",
                   ANY_OBJECT, status="201",
                   body=obj({"appid": STRING, "user": STRING, "transaction_id": STRING, "mchid": STRING,
                             "out_trade_no": STRING, "paid_amount": INTEGER, "description": STRING,
                             "sub_orders": {"type": "array", "items": ANY_OBJECT,
                                            "description": "a combined payment of these sub-orders"}},
                            ["appid", "user"])),
        "get": op("A page of the paid orders, oldest first, with the total", "wechat",
                  paged("orders", ANY_OBJECT), params=PAGE_PARAMS)},
    "/__mock__/wechat/orders/{transaction_id}/confirm": {"post": op(
        "The payer confirms receipt of a shipped order (409 unless order_state is 2)", "wechat", ANY_OBJECT,
        params=[path_param("transaction_id", "WeChat Pay's id of the order")])},
    "/__mock__/wechat/links": {"get": op("A page of the links generated, oldest first, with the total", "wechat",
                                         paged("links", ref("GeneratedLink")), params=PAGE_PARAMS)},
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
    "/__mock__/apps": {"post": op("Create a WeChat mini-program app (its push URL, if any, verified as WeChat does)",
                                  "apps", body=ref("AppIn"), status="201")},
    # message push and customer-service messages
    "/__mock__/wechat/push": {"post": op(
        "User `user` sends the text `message` to app `appid` (5 messages back within 48 hours), or enters its "
        "chat (`event: user_enter_tempsession`: 2 within a minute): pushed to the app's backend", "push",
        ref("UserMessage"),
        body=obj({"appid": STRING, "user": STRING, "message": STRING,
                  "event": {"type": "string", "enum": ["user_enter_tempsession"]}, "session_from": STRING},
                 ["appid", "user"]))},
    "/__mock__/wechat/deliveries": {"get": op(
        "A page of the pushes to the apps' backends, oldest first, with their status and tries", "push",
        paged("deliveries", ref("Delivery")), params=PAGE_PARAMS)},
    "/__mock__/wechat/custom-messages": {"get": op(
        "A page of the customer-service messages backends sent (custom/send)", "push",
        paged("messages", ANY_OBJECT), params=PAGE_PARAMS)},
    "/__mock__/wechat/media": {"get": op(
        "A page of the temporary media uploaded (media/upload), without their bytes", "push",
        paged("media", ANY_OBJECT), params=PAGE_PARAMS)},
}

PART = OpenApiPart(PATHS, SCHEMAS, FAULT_FIELDS)
