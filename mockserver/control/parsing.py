"""Reading control-plane requests: JSON objects in, ``ControlError`` (4xx) when they are not."""
from __future__ import annotations

from typing import Any, Dict

from ..core.errors import ControlError
from ..http import NO_BODY, request_json


def body() -> Dict[str, Any]:
    """The JSON object body (empty when there is none)."""
    data = request_json()
    if data is NO_BODY:
        return {}
    if not isinstance(data, dict):
        raise ControlError("body must be a JSON object")
    return data


def required(data: Dict[str, Any], name: str) -> Any:
    value = data.get(name)
    if value in (None, ""):
        raise ControlError(f"'{name}' is required")
    return value
