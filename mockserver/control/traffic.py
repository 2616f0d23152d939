"""Hooks around every request to the emulated APIs: fault rules are applied before the route
runs, and the exchange is written to the journal after it. Control-plane requests pass untouched.

A matching stub (``stubs.py``) answers a chosen success instead of the route in the same way.
Routes never know about either: a fault answers instead of the route (so it changes no state), in
the wire format of the service that owns the route, by raising that service's own error. Which
service that is, who is calling and how its answers carry error codes: each registered service
says (``EmulatedService``); this module knows none of them.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Dict, Optional

from flask import Flask, Request, Response, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..core.store import StoreUnavailable
from ..emulation import CallerFacts, EmulatedService, RequestView
from ..http import INVALID_JSON, query_and_json_fields, raw_body, request_json
from ..not_emulated import applies as not_emulated
from ..runtime import Runtime, current
from . import latency
from .journal import SKIPPED_HEADERS, EntryParts, answered_ok, grouped

CONTROL_PREFIX = "/__mock__"
access_log = logging.getLogger("mockserver.access")
#: The body length a ``drop`` fault promises and never sends.
DROPPED_LENGTH = 64


def install(app: Flask) -> None:
    app.before_request(before_request)
    app.after_request(after_request)
    app.teardown_request(lambda exc: current().end_request())


#: Routes of the mock's own pages outside the control plane (the browser's ``/favicon.ico``).
OWN_PAGES = "mock_icons"


def observed(req: Request) -> bool:
    """Requests the journal records: what clients send the emulated APIs — not the control plane,
    the requests the mock's own pages cause (the favicon), static files nor CORS preflights."""
    return (not req.path.startswith(CONTROL_PREFIX) and req.blueprint != OWN_PAGES and req.endpoint != "static"
            and req.method != "OPTIONS")


def before_request() -> Optional[Response]:
    # The hooks run on every request: the request and ``g`` are looked up once, not per attribute.
    req, ctx = request._get_current_object(), g._get_current_object()  # type: ignore[attr-defined]
    if not observed(req):
        return None
    rt = current()
    started = time.perf_counter()
    rt.begin_emulated_request()  # the first read of a shared store: if it is down, nothing is journaled
    ctx.mock_time = rt.clock.now()
    ctx.mock_started = started
    ctx.mock_facts = CallerFacts()  # what the journal shows if the next line raises
    ctx.mock_facts = facts = caller_facts(req, rt)
    service = rt.faults.owner(req.endpoint)
    if service is None or req.url_rule is None:
        return None
    rule = rt.faults.fire(req.endpoint, req.url_rule.rule, facts)
    if rule is None:
        stub = rt.stubs.fire(req.endpoint, req.url_rule.rule, facts)
        if stub is None:
            return None
        ctx.mock_stub = stub
        wait(stub, rt)
        return rt.stubs.answer(stub, service, rt.services[service.name], facts)
    ctx.mock_fault = rule
    wait(rule, rt)
    action = rule["action"]
    if action == service.fault_error.name:
        raise service.fault_error.error(rule)
    if action == "malformed":
        return Response(service.malformed_body, status=200, content_type="application/json; charset=utf-8")
    if action == "drop":
        response = Response(b"", status=200, content_type="application/json; charset=utf-8")
        # Short of the promised body, the server closes the connection after the headers (waitress
        # and werkzeug both do): the client sees the connection broken mid-answer.
        response.headers["Content-Length"] = str(DROPPED_LENGTH)
        return response
    return None  # latency alone: the route answers as usual


def wait(rule: Dict[str, Any], rt: Runtime) -> None:
    """A fault's or stub's latency, drawn from the seeded random source."""
    if rule["latency_ms"]:
        time.sleep(latency.draw(rule["latency_ms"], rt.random) / 1000)


