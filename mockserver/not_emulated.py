"""Requests that no route emulates are never silent: they are answered in the wire format that owns
the path (WeChat's ``40066 invalid url``, as the real service answers a path it does not know),
the answer carries ``X-Mock-Not-Emulated: 1``, the log warns once per path, and the journal entry
says ``"emulated": false`` — so a user can tell "wrong URL" from "the mock lacks this".

The control plane's own unknown paths (``/__mock__/...``) are ordinary 404s.
"""
from __future__ import annotations

import logging
import threading
from typing import Set

from flask import Request, Response
from werkzeug.exceptions import HTTPException, NotFound

from .emulation import WireFormat

HEADER = "X-Mock-Not-Emulated"
CONTROL_PREFIX = "/__mock__"
#: Paths a process warns about by name; past this many, one last warning says the rest go unnamed.
WARNED_PATHS = 1000
log = logging.getLogger("mockserver")


def applies(req: Request) -> bool:
    """No route matches the request's path (a wrong method on a known path is emulated)."""
    return req.url_rule is None and isinstance(req.routing_exception, NotFound) \
        and not req.path.startswith(CONTROL_PREFIX)


class NotEmulated:
    """One app's answers to paths it does not emulate, and the paths it has warned about."""

    def __init__(self) -> None:
        self._warned: Set[str] = set()
        self._lock = threading.Lock()

    def answer(self, fmt: WireFormat, exc: HTTPException, req: Request) -> Response:
        response = (fmt.not_emulated or fmt.http_error)(exc)
        response.headers[HEADER] = "1"
        self._warn_once(req.method, req.path)
        return response

    def _warn_once(self, method: str, path: str) -> None:
        with self._lock:
            if path in self._warned or len(self._warned) > WARNED_PATHS:
                return
            self._warned.add(path)
            last = len(self._warned) > WARNED_PATHS
        log.warning("not emulated: %s %s (answered with %s: 1)%s", method,
                    path[:200], HEADER, "; further paths are not named" if last else "")
