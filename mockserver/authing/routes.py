"""Every Authing route, in one table per API family. Routes only parse requests and format answers.

The family of a path decides how errors look (see ``errors.py``): ``render_error`` is the one
handler for ``AuthingError``, ``WIRES`` the formats for HTTP errors and unexpected failures.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, Optional, Tuple

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from ..app import WireFormat, runtime
from ..http import INVALID_JSON, NO_BODY, request_json
from .errors import BAD_REQUEST, SYSTEM_BUSY, AuthingError, bad_request
from .service import Caller

blueprint = Blueprint("authing", __name__)

V2_PREFIXES = ("/connections/", "/api/v2/", "/files/", "/logout")
V3_PREFIXES = ("/api/v3/",)
GRAPHQL_PREFIXES = ("/graphql/",)
OIDC_PREFIXES = ("/oidc/",)


# --- reading requests ---------------------------------------------------------------------------
def base_url() -> str:
    """Where the client reached us: --public-url if set, else scheme://Host of this request."""
    public = runtime().config.public_url
    # Scheme and Host as sent, the host lowercased: werkzeug's host_url also rebuilds and
    # IRI-decodes a whole URL (four times the cost, on every Authing request), and an issuer
    # should stay ASCII anyway.
    return public.rstrip("/") if public else f"{request.scheme}://{request.host.lower()}"


def caller() -> Caller:
    auth = request.headers.get("Authorization", "").strip()
    if auth.lower().startswith("bearer "):
        token = auth[7:].strip()
    elif auth and " " not in auth:  # the Python 5.x SDK sends the bare token
        token = auth
    else:
        token = None
    app_id = (request.headers.get("x-authing-app-id") or request.args.get("app_id")
              or request.args.get("appId") or None)
    return Caller(app_id=app_id, pool_id=request.headers.get("x-authing-userpool-id") or None,
                  token=token, ip=request.remote_addr, base_url=base_url())


def json_object(text: Optional[str] = None, name: str = "请求体") -> Dict[str, Any]:
    """A JSON object: the request body ({} when empty, whatever Content-Type says), or ``text``, a
    JSON string inside the body (``rawData``). Authing's 400 when it is not one."""
    if text is None:
        value = request_json()
        if value is NO_BODY:
            return {}
    else:
        try:
            value = json.loads(text)
        except ValueError:
            value = INVALID_JSON
    if value is INVALID_JSON:
        raise bad_request(f"{name} 不是合法的 JSON")
    if not isinstance(value, dict):
        raise bad_request(f"{name} 必须是 JSON 对象")
    return dict(value)  # the parsed body is cached for the request: never change it in place


def flag(name: str) -> bool:
    return request.args.get(name, "").lower() in ("true", "1")


# --- formatting answers ---------------------------------------------------------------------------
def v2(data: Any, message: str = "") -> Dict[str, Any]:
    return {"code": 200, "message": message, "data": data}


def v3(data: Any) -> Dict[str, Any]:
    return {"statusCode": 200, "message": "", "apiCode": 0, "requestId": runtime().random.hex(32), "data": data}


def _family() -> str:
    path = request.path
    if path.startswith(V3_PREFIXES):
        return "v3"
    if path.startswith(GRAPHQL_PREFIXES):
        return "graphql"
    if path.startswith(OIDC_PREFIXES):
        return "oidc"
    return "v2"


def render_error(exc: AuthingError, status: int = 200) -> Response:
    """``exc`` in the format of the request's API family. ``status`` is the HTTP status of an HTTP
    error (404, 405, 413) or of a failure (500): v3 and OIDC answer with it, v2 and GraphQL always
    with 200 — their SDKs read ``code`` only from a 2xx answer (see errors.py)."""
    family = _family()
    if family == "v3":
        response = jsonify(exc.v3_body(runtime().random.hex(32)))
    elif family == "graphql":
        response, status = jsonify({"data": None, "errors": [exc.graphql_error()]}), 200
    elif family == "oidc":
        response = jsonify(exc.oidc_body())
        status = exc.oidc_status() if status == 200 else status
        if exc.oidc_error == "invalid_token":
            # RFC 6750's header; its description stays in the body: headers carry Latin-1 only, and
            # the message is Chinese (a non-Latin-1 header makes the WSGI server answer a bare 500).
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    else:
        response, status = jsonify(exc.v2_body()), 200
    response.status_code = status
    return response


def render_http_error(exc: HTTPException) -> Response:
    return render_error(AuthingError(exc.code or BAD_REQUEST, exc.description or exc.name,
                                     oidc_error="invalid_request"), status=exc.code or 400)


def render_internal_error(exc: Exception) -> Response:
    return render_error(AuthingError(SYSTEM_BUSY, "系统繁忙，请稍后再试", oidc_error="server_error"), status=500)


