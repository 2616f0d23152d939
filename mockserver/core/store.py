"""All state of a mock server, behind one interface.

State is a set of namespaces, each a map from string keys to JSON-like values (dicts, lists,
strings, numbers). A backend only keeps and hands back values; rules live in the services. Reads
return copies, so a caller can never change stored state by mutating what it got; every change
goes through ``put``, ``delete`` or the atomic ``update``.
"""
from __future__ import annotations

import abc
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

Value = Any
State = Dict[str, Dict[str, Value]]

#: Returned as the new value by an ``update`` function that leaves the entry as it was.
UNCHANGED = object()

#: The store's own bookkeeping (start-up marker, shared clock, start counter): kept by
#: ``replace_all``, so a reset to fixtures never rewinds it.
META = "mock.meta"
#: Sequence numbers of the control plane's own records (fault rules, journal entries).
COUNTERS = "mock.counters"
INITIALISED = "initialised"


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


class Store(abc.ABC):
    #: True when other processes may read and write the same state (SQLite, Redis): the clock
    #: then keeps its offset in the store, and each server start draws its own random stream.
    shared = False

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

    @abc.abstractmethod
    def update(self, namespace: str, key: str,
               change: Callable[[Optional[Value]], Tuple[Value, Any]]) -> Any:
        """Atomically read-modify-write one entry.

        ``change`` gets the current value (None if absent) and returns ``(new_value, result)``;
        ``new_value`` is stored (``None`` deletes, ``UNCHANGED`` keeps) and ``result`` returned.
        No other writer sees or changes the entry in between: this is what makes a login code
        usable at most once under concurrent exchanges.
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

    def incr(self, namespace: str, key: str, amount: int = 1) -> int:
        return self.update(namespace, key, lambda n: ((n or 0) + amount, (n or 0) + amount))

    def values(self, namespace: str) -> List[Value]:
        return [value for _, value in self.items(namespace)]


class MemoryStore(Store):
    """The default backend: dicts in this process behind one lock."""

    def __init__(self, state: Optional[State] = None):
        self._lock = threading.RLock()
        self._data: Dict[str, Dict[str, Value]] = {}
        if state:
            self.replace_all(state)

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

    def update(self, namespace, key, change):
        with self._lock:
            entries = self._data.setdefault(namespace, {})
            new_value, result = change(copy_value(entries.get(key)))
            if new_value is None:
                entries.pop(key, None)
            elif new_value is not UNCHANGED:
                entries[key] = copy_value(new_value)
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


def create_store(url: str) -> Store:
    """The backend a ``--state`` URL names: memory://, sqlite:///PATH or redis://HOST:PORT/DB."""
    if url in ("", "memory", "memory://"):
        return MemoryStore()
    if url.startswith("sqlite:"):
        from .store_sqlite import SqliteStore
        return SqliteStore.from_url(url)
    if url.startswith(("redis://", "rediss://", "unix://")):
        try:
            from .store_redis import RedisStore
        except ImportError as exc:
            if exc.name != "redis":
                raise
            raise ValueError(f"{url!r} needs the redis package: pip install 'mockserver[redis]'") from None
        return RedisStore.from_url(url)
    raise ValueError(f"unsupported state backend {url!r} "
                     "(use memory://, sqlite:///PATH or redis://HOST:PORT/DB)")
