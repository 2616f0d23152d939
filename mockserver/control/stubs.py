"""Stubs: make chosen requests to the emulated APIs answer a chosen success (WireMock's stubs).

A stub names an endpoint and ``match`` criteria as a fault rule does (``rules.py``: route, appid,
user, code; ``times``, ``probability``, ``latency_ms``) and gives the answer: ``status`` (200),
``headers`` and ``body`` — a JSON value, or ``body_base64`` for bytes (a QR code image). The
service owning the route checks the answer fits its wire format on that route
(``EmulatedService.stubs``) and refuses the stub otherwise; a service without ``stubs`` takes none.

String values in a JSON body may hold ``{{appid}}``, ``{{user}}``, ``{{code}}`` and the owning
service's own placeholders (WeChat: ``{{openid}}``, ``{{unionid}}``), filled from the request, so
one stub serves many users. Nothing is evaluated: a placeholder is a name, replaced by a string
(empty when the request does not tell it). A stub answers instead of the route, so it changes no
state; fault rules are looked at first.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Dict, Mapping, Set, Tuple

from flask import Response

from ..core.errors import ControlError
from ..emulation import CallerFacts, EmulatedService
from .rules import SHARED_FIELDS, RuleBook

NAMESPACE = "mock.stubs"
KEY: Tuple[str, str] = (NAMESPACE, "rules")
CORE_PLACEHOLDERS = ("appid", "user", "code")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
#: Every request reads the stubs: an answer is kept small (a QR code image is some 30 KB), and so
#: is their number.
MAX_BODY_BYTES = 256 * 1024
MAX_STUBS = 100
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$")
#: Statuses whose answers HTTP sends without a body.
BODILESS = (204, 205, 304)
#: Headers the server writes itself from the answer.
FRAMING_HEADERS = {"content-length", "transfer-encoding", "connection"}


class StubRules(RuleBook):
    key = KEY
    prefix = "s"
    kind = "stub"
    limit = MAX_STUBS

    def fields(self) -> Set[str]:
        return SHARED_FIELDS | {"status", "headers", "body", "body_base64"}

    def _answer(self, spec: Dict[str, Any], service: EmulatedService, route: str, delayed: bool) -> Dict[str, Any]:
        if service.stubs is None:
            raise ControlError(f"{service.title} routes take no stubs")
        status = spec.get("status", 200)
        if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
            raise ControlError("'status' must be an HTTP status from 200 to 599")
        if status in BODILESS:
            raise ControlError(f"a {status} answer has no body (HTTP): give a status that carries one")
        if ("body" in spec) == ("body_base64" in spec):
            raise ControlError("give the answer as 'body' (JSON) or 'body_base64' (bytes), one of them")
        body, raw = spec.get("body"), None
        if "body_base64" in spec:
            raw = _decoded(spec["body_base64"])
        elif len(json.dumps(body, ensure_ascii=False).encode()) > MAX_BODY_BYTES:
            raise ControlError(f"'body' must encode to at most {MAX_BODY_BYTES} bytes of JSON")
        allowed = CORE_PLACEHOLDERS + service.stubs.placeholders
        unknown = sorted({name for text in _strings(body) for name in PLACEHOLDER.findall(text)} - set(allowed))
        if unknown:
            raise ControlError(f"unknown placeholders {unknown} in 'body' (known: {', '.join(allowed)})")
        content_type = service.stubs.check(route, status, body, raw)
        answer: Dict[str, Any] = {"status": status, "headers": _headers(spec.get("headers"), content_type)}
        if raw is None:
            answer["body"] = body
        else:
            answer["body_base64"] = spec["body_base64"]
        return answer

    def answer(self, stub: Dict[str, Any], service: EmulatedService, domain: Any, facts: CallerFacts) -> Response:
        """The response a fired stub gives this request."""
        if "body_base64" in stub:
            data = base64.b64decode(stub["body_base64"])
        else:
            assert service.stubs is not None
            used = {name for text in _strings(stub["body"]) for name in PLACEHOLDER.findall(text)}
            # the service's values cost store reads: only for a body that shows one of them
            own = service.stubs.values(domain, facts) if used & set(service.stubs.placeholders) else {}
            values = {"appid": facts.appid or "", "user": facts.user or "", "code": facts.code or "", **own}
            data = json.dumps(fill(stub["body"], values), ensure_ascii=False, separators=(",", ":")).encode()
        return Response(data, status=stub["status"], headers=stub["headers"])


def fill(value: Any, values: Mapping[str, str]) -> Any:
    """A JSON value with every placeholder in its strings replaced (keys are left as they are)."""
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda found: values.get(found.group(1), ""), value)
    if isinstance(value, dict):
        return {key: fill(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, values) for item in value]
    return value


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _decoded(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ControlError("'body_base64' must be a base64 string")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ControlError("'body_base64' is not valid base64") from None
    if len(raw) > MAX_BODY_BYTES:
        raise ControlError(f"'body_base64' must decode to at most {MAX_BODY_BYTES} bytes")
    return raw


def _headers(headers: Any, content_type: str) -> Dict[str, str]:
    """The answer's headers: the service's Content-Type unless the stub gives its own."""
    if headers is None:
        headers = {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise ControlError("'headers' must be an object of header names to string values")
    for name, value in headers.items():
        if not HEADER_NAME.match(name) or name.lower() in FRAMING_HEADERS:
            raise ControlError(f"'headers': {name!r} is not a header a stub may set")
        if not value.isascii() or not value.isprintable() or len(value) > 4096:
            raise ControlError(f"'headers': the value of {name!r} must be printable ASCII, at most 4096 characters")
    if not any(name.lower() == "content-type" for name in headers):
        headers = {"Content-Type": content_type, **headers}
    return dict(headers)

