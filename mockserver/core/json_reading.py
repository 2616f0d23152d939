"""Reading JSON text as the emulated services read it, for request bodies and fixture files alike."""
from __future__ import annotations

import json
import math
import re
from typing import Any

#: What ``parse_json`` gives for text that is not JSON (or nests deeper than ``MAX_JSON_DEPTH``).
INVALID_JSON = object()
#: How deep a JSON body may nest. Real API bodies nest a few levels; a deeper one is refused as
#: not JSON before anything recursive (masking, copying, GraphQL) walks it into a RecursionError.
MAX_JSON_DEPTH = 64


def parse_json(raw: Any) -> Any:
    """``raw`` (bytes or text) parsed as ``decode_json`` does, or ``INVALID_JSON``; linear in its
    size whatever its shape."""
    try:
        value = decode_json(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError included; RecursionError: thousands of levels
        return INVALID_JSON
    return value if _nests_within(value, MAX_JSON_DEPTH) else INVALID_JSON


def _nests_within(value: Any, limit: int) -> bool:
    """Whether ``value`` nests at most ``limit`` containers deep (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if type(item) is dict else item if type(item) is list else None
        if children is None:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children if type(child) in (dict, list))
    return True


def is_integer(value: Any) -> bool:
    """Whether a JSON value read by ``decode_json`` is an integer (Python's ``bool`` is an ``int``)."""
    return isinstance(value, int) and not isinstance(value, bool)


def decode_json(raw: Any) -> Any:
    """``raw`` read as the services read JSON (``ValueError`` saying why it is not):

    - ``NaN`` and ``Infinity`` are not JSON (RFC 8259), nor a number past a double's range
      (``1e400``): Python alone reads them all, and would write them back into answers no client
      can parse;
    - a lone UTF-16 surrogate (``"\\ud800"``, or its bytes) becomes U+FFFD, what a Node service
      such as Authing's stores: it cannot be written as UTF-8, so kept as Python reads it, it
      would make every later answer that shows it fail.
    """
    if isinstance(raw, (bytes, bytearray)):
        raw = raw.decode(json.detect_encoding(raw), "surrogatepass")  # as json.loads decodes bytes
    value = _DECODER.decode(raw)
    return _without_lone_surrogates(value) if _MAYBE_SURROGATE.search(raw) else value


#: Where a lone surrogate may come from: one decoded from the bytes, or the escape of one (a
#: pair's two escapes are joined by the parser; text that only looks like an escape costs a walk).
_MAYBE_SURROGATE = re.compile(r"[\ud800-\udfff]|\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _not_a_number(literal: str) -> Any:
    raise ValueError(f"{literal} is not a JSON number")


def _finite(literal: str) -> float:
    number = float(literal)
    if math.isinf(number):
        raise ValueError(f"{literal} is out of a double's range")
    return number


#: Built once: ``json.loads`` with hooks builds a decoder per call (1.6 of 3.2 µs for a typical body).
_DECODER = json.JSONDecoder(parse_constant=_not_a_number, parse_float=_finite)


def _without_lone_surrogates(value: Any) -> Any:
    """``value`` with each lone surrogate in its strings and names replaced by U+FFFD."""
    kind = type(value)
    if kind is str:
        return _SURROGATE.sub("\ufffd", value)
    if kind is dict:
        return {_SURROGATE.sub("\ufffd", name): _without_lone_surrogates(member) for name, member in value.items()}
    if kind is list:
        return [_without_lone_surrogates(member) for member in value]
    return value