WIRES = [WireFormat(prefixes, render_http_error, render_internal_error)
         for prefixes in (V2_PREFIXES, V3_PREFIXES, GRAPHQL_PREFIXES, OIDC_PREFIXES)]


# --- the mini-program connection and v2 REST ------------------------------------------------------
def wechat_miniprogram_auth():
    body = json_object()
    if isinstance(body.get("rawData"), str) and body["rawData"]:  # wx.getUserInfo()'s rawData, a JSON string
        body["rawData"] = json_object(body["rawData"], "rawData")
    return v2(runtime().authing.login_by_code(caller(), body), "登录成功")


def wechat_miniprogram_auth_by_phone():
    return v2(runtime().authing.login_by_phone(caller(), json_object()), "登录成功")


def wechat_miniprogram_getphone():
    return v2(runtime().authing.get_phone(caller(), json_object()), "获取成功")


def users_me():
    return v2(runtime().authing.me(caller()), "获取成功")


def sms_send():
    return runtime().authing.send_sms(caller(), json_object().get("phone"))


def logout():
    return runtime().authing.logout(caller())


def upload():
    upload_file = request.files.get("file")
    if upload_file is None:
        raise bad_request("请上传文件（multipart 字段 file）")
    data = upload_file.read()
    result = runtime().authing.upload(caller(), request.args.get("folder"), upload_file.filename,
                                      upload_file.mimetype if upload_file.mimetype != "application/octet-stream" else None,
                                      data)
    return v2(result, "上传成功")


def validate_token():
    q = request.args
    return runtime().authing.validate_token(caller(), q.get("id_token"), q.get("access_token"))


def uploaded_file(key: str):
    data, content_type = runtime().authing.file(key)
    response = Response(data, status=200, content_type=content_type)
    # The uploader chose the type: never let a browser run an upload as a page of the mock's origin.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- v3 -----------------------------------------------------------------------------------------
def signin_by_mobile():
    return v3(runtime().authing.signin_by_mobile(caller(), json_object()))


def get_profile():
    return v3(runtime().authing.profile_v3(caller(), flag("withIdentities"), flag("withCustomData")))


def update_profile():
    return v3(runtime().authing.update_profile_v3(caller(), json_object()))


def decrypt_wechat_miniprogram_data():
    return v3(runtime().authing.decrypt_wechat_data(caller(), json_object()))


# --- GraphQL --------------------------------------------------------------------------------------
def graphql_v2():
    from . import graphql  # graphql-core costs a tenth of a second to import: not at start-up

    return graphql.execute(runtime().authing, caller(), request_json())  # not a dict: a GraphQL error


# --- OIDC -----------------------------------------------------------------------------------------
def jwks():
    return runtime().authing.jwks()


def openid_configuration():
    return runtime().authing.discovery(caller())


def introspection():
    form = request.form
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    if request.authorization and request.authorization.type == "basic":
        client_id = request.authorization.username
        client_secret = request.authorization.password
    return runtime().authing.introspect(client_id, client_secret, form.get("token"))


def oidc_me():
    return runtime().authing.userinfo(caller())


#: path → (allowed methods, handler)
ROUTES: Dict[str, Tuple[Tuple[str, ...], Callable[..., Any]]] = {
    "/connections/social/wechat-miniprogram/auth": (("POST",), wechat_miniprogram_auth),
    "/connections/social/wechat-miniprogram/auth-by-phone": (("POST",), wechat_miniprogram_auth_by_phone),
    "/connections/social/wechat-miniprogram/getphone": (("POST",), wechat_miniprogram_getphone),
    "/api/v2/users/me": (("GET",), users_me),
    "/api/v2/sms/send": (("POST",), sms_send),
    "/api/v2/logout": (("GET",), logout),
    "/logout": (("GET",), logout),  # js-sdk's logoutCurrent: ?appId=..&deviceId=current
    "/api/v2/upload": (("POST",), upload),
    "/api/v2/oidc/validate_token": (("GET",), validate_token),
    "/files/<path:key>": (("GET",), uploaded_file),
    "/api/v3/signin-by-mobile": (("POST",), signin_by_mobile),
    "/api/v3/get-profile": (("GET",), get_profile),
    "/api/v3/update-profile": (("POST",), update_profile),
    "/api/v3/decrypt-wechat-miniprogram-data": (("POST",), decrypt_wechat_miniprogram_data),
    "/graphql/v2": (("POST",), graphql_v2),
    "/oidc/.well-known/jwks.json": (("GET",), jwks),
    "/oidc/.well-known/openid-configuration": (("GET",), openid_configuration),
    "/oidc/token/introspection": (("POST",), introspection),
    "/oidc/me": (("GET", "POST"), oidc_me),
}

for _path, (_methods, _handler) in ROUTES.items():
    blueprint.add_url_rule(_path, endpoint=_handler.__name__, view_func=_handler, methods=list(_methods))
