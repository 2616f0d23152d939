"""A store whose backend a test switches off: every call, or only the writes, raise StoreUnavailable."""
from __future__ import annotations

from mockserver.core.store import MemoryStore, StoreUnavailable

READS = ("get", "items", "values", "status")
WRITES = ("put", "delete", "update", "update_many", "replace_all", "initialise", "incr")


class FlakyStore(MemoryStore):
    """The memory store as a shared backend named "flaky" (so the clock reads it on every request).
    ``failing``: None (it works), ``"all"`` or ``"writes"``."""

    shared = True
    backend = "flaky"

    def __init__(self):
        self.failing = None
        super().__init__()


def _failing_when_off(name: str):
    method = getattr(MemoryStore, name)

    def call(self, *args, **kwargs):
        if self.failing == "all" or (self.failing == "writes" and name in WRITES):
            raise StoreUnavailable("flaky", "switched off by the test")
        return method(self, *args, **kwargs)
    return call


for _name in READS + WRITES:
    setattr(FlakyStore, _name, _failing_when_off(_name))
