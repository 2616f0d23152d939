"""``intercept()`` for httpx: its default transports, sync and async, answer the mocked hosts from
the mock app in-process and refuse the others (``InterceptError``) unless ``passthrough`` allows.

httpx is optional: ``install`` does nothing when it is not importable. Clients with a transport of
their own (``httpx.MockTransport``, Starlette's and FastAPI's ``TestClient``) are never touched.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

_originals: Dict[str, Callable[..., Any]] = {}
_current: Optional[Callable[[], Any]] = None


def install(current: Callable[[], Any]) -> bool:
    """Patch httpx's transports; ``current()`` gives the active interception. False without httpx."""
    global _current
    try:
        import httpx
    except ImportError:
        return False
    _current = current
    _originals["sync"] = httpx.HTTPTransport.handle_request
    _originals["async"] = httpx.AsyncHTTPTransport.handle_async_request
    setattr(httpx.HTTPTransport, "handle_request", _handle_request)
    setattr(httpx.AsyncHTTPTransport, "handle_async_request", _handle_async_request)
    return True


def uninstall() -> None:
    import httpx

    setattr(httpx.HTTPTransport, "handle_request", _originals.pop("sync"))
    setattr(httpx.AsyncHTTPTransport, "handle_async_request", _originals.pop("async"))


def _response(interception: Any, request: Any, body: bytes) -> Any:
    import httpx

    status, _, headers, content = interception.answer(request.method, str(request.url), request.headers, body)
    return httpx.Response(status, headers=headers, content=content, request=request)


def _handle_request(transport: Any, request: Any) -> Any:
    interception = _current() if _current else None
    if interception is None or not interception.route(request.method, str(request.url)):
        return _originals["sync"](transport, request)
    return _response(interception, request, request.read())


async def _handle_async_request(transport: Any, request: Any) -> Any:
    interception = _current() if _current else None
    if interception is None or not interception.route(request.method, str(request.url)):
        return await _originals["async"](transport, request)
    return _response(interception, request, await request.aread())
