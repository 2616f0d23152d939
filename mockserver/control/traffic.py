"""Hooks around every request to the emulated APIs: fault rules are applied before the route
runs, and the exchange is written to the journal after it. Control-plane requests pass untouched.

Routes never know about either: a fault answers instead of the route (so it changes no state), in
the wire format of the service that owns the route, by raising that service's own error.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Dict, Optional

from flask import Flask, Request, Response, g, request

from ..app import runtime
from ..authing.errors import AuthingError
from ..http import INVALID_JSON, NO_BODY, query_and_json_fields, raw_body, request_json
from ..wechat.errors import WeChatError
from ..wechat.service import WeChatService
from .faults import RequestFacts, emulated_service
from .journal import MASK, SKIPPED_HEADERS, error_code, is_binary, is_secret, mask, mask_pairs, masked_body

CONTROL_PREFIX = "/__mock__"
access_log = logging.getLogger("mockserver.access")
#: What a ``malformed`` fault answers: JSON cut off mid-object, in each service's usual shape.
MALFORMED = {"wechat": b'{"errcode":0,"errmsg":"ok","', "authing": b'{"code":200,"message":"'}
#: The body length a ``drop`` fault promises and never sends.
DROPPED_LENGTH = 64


def install(app: Flask) -> None:
    app.before_request(before_request)
    app.after_request(after_request)


def observed(req: Request) -> bool:
    """Requests the journal records: everything but the control plane, static files and CORS preflights."""
    return not req.path.startswith(CONTROL_PREFIX) and req.endpoint != "static" and req.method != "OPTIONS"


def before_request() -> Optional[Response]:
    # The hooks run on every request: the request and ``g`` are looked up once, not per attribute.
    req, ctx = request._get_current_object(), g._get_current_object()
    if not observed(req):
        return None
    rt = runtime()
    ctx.mock_started = time.perf_counter()
    ctx.mock_time = rt.clock.now()
    ctx.mock_facts = RequestFacts(appids=[], user=None, code=None)  # what the journal shows if the next line raises
    ctx.mock_facts = facts = request_facts(req, rt.wechat)
    service = emulated_service(req.endpoint)
    if service is None:
        return None
    rule = rt.faults.fire(req.endpoint, req.url_rule.rule, facts)
    if rule is None:
        return None
    ctx.mock_fault = rule
    if rule["latency_ms"]:
        time.sleep(rule["latency_ms"] / 1000)
    action = rule["action"]
    if action == "errcode":
        error = WeChatError(rule["errcode"])
        error.errmsg = rule["errmsg"]
        raise error
    if action == "authing":
        raise AuthingError(rule["authing"]["code"], rule["authing"]["message"])
    if action == "malformed":
        return Response(MALFORMED[service], status=200, content_type="application/json; charset=utf-8")
    if action == "drop":
        response = Response(b"", status=200, content_type="application/json; charset=utf-8")
        # Short of the promised body, the server closes the connection after the headers (waitress
        # and werkzeug both do): the client sees the connection broken mid-answer.
        response.headers["Content-Length"] = str(DROPPED_LENGTH)
        return response
    return None  # latency alone: the route answers as usual


def after_request(response: Response) -> Response:
    ctx = g._get_current_object()
    if "mock_started" not in ctx:
        return response
    req = request._get_current_object()
    facts: RequestFacts = ctx.mock_facts
    fault = ctx.get("mock_fault")
    broken = fault is not None and fault["action"] in ("drop", "malformed")
    answer = None if broken or response.direct_passthrough else \
        masked_body(response.get_data(), response.content_type or "")
    entry = {
        "time": ctx.mock_time,
        "method": req.method,
        "path": req.path,
        "route": req.endpoint.split(".", 1)[-1] if req.endpoint else None,
        "query": mask_pairs(req.args.items(multi=True)),
        "headers": {name: MASK if is_secret(name) else value for name, value in req.headers.items()
                    if name.lower() not in SKIPPED_HEADERS},
        "body": request_body(req),
        "status": response.status_code,
        "errcode": None if broken else error_code(answer, response.status_code),
        "latency_ms": round((time.perf_counter() - ctx.mock_started) * 1000, 1),
        "appid": facts.appid,
        "user": facts.user,
        "fault": fault and fault["id"],
        "response": answer,
    }
    runtime().journal.record(entry)
    if access_log.isEnabledFor(logging.DEBUG):  # the same masked view: no secret reaches a log
        query = "&".join(f"{k}={v}" for k, v in entry["query"].items())
        access_log.debug("%s %s%s %s errcode=%s %.1fms", entry["method"], entry["path"],
                         f"?{query}" if query else "", entry["status"], entry["errcode"], entry["latency_ms"])
    return response


def request_body(req: Request) -> Any:
    raw = raw_body()
    if not raw:
        return None
    content_type = req.content_type or ""
    if content_type.startswith("multipart/"):
        files = {}
        for field, upload in req.files.items(multi=True):
            upload.stream.seek(0, 2)
            files[field] = {"filename": upload.filename, "content_type": upload.content_type,
                            "bytes": upload.stream.tell()}
            upload.stream.seek(0)
        return masked_body(raw, content_type, req.form.to_dict(), files)
    parsed = request_json()
    if parsed is not INVALID_JSON and parsed is not NO_BODY and not is_binary(content_type):
        return mask(parsed)  # the parse the route used (never changed in place), not a second one
    return masked_body(raw, content_type)


def request_fields(req: Request) -> Dict[str, Any]:
    """Query parameters and the fields of a JSON object or form body, for finding who is calling."""
    if req.mimetype == "application/x-www-form-urlencoded" and request_json() is INVALID_JSON:
        return {**req.form.to_dict(), **req.args.to_dict()}
    return query_and_json_fields()


def request_facts(req: Request, wechat: WeChatService) -> RequestFacts:
    """The app(s), WeChat user and login code a request carries, as far as the mock can tell: an
    ``appid``, an ``access_token``'s app, Authing's app-id header, a login or phone code's owner,
    an ``openid``/``touser``'s owner."""
    fields = request_fields(req)
    appids, user = [], None

    def add_app(value: Any) -> None:
        if isinstance(value, str) and value and value not in appids:
            appids.append(value)

    add_app(fields.get("appid"))
    add_app(wechat.token_appid(fields.get("access_token")))
    code = fields.get("js_code") or fields.get("code")
    code = code if isinstance(code, str) and code else None
    for appid, alias in (wechat.code_owner(code), wechat.openid_owner(fields.get("openid") or fields.get("touser"))):
        if user is None and alias:
            add_app(appid)
            user = alias
    add_app(req.headers.get("x-authing-app-id"))
    add_app(fields.get("app_id") or fields.get("appId"))
    return RequestFacts(appids=appids, user=user, code=code)
