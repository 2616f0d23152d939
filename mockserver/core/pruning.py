"""Pruning of expired entries (login and phone codes, access tokens, SMS and email codes and their
pointers, revoked token ids, OIDC codes and refresh tokens, …), amortised over the writes that add
them, by the mock clock.

The namespaces whose entries expire are indexed by expiry in the store (``Store.index_expiry``).
Every ``EVERY``-th write to one of them in a process also deletes up to ``BATCH`` entries that
expired more than ``GRACE`` seconds ago: no write pays for more than ``BATCH`` deletions, and since
``BATCH`` > ``EVERY`` the expired ones never pile up faster than they go.

The mock clock can move backwards (``POST /__mock__/clock {"set": ...}``), which would make a
pruned entry live again. ``GRACE`` is how far back it may move and find everything as it was
(an expired access token still answers 42001 "expired" rather than 40001 for that long); moved
back further, what had expired more than ``GRACE`` seconds before is gone, as if never issued.
"""
from __future__ import annotations

import threading
from typing import Dict

from .clock import Clock
from .store import Store

GRACE = 3600
EVERY = 16
BATCH = 64


class Pruner:
    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock
        self._writes: Dict[str, int] = {}
        self._lock = threading.Lock()

    def wrote(self, namespace: str) -> None:
        """One more entry written to an indexed namespace: every ``EVERY``-th, prune some."""
        with self._lock:
            writes = self._writes[namespace] = self._writes.get(namespace, 0) + 1
        if writes % EVERY == 0:
            self.store.prune(namespace, self.clock.now() - GRACE, BATCH)
