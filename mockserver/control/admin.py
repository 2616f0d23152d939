"""``--admin-token``: the control plane answers only callers that show the token.

Accepted as ``Authorization: Bearer <token>``, an ``X-Mock-Admin-Token`` header, or the
``mock_admin_token`` cookie, which opening the dashboard once as ``/__mock__/?admin_token=<token>``
sets. ``/__mock__/health`` and ``/__mock__/wx.js`` stay open: they reveal nothing.
"""
from __future__ import annotations

import hmac
from typing import Optional

from flask import Flask, Response, jsonify, request

from ..app import runtime

COOKIE = "mock_admin_token"
OPEN_PATHS = ("/__mock__/health", "/__mock__/wx.js")


def presented_token() -> Optional[str]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer "):]
    return (request.headers.get("X-Mock-Admin-Token") or request.args.get("admin_token")
            or request.cookies.get(COOKIE))


def check_admin_token() -> Optional[Response]:
    token = runtime().config.admin_token
    if not token or not request.path.startswith("/__mock__") or request.path in OPEN_PATHS \
            or request.method == "OPTIONS":
        return None
    presented = presented_token()
    if presented and hmac.compare_digest(presented.encode(), token.encode()):
        return None
    response = jsonify({"error": "this mock's control plane needs its admin token: send "
                                 "'Authorization: Bearer <token>' or open /__mock__/?admin_token=<token>"})
    response.status_code = 401
    return response


def remember_token(response: Response) -> Response:
    """The dashboard opened with ``?admin_token=`` keeps working as the user clicks around."""
    token = runtime().config.admin_token
    if token and request.args.get("admin_token") == token:
        response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/__mock__")
    return response


def install(app: Flask) -> None:
    if app.extensions["mockserver"].config.admin_token:
        app.before_request(check_admin_token)
        app.after_request(remember_token)
