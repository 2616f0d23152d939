"""``intercept()`` for the standard library's ``urllib.request``: its HTTP(S) handlers answer the
mocked hosts from the mock app in-process and refuse the others (``InterceptError``) unless
``passthrough`` allows. Statuses of 400 and above become ``HTTPError`` as urllib's own
processors make them, since the answer goes back through the opener like a real one."""
from __future__ import annotations

import email.message
import io
import urllib.request
import urllib.response
from typing import Any, Callable, Optional

_original: Optional[Callable[..., Any]] = None
_current: Optional[Callable[[], Any]] = None


def install(current: Callable[[], Any]) -> bool:
    """Patch ``AbstractHTTPHandler.do_open``; ``current()`` gives the active interception."""
    global _original, _current
    _current, _original = current, urllib.request.AbstractHTTPHandler.do_open
    setattr(urllib.request.AbstractHTTPHandler, "do_open", _do_open)
    return True


def uninstall() -> None:
    global _original
    setattr(urllib.request.AbstractHTTPHandler, "do_open", _original)
    _original = None


def _body(data: Any) -> bytes:
    if data is None:
        return b""
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if hasattr(data, "read"):
        return data.read()
    return b"".join(data)


def _do_open(handler: Any, http_class: Any, req: urllib.request.Request, **kwargs: Any) -> Any:
    interception = _current() if _current else None
    url = req.get_full_url()
    if interception is None or _original is None or not interception.route(req.get_method(), url):
        assert _original is not None
        return _original(handler, http_class, req, **kwargs)
    headers = dict(req.header_items())  # the request's headers and the opener's unredirected ones
    status, reason, answer_headers, body = interception.answer(req.get_method(), url, headers, _body(req.data))
    message = email.message.Message()
    for name, value in answer_headers:
        message[name] = value
    response = urllib.response.addinfourl(io.BytesIO(body), message, url, status)
    response.msg = reason  # type: ignore[attr-defined]  # what urllib's HTTPErrorProcessor reads
    return response
