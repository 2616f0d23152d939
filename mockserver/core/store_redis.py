"""``--state redis://HOST:PORT/DB``: state in Redis, shared by mock processes on one or many hosts.

Layout, under a key prefix (``mockserver:`` unless the URL says ``?prefix=...``):

- ``entry:<namespace>:<key>`` — a string, the entry's JSON value;
- ``index:<namespace>`` — a sorted set of the namespace's keys, scored by insertion order;
- ``namespaces`` — the set of namespace names, and ``seq`` — the insertion counter.

Writes that touch several keys run as Lua scripts or MULTI transactions, so other processes never
see an entry without its index. ``update_many`` (and ``update``) is optimistic: WATCH the entries, read them, compute,
and write in MULTI; if anyone wrote one of them meanwhile, Redis refuses the transaction and it runs
again with the new value. So a login code is taken exactly once however many processes race.
The scripts build key names at run time, which a single Redis server (not Redis Cluster) allows.

Every call is bounded in time: the socket timeouts (``?timeout=SECONDS``, default 5) cover connecting
and each reply (a fixture load's reply: at least ``LOAD_TIMEOUT``), and a refused or broken
connection is retried once at once, never with back-off (redis-py's own defaults differ by
version, from waiting forever to some 50 s of retries). What
``store_guard.py`` adds: those failures raise ``StoreUnavailable``; the start-up marker is checked
after a call that opened a connection (Redis may have restarted empty) and every ``?check_ms=``.
"""
from __future__ import annotations

import json
from typing import List, Optional
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .store import INITIALISED, META, UNCHANGED, check_count
from .store_guard import DEFAULT_CHECK_MS, GuardedStore, backend_options

DEFAULT_PREFIX = "mockserver:"

# KEYS: entry, index, namespaces, seq. ARGV: key, value, namespace.
PUT = """
redis.call('SET', KEYS[1], ARGV[2])
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), ARGV[1])
  redis.call('SADD', KEYS[3], ARGV[3])
end
"""

# KEYS: entry, index, namespaces, seq. ARGV: key, amount, namespace. A JSON integer is also a
# Redis integer, so INCRBY counts in one step: no optimistic retries on hot counters.
INCR = """
local value = redis.call('INCRBY', KEYS[1], ARGV[2])
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), ARGV[1])
  redis.call('SADD', KEYS[3], ARGV[3])
end
return value
"""

# KEYS: index. ARGV: entry key prefix of the namespace. Returns key, value, key, value, ...
ITEMS = """
local out = {}
for _, key in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local value = redis.call('GET', ARGV[1] .. key)
  if value then
    out[#out + 1] = key
    out[#out + 1] = value
  end
end
return out
"""

# KEYS: none (names are built from the prefix). ARGV: prefix, meta namespace, marker key,
# only_if_new (1/0), then namespace, key, value triples. Returns 1 if it loaded the state.
LOAD = """
local p, meta, marker = ARGV[1], ARGV[2], ARGV[3]
local function put(ns, key, value)
  redis.call('SET', p .. 'entry:' .. ns .. ':' .. key, value)
  if not redis.call('ZSCORE', p .. 'index:' .. ns, key) then
    redis.call('ZADD', p .. 'index:' .. ns, redis.call('INCR', p .. 'seq'), key)
    redis.call('SADD', p .. 'namespaces', ns)
  end
end
if ARGV[4] == '1' and redis.call('EXISTS', p .. 'entry:' .. meta .. ':' .. marker) == 1 then
  return 0
end
for _, ns in ipairs(redis.call('SMEMBERS', p .. 'namespaces')) do
  if ns ~= meta then
    for _, key in ipairs(redis.call('ZRANGE', p .. 'index:' .. ns, 0, -1)) do
      redis.call('DEL', p .. 'entry:' .. ns .. ':' .. key)
    end
    redis.call('DEL', p .. 'index:' .. ns)
    redis.call('SREM', p .. 'namespaces', ns)
  end
end
for i = 5, #ARGV, 3 do
  put(ARGV[i], ARGV[i + 1], ARGV[i + 2])
end
put(meta, marker, 'true')
return 1
"""


#: The URL parameters the mock reads itself; any other is handed to redis-py.
OWN_PARAMETERS = ("prefix", "timeout", "check_ms")
#: Replies that mean Redis cannot serve writes now (out of memory, a replica, a script running
#: past its time limit), as opposed to a mistake in the call.
REFUSALS = (redis.exceptions.OutOfMemoryError, redis.exceptions.ReadOnlyError)
BUSY_PREFIX = "BUSY "
#: Seconds a fixture load (one script: start-up, reset, reload) may take at least: 100,000 users
#: take some 7 s here, and Redis answers no other call meanwhile.
LOAD_TIMEOUT = 60.0


