"""All state of a mock server, behind one interface.

State is a set of namespaces, each a map from string keys to JSON-like values (dicts, lists,
strings, numbers). A backend only keeps and hands back values; rules live in the services. Reads
return copies, so a caller can never change stored state by mutating what it got; every change
goes through ``put``, ``put_many``, ``delete``, ``append``, ``prune`` or the atomic
``update``/``update_many``.

The contract every caller keeps:

- A ``change`` given to ``update`` or ``update_many`` is pure: it computes from the values it is
  given and nothing else, may run more than once for one call (the Redis backend runs it again
  when another writer got in between), and never calls the store. With ``MOCKSERVER_STRICT_STORE=1``
  the memory backend checks this: it runs every change twice and refuses store calls made from
  inside one (``StoreContractError``); the test suite runs with it.
- Writes that belong together (a user and the entries that point at it) go in one
  ``update_many`` (or ``put_many``): every backend applies them in one atomic step, so a crash
  never leaves half.
- The state given to ``replace_all``/``initialise`` is never changed afterwards (the runtime's
  fixture state): the memory backend shares its values, the shared backends keep a snapshot of it.
- A call the backend cannot serve (Redis down or past its timeout, SQLite locked past its busy
  timeout) raises ``StoreUnavailable``, whatever the client library raised: the app answers it in
  each service's own error format (``store_guard.py``).

At scale (100,000 users) nothing on a request's path or a control-plane page reads a whole
namespace: listings read a ``page`` and a ``count`` (in insertion order), live codes and tokens are
found through an index by expiry (``index_expiry``, ``expiring``), which also makes ``prune``
cheap, and a reset restores only what changed since the snapshot was loaded.
"""
from __future__ import annotations

import abc
import bisect
import itertools
import json
import os
import threading
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

Value = Any
State = Dict[str, Dict[str, Value]]
Key = Tuple[str, str]
#: ``update_many``'s change: current values (None if absent) → (new values, result).
ManyChange = Callable[[List[Optional[Value]]], Tuple[Sequence[Value], Any]]
#: When an entry of an indexed namespace expires (None: it does not), from its value.
Expiry = Callable[[Value], Optional[float]]
#: ``put_many``'s entries: (namespace, key, value).
Entry = Tuple[str, str, Value]
#: ``dump``'s entries: (namespace, key, the value's JSON as ``encode`` writes it).
EncodedEntry = Tuple[str, str, str]

#: A value as the shared backends store it and ``dump`` gives it (one encoder for every call:
#: ``json.dumps`` with options builds a new one each time).
encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

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


class Expiring(NamedTuple):
    """What ``expiring`` answers: how many entries are live, and the first of them."""
    total: int
    entries: List[Tuple[str, Value]]


def copy_value(value: Value) -> Value:
    """Deep copy of a JSON-like value (many times faster than ``copy.deepcopy``). A container is
    first copied whole in C, then only its nested containers are replaced by their copies: a third
    faster than building each container member by member (a user's 50 issued tokens: 37 → 26 µs)."""
    kind = type(value)
    if kind is dict:
        copied = value.copy()
        for key, member in value.items():
            if type(member) in _CONTAINERS:
                copied[key] = copy_value(member)
        return copied
    if kind is list:
        copied = value.copy()
        for index, member in enumerate(value):
            if type(member) in _CONTAINERS:
                copied[index] = copy_value(member)
        return copied
    return value


_CONTAINERS = (dict, list)


class StoreUnavailable(Exception):
    """The state backend cannot serve a call: Redis down, too slow or refusing writes; SQLite
    locked past its busy timeout or its file unusable. ``backend`` names it ("redis", "sqlite")."""

    def __init__(self, backend: str, detail: str):
        super().__init__(f"the {backend} state backend is unavailable: {detail}")
        self.backend = backend
        self.detail = detail
def expiry_of(expiry: Optional[Expiry], value: Value) -> Optional[float]:
    """An indexed entry's expiry (None for a value the function cannot read: it is then not indexed)."""
    if expiry is None:
        return None
    try:
        at = expiry(value)
    except (KeyError, TypeError, AttributeError):
        return None
    return float(at) if isinstance(at, (int, float)) and not isinstance(at, bool) else None


