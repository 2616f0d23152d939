"""``intercept()`` for ``requests``: ``HTTPAdapter.send`` answers the mocked hosts from the mock app
in-process and refuses the others (``InterceptError``) unless ``passthrough`` allows. requests is
optional: ``install`` does nothing when it is not importable."""
from __future__ import annotations

from email.message import Message
from io import BytesIO
from typing import Any, Callable, Iterable, Optional

_original: Optional[Callable[..., Any]] = None
_current: Optional[Callable[[], Any]] = None


def install(current: Callable[[], Any]) -> bool:
    """Patch ``HTTPAdapter.send``; ``current()`` gives the active interception. False without requests."""
    global _original, _current
    try:
        from requests.adapters import HTTPAdapter
    except ImportError:
        return False
    _current, _original = current, HTTPAdapter.send
    setattr(HTTPAdapter, "send", _send)  # (mypy rejects assigning to a method)
    return True


def uninstall() -> None:
    global _original
    from requests.adapters import HTTPAdapter

    setattr(HTTPAdapter, "send", _original)
    _original = None


def _send(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
    interception, original = (_current() if _current else None), _original
    if original is None:  # uninstalled while this request was on its way
        from requests.adapters import HTTPAdapter

        return HTTPAdapter.send(adapter, request, *args, **kwargs)
    if interception is None or not interception.route(request.method, request.url, request):
        return original(adapter, request, *args, **kwargs)
    return _dispatch(interception, adapter, request)


def _dispatch(interception: Any, adapter: Any, request: Any) -> Any:
    from urllib3 import HTTPResponse

    status, reason, headers, body = interception.answer(request.method, request.url, request.headers,
                                                        _body_bytes(request.body))
    # urllib3 types headers= as a mapping but takes (name, value) pairs too, which keep repeated
    # headers (Set-Cookie); _HeaderSource stands in for http.client's response.
    raw = HTTPResponse(body=BytesIO(body), headers=headers,
                       status=status, reason=reason, preload_content=False, decode_content=False,
                       original_response=_HeaderSource(headers),  # type: ignore[arg-type]
                       request_url=request.url)
    return adapter.build_response(request, raw)


class _HeaderSource:
    """Stands in for ``http.client.HTTPResponse``: requests reads Set-Cookie from its ``msg``;
    urllib3 asks whether it is closed and closes it."""

    def __init__(self, headers: Iterable):
        self.msg = Message()
        for name, value in headers:
            self.msg[name] = value

    def isclosed(self) -> bool:
        return True

    def close(self) -> None:
        pass


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else data
    return b"".join(chunk.encode("utf-8") if isinstance(chunk, str) else chunk for chunk in body)
