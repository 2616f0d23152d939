"""All state of a mock server, behind one interface.

State is a set of namespaces, each a map from string keys to JSON-like values (dicts, lists,
strings, numbers). A backend only keeps and hands back values; rules live in the services. Reads
return copies, so a caller can never change stored state by mutating what it got; every change
goes through ``put``, ``delete`` or the atomic ``update``/``update_many``.

The contract every caller keeps:

- A ``change`` given to ``update`` or ``update_many`` is pure: it computes from the values it is
  given and nothing else, may run more than once for one call (the Redis backend runs it again
  when another writer got in between), and never calls the store. With ``MOCKSERVER_STRICT_STORE=1``
  the memory backend checks this: it runs every change twice and refuses store calls made from
  inside one (``StoreContractError``); the test suite runs with it.
- Writes that belong together (a user and the entries that point at it) go in one
  ``update_many``: every backend applies them in one atomic step, so a crash never leaves half.
- A call the backend cannot serve (Redis down or past its timeout, SQLite locked past its busy
  timeout) raises ``StoreUnavailable``, whatever the client library raised: the app answers it in
  each service's own error format (``store_guard.py``).
"""
from __future__ import annotations

import abc
import os
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

Value = Any
State = Dict[str, Dict[str, Value]]
Key = Tuple[str, str]
#: ``update_many``'s change: current values (None if absent) → (new values, result).
ManyChange = Callable[[List[Optional[Value]]], Tuple[Sequence[Value], Any]]

#: Returned as the new value by an ``update`` function that leaves the entry as it was.
UNCHANGED = object()

#: The store's own bookkeeping (start-up marker, shared clock, start counter): kept by
#: ``replace_all``, so a reset to fixtures never rewinds it.
META = "mock.meta"
#: Sequence numbers of the control plane's own records (fault rules, journal entries).
COUNTERS = "mock.counters"
INITIALISED = "initialised"
#: What the store last noticed of a loss of its state (when, why, what was done): see ``Store.status``.
LOST_STATE = "lost_state"


def copy_value(value: Value) -> Value:
    """Deep copy of a JSON-like value (many times faster than ``copy.deepcopy``: scalars, most
    of a stored value, are taken as they are without a call each)."""
    kind = type(value)
    if kind is dict:
        return {k: copy_value(v) if type(v) in _CONTAINERS else v for k, v in value.items()}
    if kind is list:
        return [copy_value(v) if type(v) in _CONTAINERS else v for v in value]
    return value


_CONTAINERS = (dict, list)


class StoreUnavailable(Exception):
    """The state backend cannot serve a call: Redis down, too slow or refusing writes; SQLite
    locked past its busy timeout or its file unusable. ``backend`` names it ("redis", "sqlite")."""

    def __init__(self, backend: str, detail: str):
        super().__init__(f"the {backend} state backend is unavailable: {detail}")
        self.backend = backend
        self.detail = detail


class Store(abc.ABC):
    #: True when other processes may read and write the same state (SQLite, Redis): the clock
    #: then keeps its offset in the store, and each server start draws its own random stream.
    shared = False
    #: The backend's name, as ``/__mock__/health`` and ``StoreUnavailable`` give it.
    backend = "memory"

    @abc.abstractmethod
    def get(self, namespace: str, key: str) -> Optional[Value]:
        """The value under ``key``, or None."""

    @abc.abstractmethod
    def put(self, namespace: str, key: str, value: Value) -> None:
        ...

    @abc.abstractmethod
    def delete(self, namespace: str, key: str) -> bool:
        """Remove ``key``; True if it was there."""

    @abc.abstractmethod
    def items(self, namespace: str) -> List[Tuple[str, Value]]:
        """Every entry of a namespace, in insertion order."""

    def update(self, namespace: str, key: str,
               change: Callable[[Optional[Value]], Tuple[Value, Any]]) -> Any:
        """Atomically read-modify-write one entry.

        ``change`` gets the current value (None if absent) and returns ``(new_value, result)``;
        ``new_value`` is stored (``None`` deletes, ``UNCHANGED`` keeps) and ``result`` returned.
        No other writer sees or changes the entry in between: this is what makes a login code
        usable at most once under concurrent exchanges. ``change`` is pure (see above).
        """
        def change_one(values: List[Optional[Value]]) -> Tuple[Sequence[Value], Any]:
            new_value, result = change(values[0])
            return (new_value,), result
        return self.update_many([(namespace, key)], change_one)

    @abc.abstractmethod
    def update_many(self, keys: Sequence[Key], change: ManyChange) -> Any:
        """Atomically read-modify-write several entries, given as ``(namespace, key)`` pairs.

        ``change`` gets their current values, in order, and returns ``(new_values, result)``: one
        new value per key, each stored, deleted (``None``) or kept (``UNCHANGED``), all in one
        atomic step. ``change`` is pure (see above).
        """

    @abc.abstractmethod
    def replace_all(self, state: State) -> None:
        """Drop everything but ``META`` and load ``state`` (used to reset to fixtures)."""

    @abc.abstractmethod
    def initialise(self, state: State) -> bool:
        """Load ``state`` unless the store already holds state; True if it loaded it.

        Atomic: of several processes starting on one fresh shared store, one loads the fixture
        and none overwrites writes another has made since. A persisted store is resumed as is.
        """

    def close(self) -> None:
        """Release connections and files (before a fork, or at exit)."""

    def status(self) -> Dict[str, Any]:
        """What ``/__mock__/health`` says of the backend: its name and, if the store ever found
        its state lost, the ``LOST_STATE`` record. ``StoreUnavailable`` when it is down."""
        return {"backend": self.backend}

    def on_state_lost(self, recover: Callable[[str], None]) -> None:
        """From now on, call ``recover(why)`` when the backend is found without the state it was
        initialised with. The memory backend cannot lose it: nothing to watch."""

    def incr(self, namespace: str, key: str, amount: int = 1) -> int:
        return self.update(namespace, key, lambda n: ((n or 0) + amount, (n or 0) + amount))

    def values(self, namespace: str) -> List[Value]:
        return [value for _, value in self.items(namespace)]