class Store(abc.ABC):
    #: True when other processes may read and write the same state (SQLite, Redis): the clock
    #: then keeps its offset in the store, and each server start draws its own random stream.
    shared = False
    #: The backend's name, as ``/__mock__/health`` and ``StoreUnavailable`` give it.
    backend = "memory"

    def __init__(self) -> None:
        self._expiries: Dict[str, Expiry] = {}

    @abc.abstractmethod
    def get(self, namespace: str, key: str) -> Optional[Value]:
        """The value under ``key``, or None."""

    def get_many(self, keys: Sequence[Key]) -> List[Optional[Value]]:
        """The values under several ``(namespace, key)`` pairs, None for those absent (one round
        trip on Redis)."""
        return [self.get(namespace, key) for namespace, key in keys]

    @abc.abstractmethod
    def put(self, namespace: str, key: str, value: Value) -> None:
        ...

    @abc.abstractmethod
    def put_many(self, entries: Sequence[Entry], unless: Optional[Key] = None) -> bool:
        """Write every ``(namespace, key, value)`` in one atomic step — unless the entry ``unless``
        exists: then nothing is written and the answer is False. The bulk write of a new app and
        its users' openids; cheaper than ``update_many`` for entries whose old value does not matter."""

    @abc.abstractmethod
    def delete(self, namespace: str, key: str) -> bool:
        """Remove ``key``; True if it was there."""

    @abc.abstractmethod
    def items(self, namespace: str) -> List[Tuple[str, Value]]:
        """Every entry of a namespace, in insertion order."""

    @abc.abstractmethod
    def page(self, namespace: str, offset: int, limit: int) -> List[Tuple[str, Value]]:
        """At most ``limit`` entries of a namespace from the ``offset``-th on, in insertion order."""

    @abc.abstractmethod
    def count(self, namespace: str) -> int:
        """How many entries a namespace holds."""

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
    def append(self, namespace: str, value: Value, keep: int) -> int:
        """A ring buffer: store ``value`` under the next number of ``namespace`` (1, 2, ...; the
        counter is ``COUNTERS``/``namespace``) and drop the entry ``keep`` numbers older, in one
        atomic step; the number."""

    # --- entries that expire ------------------------------------------------------------------
    def index_expiry(self, namespace: str, expiry: Expiry) -> None:
        """Index ``namespace``'s entries by ``expiry(value)``, a time in the clock's seconds (None:
        not indexed). Declared by the namespace's owner before it writes; every process sharing a
        store declares the same (the services do, as they are built)."""
        self._expiries[namespace] = expiry

    def indexed(self, namespace: str) -> bool:
        return namespace in self._expiries

    def expiry(self, namespace: str, value: Value) -> Optional[float]:
        """When ``value`` expires if stored in ``namespace`` (None: not indexed)."""
        return expiry_of(self._expiries.get(namespace), value)

    @abc.abstractmethod
    def expiring(self, namespace: str, after: float, limit: int) -> Expiring:
        """Entries of an indexed namespace that expire after ``after`` (the live ones, given the
        time now): how many, and the ``limit`` that expire soonest, soonest first."""

    @abc.abstractmethod
    def prune(self, namespace: str, before: float, limit: int) -> int:
        """Delete at most ``limit`` entries of an indexed namespace that expired before ``before``
        (oldest first); how many it deleted."""

    # --- the whole state ------------------------------------------------------------------
    @abc.abstractmethod
    def dump(self) -> List[EncodedEntry]:
        """Every entry but ``META``'s, encoded, in one consistent read (no write half seen):
        namespaces by name, each in insertion order. Linear in the state (a 100,000-user export)."""

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


class ExpiryIndex:
    """One namespace's entries sorted by expiry (the memory backend's; SQLite and Redis keep theirs
    in a table and a sorted set)."""

    def __init__(self) -> None:
        self.at: Dict[str, float] = {}
        self.order: List[Tuple[float, str]] = []  # sorted: new expiries land near the end

    def set(self, key: str, at: Optional[float]) -> None:
        self.remove(key)
        if at is not None:
            self.at[key] = at
            bisect.insort(self.order, (at, key))

    def remove(self, key: str) -> None:
        old = self.at.pop(key, None)
        if old is not None:
            del self.order[bisect.bisect_left(self.order, (old, key))]

    def after(self, moment: float) -> int:
        """Where the entries expiring after ``moment`` start in ``order``."""
        return bisect.bisect_right(self.order, moment, key=lambda pair: pair[0])

    def before(self, moment: float) -> int:
        """How many entries expire before ``moment``."""
        return bisect.bisect_left(self.order, moment, key=lambda pair: pair[0])