def after_request(response: Response) -> Response:
    ctx = g._get_current_object()
    if "mock_started" not in ctx:
        return response
    req = request._get_current_object()  # type: ignore[attr-defined]
    rt = current()
    facts: CallerFacts = ctx.mock_facts
    fault = ctx.get("mock_fault")
    broken = fault is not None and fault["action"] in ("drop", "malformed")
    parts = rt.journal.parts()
    answer = None if broken or response.direct_passthrough else \
        parts.body("response", response.get_data(), response.content_type or "")
    service = path_owner(rt, req.path)
    error_code = service.error_code if service is not None else answered_ok
    headers = {name: value for name, value in req.headers.items() if name.lower() not in SKIPPED_HEADERS}
    entry = {
        "time": ctx.mock_time,
        "method": parts.part("method", req.method),
        "path": parts.part("path", req.path),
        "route": req.endpoint.split(".", 1)[-1] if req.endpoint else None,
        "emulated": not not_emulated(req),  # False: no route (of any service) has this path
        "query": parts.part("query", grouped(req.args.items(multi=True)), len(req.query_string)),
        "headers": parts.part("headers", headers, sum(len(k) + len(v) for k, v in headers.items())),
        "body": request_body(req, parts),
        "status": response.status_code,
        "errcode": None if broken else error_code(answer, response.status_code),
        "latency_ms": round((time.perf_counter() - ctx.mock_started) * 1000, 1),
        "appid": parts.part("appid", facts.appid),
        "user": parts.part("user", facts.user),
        "fault": fault and fault["id"],
        "stub": ctx.get("mock_stub", {}).get("id"),
        "response": answer,
        "truncated": parts.truncated or None,
    }
    try:
        rt.journal.record(entry)
    except StoreUnavailable:  # the answer stands; the store has logged its outage
        pass
    if access_log.isEnabledFor(logging.INFO):  # the same masked view: no secret reaches a log
        query = "&".join(f"{k}={v}" for k, v in entry["query"].items())
        access_log.info("%s %s%s %s errcode=%s appid=%s user=%s %.1fms", entry["method"], entry["path"],
                        f"?{query}" if query else "", entry["status"], entry["errcode"], entry["appid"] or "-",
                        entry["user"] or "-", entry["latency_ms"])
    return response


def path_owner(rt: Runtime, path: str) -> Optional[EmulatedService]:
    """The service whose paths (by prefix) ``path`` is among, known route or not."""
    for service in rt.registered:
        if path.startswith(service.prefixes):
            return service
    return None


def request_body(req: Request, parts: EntryParts) -> Any:
    raw = raw_body()
    if not raw:
        return None
    content_type = req.content_type or ""
    if content_type.startswith("multipart/"):
        try:
            form, uploads = req.form.to_dict(), req.files.items(multi=True)
        except RequestEntityTooLarge:  # too many parts: the route answered 413, the body is summarised
            return parts.body("body", raw, "application/octet-stream")
        files = {}
        for field, upload in uploads:
            upload.stream.seek(0, 2)
            files[field] = {"filename": upload.filename, "content_type": upload.content_type,
                            "bytes": upload.stream.tell()}
            upload.stream.seek(0)
        return parts.body("body", raw, content_type, form=form, files=files)
    # the parse the route used (never changed in place), not a second one
    return parts.body("body", raw, content_type, parsed=request_json())


def request_fields(req: Request) -> Dict[str, Any]:
    """Query parameters and the fields of a JSON object or form body, for finding who is calling."""
    if req.mimetype == "application/x-www-form-urlencoded" and request_json() is INVALID_JSON:
        return {**req.form.to_dict(), **req.args.to_dict()}
    return query_and_json_fields()


def caller_facts(req: Request, rt: Runtime) -> CallerFacts:
    """Who is calling, as every service can tell from the request: in registration order, the
    first service's user and code, and the apps of all."""
    view = RequestView(request_fields(req), req.headers)
    facts = CallerFacts()
    for service in rt.registered:
        facts.merge(service.caller(rt.services[service.name], view))
    return facts
