"""Calling the Flask app in-process: one HTTP exchange as a plain WSGI call, no sockets."""
from __future__ import annotations

import io
import sys
from typing import Iterable, List, Mapping, Optional, Tuple, Union
from urllib.parse import unquote_to_bytes, urlsplit

Headers = List[Tuple[str, str]]
#: What callers pass: ``requests`` lets a header value be bytes.
RequestHeaders = Mapping[str, Union[str, bytes]]
DEFAULT_PORTS = {"http": "80", "https": "443"}


def environ_for(method: str, url: str, headers: RequestHeaders, body: bytes) -> dict:
    """The WSGI environ a real server would build for this request (PEP 3333)."""
    parts = urlsplit(url)
    scheme = parts.scheme or "http"
    environ = {
        "REQUEST_METHOD": method.upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(parts.path or "/").decode("latin-1"),
        "QUERY_STRING": parts.query,
        "SERVER_NAME": parts.hostname or "localhost",
        "SERVER_PORT": str(parts.port) if parts.port else DEFAULT_PORTS.get(scheme, "80"),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": parts.netloc,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if isinstance(value, bytes):  # requests lets a header be bytes; WSGI wants latin-1 text (PEP 3333)
            value = value.decode("latin-1")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key not in ("CONTENT_LENGTH", "HOST"):
            environ["HTTP_" + key] = value
    return environ


def call(app, method: str, url: str, headers: Optional[RequestHeaders] = None,
         body: bytes = b"") -> Tuple[int, str, Headers, bytes]:
    """Run one request through ``app``: ``(status, reason, headers, body)``."""
    answer: dict = {}
    parts: List[bytes] = []

    def start_response(status: str, response_headers: Headers, exc_info=None):
        answer["status"], answer["headers"] = status, response_headers
        return parts.append  # the legacy write() callable

    chunks: Iterable[bytes] = app(environ_for(method, url, headers or {}, body), start_response)
    try:
        parts.extend(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    code, _, reason = answer["status"].partition(" ")
    return int(code), reason, answer["headers"], b"".join(parts)
