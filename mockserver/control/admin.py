"""Who may drive the control plane.

- Browsers only from the mock's own origin (the dashboard): a page on any other site that the
  developer happens to open must not read app secrets or reset state at 127.0.0.1. Browsers say
  where a request comes from (``Origin``); SDKs, curl and tests send none and are not affected.
- Only requests that name this server as their ``Host``: an IP address, ``localhost``, the
  ``--host`` and ``--public-url`` names, or an emulated service's real host (answered in-process
  by ``intercept()``). A page on a domain that an attacker rebinds to 127.0.0.1 sends that
  domain as its Host, and is refused: DNS rebinding cannot reach the control plane.
- With ``--admin-token``, only callers that show the token. Accepted as
  ``Authorization: Bearer <token>``, an ``X-Mock-Admin-Token`` header, or the ``mock_admin_token``
  cookie, which opening the dashboard once as ``/__mock__/?admin_token=<token>`` sets.
  ``/__mock__/health`` and the paths services declare open (the ``wx`` shim) stay open: they
  reveal nothing.
"""
from __future__ import annotations

import hmac
import ipaddress
from fnmatch import fnmatchcase
from typing import Optional
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, request

from ..runtime import EXTENSION, current

COOKIE = "mock_admin_token"


def is_open(path: str) -> bool:
    """A control path any caller may use, or a path outside the control plane."""
    return not path.startswith("/__mock__") or path in current().open_control_paths


def presented_token() -> Optional[str]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer "):]
    return (request.headers.get("X-Mock-Admin-Token") or request.args.get("admin_token")
            or request.cookies.get(COOKIE))


def check_admin_token() -> Optional[Response]:
    token = current().config.admin_token
    if not token or is_open(request.path) or request.method == "OPTIONS":
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
    token = current().config.admin_token
    if token and request.args.get("admin_token") == token:
        response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/__mock__")
    return response


def refuse_other_origins() -> Optional[Response]:
    origin = request.headers.get("Origin")
    if origin is None or is_open(request.path):
        return None
    if origin.rstrip("/") == request.host_url.rstrip("/"):
        return None
    response = jsonify({"error": f"the control plane answers no page from another origin ({origin}); "
                                 "call it from a test, a script or its own dashboard"})
    response.status_code = 403
    return response


def known_host(host: str, names) -> bool:
    """Whether a ``Host`` header (``name[:port]``) is an IP address or one of ``names``' patterns."""
    try:
        name = urlsplit("//" + host).hostname or ""
    except ValueError:
        return False
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return any(fnmatchcase(name, pattern) for pattern in names)


def refuse_foreign_hosts() -> Optional[Response]:
    if is_open(request.path):
        return None
    names = current().control_hosts
    if known_host(request.host, names):
        return None
    response = jsonify({"error": f"the control plane answers only to its own host names, not {request.host!r} "
                                 "(a page on a rebound domain is refused); use 127.0.0.1 or localhost, or start "
                                 "the mock with --public-url naming this host"})
    response.status_code = 403
    return response


def install(app: Flask) -> None:
    app.before_request(refuse_foreign_hosts)
    app.before_request(refuse_other_origins)
    if app.extensions[EXTENSION].config.admin_token:
        app.before_request(check_admin_token)
        app.after_request(remember_token)
