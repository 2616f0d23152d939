"""Authing's routes: one module and one route table per API family (``connections``, ``v2``,
``v3``, ``graphql``, ``oidc``). A route reads the request into a ``Caller`` and plain arguments,
calls the domain, and answers through ``views``; errors are rendered by the family of the path."""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

from flask import Blueprint, request

from ...http import INVALID_JSON, NO_BODY, parse_json, request_json
from ...runtime import current
from ..caller import Caller
from ..errors import bad_request
from ..service import AuthingService

#: path → (allowed methods, handler), the shape of each family's table.
RouteTable = Dict[str, Tuple[Tuple[str, ...], Callable[..., Any]]]


def authing() -> AuthingService:
    return current().services["authing"]


def base_url() -> str:
    """Where the client reached us: --public-url if set, else scheme://Host of this request."""
    public = current().config.public_url
    # Scheme and Host as sent, the host lowercased: werkzeug's host_url also rebuilds and
    # IRI-decodes a whole URL (four times the cost, on every Authing request), and an issuer
    # should stay ASCII anyway.
    return public.rstrip("/") if public else f"{request.scheme}://{request.host.lower()}"


def caller() -> Caller:
    auth = request.headers.get("Authorization", "").strip()
    if auth.lower().startswith("bearer "):
        token: Optional[str] = auth[7:].strip()
    elif auth and " " not in auth:  # the Python 5.x SDK sends the bare token
        token = auth
    else:
        token = None
    app_id = (request.headers.get("x-authing-app-id") or request.args.get("app_id")
              or request.args.get("appId") or None)
    runtime = current()
    # The host names the control plane answers to are the mock's own: under --public-url only its one.
    own_hosts = () if runtime.config.public_url else runtime.control_hosts
    return Caller(app_id=app_id, pool_id=request.headers.get("x-authing-userpool-id") or None,
                  token=token, ip=request.remote_addr, base_url=base_url(), own_hosts=own_hosts,
                  language=request.headers.get("x-authing-lang"))


def json_object(text: Optional[str] = None, name: str = "请求体") -> Dict[str, Any]:
    """A JSON object: the request body ({} when empty, whatever Content-Type says), or ``text``, a
    JSON string inside the body (``rawData``). Authing's 400 when it is not one."""
    if text is None:
        value = request_json()
        if value is NO_BODY:
            return {}
    else:
        value = parse_json(text)
    if value is INVALID_JSON:
        raise bad_request(f"{name} 不是合法的 JSON")
    if not isinstance(value, dict):
        raise bad_request(f"{name} 必须是 JSON 对象")
    return dict(value)  # the parsed body is cached for the request: never change it in place


def flag(name: str) -> bool:
    return request.args.get(name, "").lower() in ("true", "1")


def register(blueprint: Blueprint, table: RouteTable) -> Blueprint:
    for path, (methods, handler) in table.items():
        blueprint.add_url_rule(path, endpoint=handler.__name__, view_func=handler, methods=list(methods))
    return blueprint
