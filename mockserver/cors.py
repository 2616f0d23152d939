"""CORS, so browser pages and WeChat's devtools can call the emulated APIs from any origin.

The control plane is left out (but for its open paths): it answers browsers only from its own
origin (``control/admin.py``).

Hand-written instead of flask-cors because it must cost nothing for the clients that send no
``Origin`` (every SDK and backend): the hooks return at once for them.
"""
from __future__ import annotations

from typing import Optional

from flask import Flask, Response, request

from .control.admin import is_open

ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
PREFLIGHT_MAX_AGE = "600"


def cross_origin_allowed() -> bool:
    return is_open(request.path)


def answer_preflight() -> Optional[Response]:
    """``OPTIONS`` with ``Access-Control-Request-Method``: answered before any route, fault or journal."""
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers \
            or not cross_origin_allowed():
        return None
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
    response.headers["Access-Control-Allow-Headers"] = request.headers.get("Access-Control-Request-Headers", "*")
    response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def allow_origin(response: Response) -> Response:
    origin = request.headers.get("Origin")
    if origin and cross_origin_allowed():
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "*"
        response.vary.add("Origin")
    return response


def install(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, answer_preflight)
    app.after_request(allow_origin)
