"""Every WeChat route, in one table. Routes only parse requests and format answers."""
from __future__ import annotations

from typing import Any, Callable, Dict, Tuple

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from ..app import WireFormat, runtime
from ..http import INVALID_JSON, NO_BODY, query_and_json_fields, request_json
from .crypto import dumps
from .errors import WeChatError

blueprint = Blueprint("wechat", __name__)
PREFIXES = ("/sns/", "/cgi-bin/", "/wxa/")
JSON_TYPE = "application/json; encoding=utf-8"


def wechat_json(body: Dict[str, Any]) -> Response:
    # Compact and without Flask's trailing newline: co-wechat-api fails on control characters.
    return Response(dumps(body), status=200, content_type=JSON_TYPE)


def render_error(exc: WeChatError) -> Response:
    rt = runtime()
    return wechat_json(exc.body(rt.random.rid(rt.clock.now())))


def render_http_error(exc: HTTPException) -> Response:
    if exc.code == 413:
        return render_error(WeChatError(47001))
    if exc.code == 404:
        return render_error(WeChatError(40066))
    return render_error(WeChatError(-1))


WIRE = WireFormat(PREFIXES, render_http_error, lambda exc: render_error(WeChatError(-1)))


def json_body() -> Any:
    """The JSON body, whatever Content-Type says (wechatpy sends none)."""
    body = request_json()
    if body is NO_BODY:
        raise WeChatError(44002)
    if body is INVALID_JSON:
        raise WeChatError(47001)
    return body


def token_app():
    """The app whose ``access_token`` the query carries (in the body it is a format error)."""
    token = request.args.get("access_token")
    body = request_json()
    if not token and request.method == "POST" and isinstance(body, dict) and "access_token" in body:
        raise WeChatError(47001)
    return runtime().wechat.resolve_token(token)


def jscode2session():
    q = request.args
    return runtime().wechat.code_to_session(q.get("appid"), q.get("secret"), q.get("js_code"),
                                            q.get("grant_type"))


def token():
    q = request.args
    return runtime().wechat.fetch_access_token(q.get("grant_type"), q.get("appid"), q.get("secret"))


def stable_token():
    return runtime().wechat.fetch_stable_token(json_body())


def get_user_phone_number():
    app = token_app()
    return runtime().wechat.phone_number(app, json_body())


def check_session():
    return runtime().wechat.check_session(token_app(), query_and_json_fields())


def reset_user_session_key():
    return runtime().wechat.reset_session_key(token_app(), query_and_json_fields())


def get_paid_unionid():
    return runtime().wechat.paid_unionid(token_app(), query_and_json_fields())


def msg_sec_check():
    app = token_app()
    return runtime().wechat.message_security_check(app, json_body())


def subscribe_send():
    app = token_app()
    return runtime().wechat.send_subscribe_message(app, json_body())


def get_wxa_code_unlimit():
    app = token_app()
    png = runtime().wechat.unlimited_qr_code(app, json_body())
    return Response(png, status=200, content_type="image/png")


#: path → (allowed methods, handler)
ROUTES: Dict[str, Tuple[Tuple[str, ...], Callable[[], Any]]] = {
    "/sns/jscode2session": (("GET",), jscode2session),
    "/cgi-bin/token": (("GET",), token),
    "/cgi-bin/stable_token": (("POST",), stable_token),
    "/wxa/business/getuserphonenumber": (("POST",), get_user_phone_number),
    "/wxa/checksession": (("GET", "POST"), check_session),
    "/wxa/resetusersessionkey": (("GET", "POST"), reset_user_session_key),
    "/wxa/getpaidunionid": (("GET",), get_paid_unionid),
    "/wxa/msg_sec_check": (("POST",), msg_sec_check),
    "/cgi-bin/message/subscribe/send": (("POST",), subscribe_send),
    "/wxa/getwxacodeunlimit": (("POST",), get_wxa_code_unlimit),
}


def _endpoint(path: str, allowed: Tuple[str, ...], handler: Callable[[], Any]):
    def view():
        if request.method not in allowed:
            raise WeChatError(43002 if "POST" in allowed else 43001)
        result = handler()
        return result if isinstance(result, Response) else wechat_json(result)
    view.__name__ = handler.__name__
    return view


for _path, (_allowed, _handler) in ROUTES.items():
    blueprint.add_url_rule(_path, view_func=_endpoint(_path, _allowed, _handler),
                           methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
