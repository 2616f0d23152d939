"""OpenAPI description of Authing's part of the control plane (see ``control/openapi.py``)."""
from __future__ import annotations

from typing import Any, Dict

from ..control.openapi import ANY_OBJECT, BOOLEAN, INTEGER, NUMBER, PAGE_PARAMS, STRING, obj, op, paged, path_param
from ..emulation import OpenApiPart

#: The fields of a fault rule that answers an Authing error.
FAULT_FIELDS: Dict[str, Any] = {
    "authing": obj({"code": INTEGER, "message": STRING}, ["code"],
                   description="Authing routes: answer this error in the route's own format"),
}

PATHS: Dict[str, Dict[str, Any]] = {
    "/__mock__/authing/users": {"get": op("A page of the Authing users, in creation order, with the total", "authing",
                                          paged("users", ANY_OBJECT), params=PAGE_PARAMS)},
    "/__mock__/authing/users/{user_id}": {
        "get": op("One Authing user", "authing", params=[path_param("user_id", "Authing user id")]),
        "patch": op("Block or unblock an Authing user", "authing", body=obj({"blocked": BOOLEAN}),
                    params=[path_param("user_id", "Authing user id")]),
    },
    "/__mock__/authing/users/{user_id}/password": {
        "put": op("Set an Authing user's password (for the OIDC password grant; only its hash is kept)", "authing",
                  obj({"userId": STRING}, ["userId"]), body=obj({"password": STRING}, ["password"]),
                  params=[path_param("user_id", "Authing user id")]),
    },
    "/__mock__/authing/users/{user_id}/tokens": {
        "get": op("The live tokens issued to an Authing user (id, kind, app, times; never the token itself)",
                  "authing", obj({"userId": STRING, "tokens": {"type": "array", "items": obj(
                      {"jti": STRING, "kind": STRING, "appId": STRING, "issuedAt": NUMBER, "expiresAt": NUMBER})}}),
                  params=[path_param("user_id", "Authing user id")]),
    },
    "/__mock__/authing/users/{user_id}/tokens/{jti}/revoke": {
        "post": op("Revoke one of an Authing user's live tokens (404 when it is not live)", "authing",
                   obj({"userId": STRING, "jti": STRING, "kind": STRING, "revoked": BOOLEAN}),
                   params=[path_param("user_id", "Authing user id"),
                           path_param("jti", "the token's jti (a refresh token's id as listed)")]),
    },
    "/__mock__/authing/sms": {"get": op("SMS codes sent", "authing")},
    "/__mock__/authing/emails": {"get": op("Emails (codes) sent", "authing")},
    "/__mock__/authing/tokens": {"post": op("A token for an existing user, without a login", "authing",
                                            body=obj({"userId": STRING, "appId": STRING, "expiresIn": NUMBER},
                                                     ["userId"]), status="201")},
}

PART = OpenApiPart(PATHS, fault_fields=FAULT_FIELDS)