def encode(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class ConnectionCounter:
    """redis-py's ``redis_connect_func``: sets up each new connection and counts them."""

    def __init__(self):
        self.opened = 0

    def __call__(self, connection) -> None:
        connection.on_connect()
        self.opened += 1


class RedisStore(GuardedStore):
    backend = "redis"

    def __init__(self, client, prefix: str = DEFAULT_PREFIX, check_interval: float = DEFAULT_CHECK_MS / 1000,
                 counter: Optional[ConnectionCounter] = None, loads=None):
        """``loads``: the client that loads fixtures (start-up, reset), whose replies may take
        longer (default: ``client``)."""
        super().__init__(check_interval)
        self._counter = counter or ConnectionCounter()
        self._redis = client
        self._prefix = prefix
        self._put = client.register_script(PUT)
        self._items = client.register_script(ITEMS)
        self._incr = client.register_script(INCR)
        self._loads = loads or client
        self._load_script = self._loads.register_script(LOAD)

    @classmethod
    def from_url(cls, url: str) -> "RedisStore":
        parts = urlsplit(url)
        query = parse_qsl(parts.query)
        own = dict(query)
        prefix = own.get("prefix", DEFAULT_PREFIX)
        timeout, check_interval = backend_options(url, own)
        rest = urlencode([(name, value) for name, value in query if name not in OWN_PARAMETERS])
        counter = ConnectionCounter()

        def client(reply_timeout: float) -> redis.Redis:
            return redis.Redis.from_url(
                urlunsplit(parts._replace(query=rest)), decode_responses=True,
                socket_timeout=reply_timeout, socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
                redis_connect_func=counter)
        calls = client(timeout)
        try:
            calls.ping()
        except redis.RedisError as exc:
            raise ValueError(f"cannot reach Redis at {url!r}: {exc}") from None
        return cls(calls, prefix, check_interval, counter, loads=client(max(timeout, LOAD_TIMEOUT)))

    def _fault(self, exc):
        if isinstance(exc, (redis.ConnectionError, redis.TimeoutError, *REFUSALS)) or (
                isinstance(exc, redis.ResponseError) and str(exc).startswith(BUSY_PREFIX)):
            return f"{type(exc).__name__}: {exc}"
        return None

    def _state_lost(self):
        if self._redis.exists(self._entry(META, INITIALISED)):
            return None
        return "Redis holds none of this mock's state (restarted without persistence, flushed or evicted)"

    def _connections_opened(self):
        return self._counter.opened

    def _entry(self, namespace: str, key: str) -> str:
        return f"{self._prefix}entry:{namespace}:{key}"

    def _index(self, namespace: str) -> str:
        return f"{self._prefix}index:{namespace}"

    def _put_keys(self, namespace: str, key: str) -> List[str]:
        return [self._entry(namespace, key), self._index(namespace),
                self._prefix + "namespaces", self._prefix + "seq"]

    def get(self, namespace, key):
        raw = self._redis.get(self._entry(namespace, key))
        return None if raw is None else json.loads(raw)

    def put(self, namespace, key, value):
        self._put(keys=self._put_keys(namespace, key), args=[key, encode(value), namespace])

    def delete(self, namespace, key):
        with self._redis.pipeline() as pipe:
            pipe.delete(self._entry(namespace, key))
            pipe.zrem(self._index(namespace), key)
            deleted, _ = pipe.execute()
        return deleted > 0

    def items(self, namespace):
        flat = self._items(keys=[self._index(namespace)], args=[self._entry(namespace, "")])
        return [(flat[i], json.loads(flat[i + 1])) for i in range(0, len(flat), 2)]

    def update_many(self, keys, change):
        entries = [self._entry(namespace, key) for namespace, key in keys]
        with self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(*entries)
                    raws = pipe.mget(entries)
                    new_values, result = change([None if raw is None else json.loads(raw) for raw in raws])
                    check_count(keys, new_values)
                    if all(value is UNCHANGED for value in new_values):
                        pipe.unwatch()
                        return result
                    pipe.multi()
                    for (namespace, key), entry, new_value in zip(keys, entries, new_values):
                        if new_value is None:
                            pipe.delete(entry)
                            pipe.zrem(self._index(namespace), key)
                        elif new_value is not UNCHANGED:
                            self._put(keys=self._put_keys(namespace, key),
                                      args=[key, encode(new_value), namespace], client=pipe)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # someone wrote an entry between our read and write: read again

    def incr(self, namespace, key, amount=1):
        return self._incr(keys=self._put_keys(namespace, key), args=[key, amount, namespace])

    def _run_load(self, state, only_if_new: bool) -> bool:
        args = [self._prefix, META, INITIALISED, "1" if only_if_new else "0"]
        for namespace, entries in state.items():
            for key, value in entries.items():
                args += [namespace, key, encode(value)]
        return self._load_script(keys=[], args=args) == 1

    def replace_all(self, state):
        self._run_load(state, only_if_new=False)

    def initialise(self, state):
        return self._run_load(state, only_if_new=True)

    def close(self):
        self._redis.close()
        self._loads.close()
