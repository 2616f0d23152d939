"""The one clock of a mock server.

Every expiry, timestamp and rid suffix reads ``Clock.now()``. The control plane moves it with
``advance``/``set``; a frozen clock (``start`` given, ``frozen=True``) only moves when told to, which
makes whole responses — timestamps included — reproducible.

The clock's state is how far it stands from real time (``offset``) and, for a frozen clock, the
instant it shows (``frozen_at``). Given a shared store (SQLite, Redis), that state lives in the
store, so every process on it shows the same time and a move made through one is seen by all.
Between ``begin_request`` and ``end_request`` (the app's hooks, on a shared store) a thread
reads that state from the store once and reuses it: a request sees one clock, at the cost of one
read, and a move it makes itself is seen at once.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Callable, Dict, List, Optional

from .store import META, UNCHANGED, Store

STATE_KEY = "clock"
#: The clock stays within unsigned 32-bit Unix time (up to 2106): rids, JWTs and dates all fit.
LATEST = 2 ** 32 - 1


def _seconds(value: object, what: str) -> float:
    try:
        if (type(value) is int or type(value) is float) and math.isfinite(value):
            return float(value)
    except OverflowError:  # an int too large for a float
        pass
    raise ValueError(f"{what} must be a finite number of seconds")


class Clock:
    def __init__(self, start: Optional[float] = None, frozen: bool = False,
                 source: Callable[[], float] = time.time, store: Optional[Store] = None):
        self._source = source
        self._frozen = frozen
        self._start = start
        self._store = store
        self._lock = threading.Lock()
        self._request = threading.local()  # this thread's request: the state it read, if any
        self._listeners: List[Callable[[], None]] = []
        initial = self._initial_state()
        self._last_read = initial  # the state last read from a shared store (see last_known)
        if store is None:
            self._local = initial
        else:  # the first process on a store sets the clock; later ones (and restarts) adopt it
            store.update(META, STATE_KEY, lambda current: (UNCHANGED if current else initial, None))

    def _initial_state(self) -> Dict[str, float]:
        real = self._source()
        base = real if self._start is None else float(self._start)
        return {"offset": base - real, "frozen_at": base}

    def _state(self) -> Dict[str, float]:
        if self._store is None:
            return self._local
        request = self._request
        if getattr(request, "active", False):
            if request.state is None:
                request.state = self._read()
            return request.state
        return self._read()

    def _read(self) -> Dict[str, float]:
        assert self._store is not None
        state = self._last_read = self._store.get(META, STATE_KEY) or self._initial_state()
        return state

    def _change(self, change: Callable[[Dict[str, float]], Dict[str, float]]) -> None:
        if self._store is None:
            with self._lock:
                self._local = change(self._local)
            return
        initial = self._initial_state()

        def move(current):
            moved = change(current or initial)
            return moved, moved
        moved = self._last_read = self._store.update(META, STATE_KEY, move)
        if getattr(self._request, "active", False):
            self._request.state = moved

    def on_move(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` (which must return at once) after every ``advance``, ``set`` and
        ``reset`` made through this process: what is due by the clock can then run."""
        self._listeners.append(listener)

    def _moved(self) -> None:
        for listener in self._listeners:
            listener()

    def begin_request(self) -> None:
        """From now until ``end_request``, this thread reads the shared state at most once."""
        self._request.active, self._request.state = True, None

    def pin(self, state: Optional[Dict[str, float]]) -> None:
        """This request's clock is ``state``, read from the store by the caller together with
        other entries (one round trip for both); only between ``begin_request`` and ``end_request``."""
        if getattr(self._request, "active", False) and state is not None:
            self._request.state = state

    def end_request(self) -> None:
        self._request.active, self._request.state = False, None

    def now(self) -> float:
        """Seconds since the epoch, as the emulated services see them."""
        return self._time(self._state())

    def last_known(self) -> float:
        """The time by the state this process last read, without reading the store: for answers
        given while the store cannot be reached (the rid of WeChat's ``-1 system error``)."""
        return self._time(self._local if self._store is None else self._last_read)

    def _time(self, state: Dict[str, float]) -> float:
        if self._frozen:
            return state["frozen_at"]
        return self._source() + state["offset"]

    def now_int(self) -> int:
        return int(self.now())

    def advance(self, seconds: float) -> float:
        """Move the clock by ``seconds`` (ValueError, and no move, if it would leave 0..2**32-1)."""
        seconds = _seconds(seconds, "advance")
        target = self.now() + seconds
        if not 0 <= target <= LATEST:
            raise ValueError(f"the clock would stand at {target:.0f}, outside 0..{LATEST}")
        self._change(lambda s: {"offset": s["offset"] + seconds, "frozen_at": s["frozen_at"] + seconds})
        self._moved()
        return self.now()

    def set(self, epoch: float) -> float:
        """Set the clock to ``epoch`` (ValueError, and no move, outside 0..2**32-1)."""
        epoch = _seconds(epoch, "set")
        if not 0 <= epoch <= LATEST:
            raise ValueError(f"set must be an epoch from 0 to {LATEST}")
        real = self._source()  # read here: a change is pure and may run more than once
        self._change(lambda s: {"offset": epoch - real, "frozen_at": epoch})
        self._moved()
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
        initial = self._initial_state()
        self._change(lambda s: initial)
        self._moved()