class MemoryStore(Store):
    """The default backend: dicts in this process behind one lock.

    ``strict`` (default: ``MOCKSERVER_STRICT_STORE=1``) checks the contract of ``change``.
    """

    def __init__(self, state: Optional[State] = None, strict: Optional[bool] = None):
        super().__init__()
        self._lock = threading.RLock()
        self._data: Dict[str, Dict[str, Value]] = {}
        self._indexes: Dict[str, ExpiryIndex] = {}
        self._strict = os.environ.get("MOCKSERVER_STRICT_STORE") == "1" if strict is None else strict
        self._changing = threading.local()
        if self._strict:
            self._guard_methods()
        if state:
            self.replace_all(state)

    def _guard_methods(self) -> None:
        """Every public method refuses to run from inside a ``change`` (strict mode only, so the
        default store pays nothing for the check)."""
        for name in ("get", "get_many", "put", "put_many", "delete", "items", "page", "count", "update",
                     "update_many", "append", "expiring", "prune", "replace_all", "initialise", "incr",
                     "values", "dump"):
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

    # Every write goes through these two (under the lock), which keep the expiry indexes.
    def _write(self, namespace: str, key: str, value: Value) -> None:
        self._data.setdefault(namespace, {})[key] = value
        if namespace in self._expiries:
            self._index(namespace).set(key, self.expiry(namespace, value))

    def _remove(self, namespace: str, key: str) -> bool:
        index = self._indexes.get(namespace)
        if index is not None:
            index.remove(key)
        return self._data.get(namespace, {}).pop(key, None) is not None

    def _index(self, namespace: str) -> ExpiryIndex:
        index = self._indexes.get(namespace)
        if index is None:
            index = self._indexes[namespace] = ExpiryIndex()
        return index

    def get(self, namespace, key):
        with self._lock:
            return copy_value(self._data.get(namespace, {}).get(key))

    def put(self, namespace, key, value):
        value = copy_value(value)
        with self._lock:
            self._write(namespace, key, value)

    def put_many(self, entries, unless=None):
        with self._lock:
            if unless is not None and unless[1] in self._data.get(unless[0], {}):
                return False
            for namespace, key, value in entries:
                self._write(namespace, key, copy_value(value))
            return True

    def delete(self, namespace, key):
        with self._lock:
            return self._remove(namespace, key)

    def items(self, namespace):
        with self._lock:
            return [(k, copy_value(v)) for k, v in self._data.get(namespace, {}).items()]

    def page(self, namespace, offset, limit):
        with self._lock:
            entries = self._data.get(namespace, {})
            return [(k, copy_value(v)) for k, v in itertools.islice(entries.items(), offset, offset + limit)]

    def count(self, namespace):
        with self._lock:
            return len(self._data.get(namespace, {}))

    def update_many(self, keys, change):
        with self._lock:
            current = [self._data.get(namespace, {}).get(key) for namespace, key in keys]
            new_values, result = self._run_change(change, current)
            check_count(keys, new_values)
            for (namespace, key), new_value in zip(keys, new_values):
                if new_value is None:
                    self._remove(namespace, key)
                elif new_value is not UNCHANGED:
                    self._write(namespace, key, copy_value(new_value))
            return result

    def append(self, namespace, value, keep):
        value = copy_value(value)
        with self._lock:
            number = (self._data.get(COUNTERS, {}).get(namespace) or 0) + 1
            self._write(COUNTERS, namespace, number)
            self._write(namespace, str(number), value)
            if number > keep:
                self._remove(namespace, str(number - keep))
            return number

    def expiring(self, namespace, after, limit):
        with self._lock:
            index, entries = self._indexes.get(namespace), self._data.get(namespace, {})
            if index is None:
                return Expiring(0, [])
            start = index.after(after)
            soonest = index.order[start:start + limit]
            return Expiring(len(index.order) - start, [(key, copy_value(entries[key])) for _, key in soonest])

    def prune(self, namespace, before, limit):
        with self._lock:
            index = self._indexes.get(namespace)
            if index is None:
                return 0
            expired = [key for _, key in index.order[:min(limit, index.before(before))]]
            for key in expired:
                self._remove(namespace, key)
            return len(expired)

    def dump(self):
        with self._lock:  # values are never changed in place: shallow copies are a consistent view
            data = {namespace: dict(entries) for namespace, entries in self._data.items() if namespace != META}
        return [(namespace, key, encode(value)) for namespace in sorted(data) for key, value in data[namespace].items()]

    def replace_all(self, state):
        # Stored values are never mutated in place (every write stores a fresh copy), so the
        # fixture state can be shared by reference: a reset costs one dict copy per namespace.
        with self._lock:
            meta = self._data.get(META, {})
            self._data = {namespace: dict(entries) for namespace, entries in state.items()}
            self._data[META] = {**meta, INITIALISED: True}
            self._indexes = {namespace: index for namespace, index in self._indexes.items() if namespace == META}
            for namespace, entries in state.items():
                if namespace in self._expiries:
                    for key, value in entries.items():
                        self._index(namespace).set(key, self.expiry(namespace, value))

    def initialise(self, state):
        with self._lock:
            if self._data.get(META, {}).get(INITIALISED):
                return False
            self.replace_all(state)
            return True


def check_count(keys: Sequence[Key], new_values: Sequence[Value]) -> None:
    if len(new_values) != len(keys):
        raise StoreContractError(f"update_many: {len(keys)} keys but {len(new_values)} new values")
