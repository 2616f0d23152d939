"""How Authing routes may be stubbed (``EmulatedService.stubs``; the rules: ``control/stubs.py``).

Every Authing API family answers a JSON object; its ``code``, ``statusCode`` and ``apiCode``, where
present, are integers and its ``message`` a string.
"""
from __future__ import annotations

from typing import Any, Optional

from ..core.errors import ControlError
from ..emulation import StubFormat

JSON_TYPE = "application/json"
INTEGER_FIELDS = ("code", "statusCode", "apiCode")


def check(route: str, status: int, body: Any, raw: Optional[bytes]) -> str:
    if raw is not None or not isinstance(body, dict):
        raise ControlError("an Authing answer is a JSON object: give it as 'body'")
    for name in INTEGER_FIELDS:
        if name in body and (not isinstance(body[name], int) or isinstance(body[name], bool)):
            raise ControlError(f"an Authing answer's {name!r} is an integer")
    if "message" in body and not isinstance(body["message"], str):
        raise ControlError("an Authing answer's 'message' is a string")
    return JSON_TYPE


STUBS = StubFormat(check)