class StoreContractError(AssertionError):
    """A caller broke the store's contract: a change that is not pure, or that calls the store."""


class MemoryStore(Store):
    """The default backend: dicts in this process behind one lock.

    ``strict`` (default: ``MOCKSERVER_STRICT_STORE=1``) checks the contract of ``change``.
    """

    def __init__(self, state: Optional[State] = None, strict: Optional[bool] = None):
        self._lock = threading.RLock()
        self._data: Dict[str, Dict[str, Value]] = {}
        self._strict = os.environ.get("MOCKSERVER_STRICT_STORE") == "1" if strict is None else strict
        self._changing = threading.local()
        if self._strict:
            self._guard_methods()
        if state:
            self.replace_all(state)

    def _guard_methods(self) -> None:
        """Every public method refuses to run from inside a ``change`` (strict mode only, so the
        default store pays nothing for the check)."""
        for name in ("get", "put", "delete", "items", "update", "update_many", "replace_all",
                     "initialise", "incr", "values"):
            method = getattr(self, name)

            def guarded(*args, _method=method, _name=name, **kwargs):
                if getattr(self._changing, "active", False):
                    raise StoreContractError(f"a change called store.{_name}(): changes never call the store")
                return _method(*args, **kwargs)
            setattr(self, name, guarded)

    def _run_change(self, change: ManyChange, current: List[Optional[Value]]) -> Tuple[Sequence[Value], Any]:
        if not self._strict:
            return change([copy_value(value) for value in current])
        self._changing.active = True
        try:
            first = change([copy_value(value) for value in current])
            second = change([copy_value(value) for value in current])
        finally:
            self._changing.active = False
        if first != second:
            raise StoreContractError(f"a change gave two answers for the same values: {first!r} and {second!r}")
        return second

    def get(self, namespace, key):
        with self._lock:
            return copy_value(self._data.get(namespace, {}).get(key))

    def put(self, namespace, key, value):
        value = copy_value(value)
        with self._lock:
            self._data.setdefault(namespace, {})[key] = value

    def delete(self, namespace, key):
        with self._lock:
            return self._data.get(namespace, {}).pop(key, None) is not None

    def items(self, namespace):
        with self._lock:
            return [(k, copy_value(v)) for k, v in self._data.get(namespace, {}).items()]

    def update_many(self, keys, change):
        with self._lock:
            current = [self._data.get(namespace, {}).get(key) for namespace, key in keys]
            new_values, result = self._run_change(change, current)
            check_count(keys, new_values)
            for (namespace, key), new_value in zip(keys, new_values):
                if new_value is None:
                    self._data.get(namespace, {}).pop(key, None)
                elif new_value is not UNCHANGED:
                    self._data.setdefault(namespace, {})[key] = copy_value(new_value)
            return result

    def replace_all(self, state):
        # Stored values are never mutated in place (every write stores a fresh copy), so the
        # fixture state can be shared by reference: a reset costs one dict copy per namespace.
        with self._lock:
            meta = self._data.get(META, {})
            self._data = {namespace: dict(entries) for namespace, entries in state.items()}
            self._data[META] = {**meta, INITIALISED: True}

    def initialise(self, state):
        with self._lock:
            if self._data.get(META, {}).get(INITIALISED):
                return False
            self.replace_all(state)
            return True


def check_count(keys: Sequence[Key], new_values: Sequence[Value]) -> None:
    if len(new_values) != len(keys):
        raise StoreContractError(f"update_many: {len(keys)} keys but {len(new_values)} new values")
