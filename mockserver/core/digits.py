"""``ascii_digits``: the one test for "a decimal number in text" that ``int()`` agrees with.

``str.isdigit`` also accepts digits such as ``²`` that ``int()`` refuses, so a check by it let
such input through to a ValueError (a 500 instead of the service's own error).
"""
from __future__ import annotations

from typing import Any


def ascii_digits(text: Any) -> bool:
    """Whether ``text`` is a non-empty string of the ASCII digits 0-9 only."""
    return isinstance(text, str) and text.isascii() and text.isdigit()
