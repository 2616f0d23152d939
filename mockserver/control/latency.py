"""How long a fault or stub rule waits before it answers (``latency_ms``).

Three shapes, checked when a rule is posted and drawn per firing from the server's seeded random
source (the same seed gives the same delays):

- a number: that many milliseconds, every time;
- ``{"min": a, "max": b}``: uniform between the two;
- ``{"median": m, "p99": p, "max": c}``: log-normal with that median and 99th percentile, capped at
  ``max`` (real networks have a long tail; the cap keeps a test bounded).
"""
from __future__ import annotations

import math
from typing import Any, Dict, Union

from ..core.errors import ControlError
from ..core.ids import RandomSource

MAX_LATENCY_MS = 120_000
#: The standard normal's 99th percentile, ``statistics.NormalDist().inv_cdf(0.99)``: p99 = median ·
#: exp(sigma · Z99). Written out because ``statistics`` (with ``fractions``) costs about 2 ms of
#: start-up, and this module loads with the server; it is imported when a log-normal delay is drawn.
Z99 = 2.3263478740408408
SHAPES = ("a number of milliseconds", '{"min", "max"} (uniform)', '{"median", "p99", "max"} (log-normal, capped)')
Latency = Union[int, float, Dict[str, float]]


def parse(value: Any) -> Latency:
    """A posted ``latency_ms`` as the rule stores it (``ControlError`` naming what is wrong)."""
    if _milliseconds(value):
        return value
    if isinstance(value, dict) and set(value) == {"min", "max"}:
        _each(value)
        if value["min"] > value["max"]:
            raise ControlError("latency_ms: 'min' must not exceed 'max'")
        return dict(value)
    if isinstance(value, dict) and set(value) == {"median", "p99", "max"}:
        _each(value)
        if not 0 < value["median"] <= value["p99"] <= value["max"]:
            raise ControlError("latency_ms: give 0 < median <= p99 <= max")
        return dict(value)
    raise ControlError(f"'latency_ms' must be {', '.join(SHAPES[:-1])} or {SHAPES[-1]}, "
                       f"each from 0 to {MAX_LATENCY_MS} ms")


def draw(latency: Latency, random: RandomSource) -> float:
    """Milliseconds to wait this time (a fixed delay draws nothing from the random source)."""
    if not isinstance(latency, dict):
        return float(latency)
    if "min" in latency:
        return latency["min"] + (latency["max"] - latency["min"]) * random.random()
    if latency["median"] == latency["p99"]:
        return float(latency["median"])
    sigma = (math.log(latency["p99"]) - math.log(latency["median"])) / Z99
    u = min(max(random.random(), 1e-12), 1 - 1e-12)  # inv_cdf takes the open interval (0, 1)
    from statistics import NormalDist

    return min(latency["median"] * math.exp(sigma * NormalDist().inv_cdf(u)), latency["max"])


def _each(value: Dict[str, Any]) -> None:
    for name, number in value.items():
        if not _milliseconds(number):
            raise ControlError(f"latency_ms.{name} must be a number of milliseconds from 0 to {MAX_LATENCY_MS}")


def _milliseconds(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= MAX_LATENCY_MS
