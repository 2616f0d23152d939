"""Choosing a store backend by URL (the backends import ``store.py``; this module imports them)."""
from __future__ import annotations

from .store import MemoryStore, Store


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
            raise ValueError(f"{url!r} needs the redis package: "
                             "pip install 'wechat-authing-mockserver[redis]'") from None
        return RedisStore.from_url(url)
    raise ValueError(f"unsupported state backend {url!r} "
                     "(use memory://, sqlite:///PATH or redis://HOST:PORT/DB)")
