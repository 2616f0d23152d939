"""Reading control-plane requests: JSON objects in, ``ControlError`` (4xx) when they are not; the
``offset``/``limit`` of every listing, and the shape of a page."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, NamedTuple

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


#: The page a listing answers when the query names none, the largest it answers, and the furthest
#: it skips (so that every backend can take the offset as it is).
DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET = 100, 1000, 10 ** 9
WHOLE_NUMBER = re.compile(r"^[0-9]{1,10}$")


class PageQuery(NamedTuple):
    offset: int
    limit: int


def page_query(args: Mapping[str, str]) -> PageQuery:
    """``?offset=&limit=`` of a listing: skip ``offset`` entries, answer at most ``limit``."""
    return PageQuery(_whole(args, "offset", 0, 0, MAX_OFFSET), _whole(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT))


def _whole(args: Mapping[str, str], name: str, default: int, lowest: int, highest: int) -> int:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    value = int(raw) if WHOLE_NUMBER.match(raw) else -1
    if not lowest <= value <= highest:
        raise ControlError(f"'{name}' must be a whole number from {lowest} to {highest}")
    return value


def page(name: str, total: int, entries: List[Any], query: PageQuery) -> Dict[str, Any]:
    """A listing's answer: the page under ``name``, with how many there are in all."""
    return {name: entries, "total": total, "offset": query.offset, "limit": query.limit}
