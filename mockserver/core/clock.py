"""The one clock of a mock server.

Every expiry, timestamp and rid suffix reads ``Clock.now()``. The control plane moves it with
``advance``/``set``; a frozen clock (``start`` given, ``frozen=True``) only moves when told to, which
makes whole responses — timestamps included — reproducible.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Optional


class Clock:
    def __init__(self, start: Optional[float] = None, frozen: bool = False,
                 source: Callable[[], float] = time.time):
        self._source = source
        self._frozen = frozen
        self._lock = threading.Lock()
        self._initial = (start, frozen)
        self._offset = 0.0
        self._frozen_at = 0.0
        self._apply_start(start)

    def _apply_start(self, start: Optional[float]) -> None:
        real = self._source()
        base = real if start is None else float(start)
        self._frozen_at = base
        self._offset = base - real

    def now(self) -> float:
        """Seconds since the epoch, as the emulated services see them."""
        if self._frozen:
            return self._frozen_at
        return self._source() + self._offset

    def now_int(self) -> int:
        return int(self.now())

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._offset += seconds
            self._frozen_at += seconds
        return self.now()

    def set(self, epoch: float) -> float:
        with self._lock:
            self._offset = float(epoch) - self._source()
            self._frozen_at = float(epoch)
        return self.now()

    @property
    def offset(self) -> float:
        """How far the clock stands from real time (0 for a clock never moved nor started elsewhere)."""
        return self.now() - self._source()

    @property
    def frozen(self) -> bool:
        return self._frozen

    def reset(self) -> None:
        """Back to how the clock was built (used by the control plane's reset)."""
        with self._lock:
            self._apply_start(self._initial[0])
