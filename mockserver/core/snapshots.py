"""The state a shared backend loads (the fixture's), as it keeps it: encoded rows and their digest.

SQLite and Redis keep a snapshot of the state ``replace_all``/``initialise`` loaded, named by the
digest of its encoding, so that a reset to that same state restores only what changed since.
"""
from __future__ import annotations

import hashlib
from typing import Iterable, List, Optional, Tuple

from .store import State, Store, encode

__all__ = ["DigestCache", "Row", "digest_of", "encode", "encoded_state"]

#: An entry as a snapshot holds it: (namespace, key, JSON, expiry or None).
Row = Tuple[str, str, str, Optional[float]]


def encoded_state(store: Store, state: State) -> List[Row]:
    """A state's entries as (namespace, key, JSON, expiry), in order (also what the Redis backend uploads)."""
    return [(namespace, key, encode(value), store.expiry(namespace, value))
            for namespace, entries in state.items() for key, value in entries.items()]


def digest_of(rows: Iterable[Row]) -> str:
    """What identifies a state: a snapshot is reused only by a reset to the same state."""
    digest = hashlib.sha256()
    for namespace, key, value, expires in rows:
        digest.update(f"{namespace}\0{key}\0{value}\0{expires}\0".encode())
    return digest.hexdigest()


class DigestCache:
    """The last state this process loaded and its encoding's digest (a reset passes the same state
    object every time: it is encoded once, not per reset)."""

    def __init__(self) -> None:
        self.state: Optional[State] = None
        self.digest = ""

    def digest_for(self, store: Store, state: State) -> Tuple[str, Optional[List[Row]]]:
        """The state's digest, and its rows if they had to be encoded for it."""
        if state is self.state:
            return self.digest, None
        rows = encoded_state(store, state)
        self.state, self.digest = state, digest_of(rows)
        return self.digest, rows
