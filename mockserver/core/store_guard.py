"""What the shared backends (SQLite, Redis) add to every store call: faults answered, lost state noticed.

- **Faults.** A call that fails because the backend cannot serve it — Redis down, past its timeout
  or refusing writes; SQLite locked past its busy timeout or its file unusable — raises
  ``StoreUnavailable`` instead of the client library's exception, so the app answers it in each
  service's own format. The first failure and the recovery are logged once each.
- **Lost state.** Once armed (``on_state_lost``), the store checks that the backend still holds
  the state it was initialised with (its start-up marker, or the SQLite file it opened): before a
  call, at most once every ``check_interval`` seconds (a FLUSHALL, a file deleted or replaced),
  and after a call that opened a new connection (Redis may have restarted empty: the call then
  runs again on the state reloaded; a ``change`` may run more than once anyway). A check is one
  cheap round trip (SQLite: one ``stat``). Found lost, it calls the recovery (the runtime reloads
  the fixture).

Every public method of a subclass is wrapped so when the class is defined; a call made from inside
one (``update`` → ``update_many``, the recovery's own calls) is part of the outer call.
"""
from __future__ import annotations

import functools
import inspect
import logging
import math
import threading
import time
import types
from typing import Any, Callable, Dict, Optional, Set, Tuple

from .store import LOST_STATE, META, Store, StoreUnavailable

log = logging.getLogger("mockserver.store")

#: Seconds a backend call may take (Redis socket timeouts, SQLite busy timeout), unless the
#: ``--state`` URL says ``?timeout=``.
DEFAULT_TIMEOUT = 5.0
#: How often, at most, a store checks that the backend still holds its state (``?check_ms=``).
DEFAULT_CHECK_MS = 1000
#: Methods that are not store calls: nothing to translate or check.
UNGUARDED = frozenset({"close", "status", "on_state_lost"})

_wrappers: Set[Callable] = set()  # the guards made so far: a class inherits them already wrapped


def backend_options(url: str, query: Dict[str, str]) -> Tuple[float, float]:
    """``(timeout, check_interval)`` in seconds from a ``--state`` URL's ``timeout`` and
    ``check_ms`` parameters (ValueError naming the URL when one is not a number in range)."""
    def number(name: str, default: float, valid: Callable[[float], bool], wanted: str) -> float:
        raw = query.get(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and valid(value)):
            raise ValueError(f"{url!r}: {name} must be {wanted}")
        return value
    timeout = number("timeout", DEFAULT_TIMEOUT, lambda value: value > 0, "a number of seconds above 0")
    check_ms = number("check_ms", DEFAULT_CHECK_MS, lambda value: value >= 0, "a number of ms, 0 or more")
    return timeout, check_ms / 1000


def _guard(method: Callable) -> Callable:
    @functools.wraps(method)
    def guarded(self: "GuardedStore", *args, **kwargs):
        calls = self._calls
        if getattr(calls, "active", False):  # made by a guarded call: part of it
            return method(self, *args, **kwargs)
        calls.active = True
        try:
            return self._call(method, args, kwargs, always_check=False)
        finally:
            calls.active = False
    _wrappers.add(guarded)
    return guarded


class GuardedStore(Store):
    """Base of the shared backends. A subclass says how its client's errors read (``_fault``),
    whether the state is still there (``_state_lost``) and, if it can tell, how many connections
    it has opened (``_connections``)."""

    shared = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in {name for klass in cls.__mro__ for name in vars(klass)}:
            attribute = inspect.getattr_static(cls, name)
            if (not name.startswith("_") and name not in UNGUARDED
                    and isinstance(attribute, types.FunctionType) and attribute not in _wrappers):
                setattr(cls, name, _guard(attribute))

    def __init__(self, check_interval: float):
        super().__init__()
        self._check_interval = check_interval
        self._calls = threading.local()
        self._recover: Optional[Callable[[str], None]] = None
        self._next_check = 0.0
        self._down: Optional[str] = None  # what the last failure said, until a call succeeds

    # --- what a backend says -----------------------------------------------------------------
    def _fault(self, exc: Exception) -> Optional[str]:
        """What ``exc`` says if it means the backend cannot serve calls; None for anything else."""
        raise NotImplementedError

    def _state_lost(self) -> Optional[str]:
        """Why the backend may have lost the state (then the recovery loads the fixture unless the
        start-up marker is there); None if it surely holds it."""
        raise NotImplementedError

    def _connections_opened(self) -> int:
        """How many connections the store has opened so far (a new one may be to a restarted server)."""
        return 0

    # --- the guard -----------------------------------------------------------------------------
    def on_state_lost(self, recover):
        self._recover = recover
        self._next_check = time.monotonic() + self._check_interval

    def status(self):
        def read(store: "GuardedStore") -> Dict[str, Any]:
            record = store.get(META, LOST_STATE)
            return {"backend": store.backend, **({"lost_state": record} if record else {})}
        return self._call(read, (), {}, always_check=True)

    def _call(self, method: Callable, args: tuple, kwargs: dict, always_check: bool) -> Any:
        try:
            self._check_state(always_check)
            opened = self._connections_opened()
            result = method(self, *args, **kwargs)
            if self._recover is not None and self._connections_opened() != opened and self._recovered():
                result = method(self, *args, **kwargs)  # it ran on the empty backend: again, on the state reloaded
        except StoreUnavailable as exc:
            self._went_down(exc)
            raise
        except Exception as exc:
            detail = self._fault(exc)
            if detail is None:
                raise
            error = StoreUnavailable(self.backend, detail)
            self._went_down(error)
            raise error from exc
        if self._down is not None:
            self._down = None
            log.warning("the %s state backend answers again", self.backend)
        return result

    def _check_state(self, always: bool) -> None:
        """Before a call: the state check, when one is due."""
        if self._recover is None:
            return
        now = time.monotonic()
        if always or now >= self._next_check:
            self._next_check = now + self._check_interval
            self._recovered()

    def _recovered(self) -> bool:
        """Whether the state was found lost (and the recovery called)."""
        why = self._state_lost()
        if why is None:
            return False
        assert self._recover is not None
        self._recover(why)
        return True

    def _went_down(self, error: StoreUnavailable) -> None:
        if self._down is None:
            log.warning("%s", error)
        self._down = error.detail
