"""``--state redis://HOST:PORT/DB``: state in Redis, shared by mock processes on one or many hosts.

Layout, under a key prefix (``mockserver:`` unless the URL says ``?prefix=...``); namespace names
never hold a ``:``:

- ``entry:<namespace>:<key>`` — a string, the entry's JSON value;
- ``index:<namespace>`` — a sorted set of the namespace's keys, scored by insertion order;
- ``expiry:<namespace>`` — a sorted set of the keys of an indexed namespace, scored by expiry;
- ``namespaces`` — the set of namespace names, and ``seq`` — the insertion counter;
- ``snapshot`` — the digest of the state last loaded by ``replace_all``/``initialise``, kept as
  ``snapshot:<namespace>`` (a hash of its entries), ``snapshot:index:<namespace>`` (their order,
  negative scores: they come first), ``snapshot:expiry:<namespace>`` and ``snapshot:namespaces``;
- ``changed`` — a set of ``<namespace>:<key>``, every entry written since that load: a reset to
  the same state restores only those, in one script (a reset to another state reloads everything).

Every write is one Lua script (``COMMIT``): entries, indexes and the changed set move together, and
no process ever sees an entry without its index. ``update_many`` (and ``update``) is optimistic:
read the entries (one MGET), compute, and commit only if they still hold what was read (the script
compares them); if anyone wrote one meanwhile, it reads again and recomputes. So a login code is
taken exactly once however many processes race — in two round trips. The scripts build key names
at run time, which a single Redis server (not Redis Cluster) allows.

Every call is bounded in time: the socket timeouts (``?timeout=SECONDS``, default 5) cover connecting
and each reply (a fixture load's reply: at least ``LOAD_TIMEOUT``), and a refused or broken
connection is retried once at once, never with back-off (redis-py's own defaults differ by
version, from waiting forever to some 50 s of retries). What
``store_guard.py`` adds: those failures raise ``StoreUnavailable``; the start-up marker is checked
after a call that opened a connection (Redis may have restarted empty) and every ``?check_ms=``.
"""
from __future__ import annotations

import json
import secrets
from typing import Any, List, Optional, Sequence, Tuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .snapshots import DigestCache, Row, encode, encoded_state
from .store import COUNTERS, INITIALISED, META, UNCHANGED, Expiring, State, check_count
from .store_guard import DEFAULT_CHECK_MS, GuardedStore, backend_options

DEFAULT_PREFIX = "mockserver:"
#: Seconds an uploaded snapshot waits to be loaded before Redis drops it (an upload cut short).
STAGING_TTL = 3600
UPLOAD_CHUNK = 5000

# Shared by the scripts: writing and removing one entry, keeping its indexes and the changed set.
# ``p`` is the prefix, ``meta`` the namespace a reset keeps; a write's ``expiry`` is a time, ''
# (none: out of the expiry index) or '-' (a namespace without one).
HELPERS = """
local listed = {}
local function write(p, meta, ns, key, value, expiry)
  redis.call('SET', p .. 'entry:' .. ns .. ':' .. key, value)
  if not redis.call('ZSCORE', p .. 'index:' .. ns, key) then
    redis.call('ZADD', p .. 'index:' .. ns, redis.call('INCR', p .. 'seq'), key)
    if not listed[ns] then
      redis.call('SADD', p .. 'namespaces', ns)
      listed[ns] = true
    end
  end
  if expiry == '' then
    redis.call('ZREM', p .. 'expiry:' .. ns, key)
  elseif expiry ~= '-' then
    redis.call('ZADD', p .. 'expiry:' .. ns, expiry, key)
  end
  if ns ~= meta then redis.call('SADD', p .. 'changed', ns .. ':' .. key) end
end
local function remove(p, meta, ns, key)
  local existed = redis.call('DEL', p .. 'entry:' .. ns .. ':' .. key)
  redis.call('ZREM', p .. 'index:' .. ns, key)
  redis.call('ZREM', p .. 'expiry:' .. ns, key)
  if ns ~= meta then
    if redis.call('HEXISTS', p .. 'snapshot:' .. ns, key) == 1 then
      redis.call('SADD', p .. 'changed', ns .. ':' .. key)
    else
      redis.call('SREM', p .. 'changed', ns .. ':' .. key)
    end
  end
  return existed
end
"""

# ARGV: prefix, meta, n checks, then (namespace, key, expected JSON or '' for absent) per check,
# then m writes, then (op 's' set or 'd' delete, namespace, key, value, expiry) per write.
# Returns 0 when a checked entry no longer holds what was read (nothing written), else 1 + the
# number of deleted entries that existed.
COMMIT = HELPERS + """
local p, meta = ARGV[1], ARGV[2]
local i = 4
for _ = 1, tonumber(ARGV[3]) do
  local current = redis.call('GET', p .. 'entry:' .. ARGV[i] .. ':' .. ARGV[i + 1])
  if (current or '') ~= ARGV[i + 2] then return 0 end
  i = i + 3
end
local count = tonumber(ARGV[i])
i = i + 1
local deleted, pending = 0, {}
-- the sets not yet applied (their places in ARGV), in batches: one MSET, one ZADD NX per
-- namespace and one SADD of the changed set for 500 entries (a bulk write of 100,000 in a blink)
local function apply_sets()
  local n = #pending
  if n == 0 then return end
  local last = redis.call('INCRBY', p .. 'seq', n)
  for from = 1, n, 500 do
    local values, noted, orders = {}, {}, {}
    for j = from, math.min(from + 499, n) do
      local at = pending[j]
      local ns, key, expiry = ARGV[at + 1], ARGV[at + 2], ARGV[at + 4]
      values[#values + 1] = p .. 'entry:' .. ns .. ':' .. key
      values[#values + 1] = ARGV[at + 3]
      orders[ns] = orders[ns] or {}
      table.insert(orders[ns], last - n + j)
      table.insert(orders[ns], key)
      if ns ~= meta then noted[#noted + 1] = ns .. ':' .. key end
      if expiry == '' then
        redis.call('ZREM', p .. 'expiry:' .. ns, key)
      elseif expiry ~= '-' then
        redis.call('ZADD', p .. 'expiry:' .. ns, expiry, key)
      end
    end
    redis.call('MSET', unpack(values))
    for ns, order in pairs(orders) do
      redis.call('ZADD', p .. 'index:' .. ns, 'NX', unpack(order))  -- a new key's place: after all others
      if not listed[ns] then
        redis.call('SADD', p .. 'namespaces', ns)
        listed[ns] = true
      end
    end
    if #noted > 0 then redis.call('SADD', p .. 'changed', unpack(noted)) end
  end
  pending = {}
end
for _ = 1, count do
  if ARGV[i] == 's' then
    pending[#pending + 1] = i
  else
    apply_sets()
    deleted = deleted + remove(p, meta, ARGV[i + 1], ARGV[i + 2])
  end
  i = i + 5
end
apply_sets()
return 1 + deleted
"""

# ARGV: prefix, meta, namespace, key, amount. A JSON integer is also a Redis integer, so INCRBY
# counts in one step: no optimistic retries on hot counters.
INCR = HELPERS + """
local p, meta, ns, key = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local value = redis.call('INCRBY', p .. 'entry:' .. ns .. ':' .. key, ARGV[5])
write(p, meta, ns, key, value, '-')
return value
"""

# ARGV: prefix, meta, counters namespace, namespace, value, keep. Returns the entry's number.
APPEND = HELPERS + """
local p, meta, counters, ns = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local number = redis.call('INCR', p .. 'entry:' .. counters .. ':' .. ns)
write(p, meta, counters, ns, number, '-')
write(p, meta, ns, tostring(number), ARGV[5], '-')
if number > tonumber(ARGV[6]) then remove(p, meta, ns, tostring(number - tonumber(ARGV[6]))) end
return number
"""

# ARGV: prefix, namespace, start, stop (ZRANGE ranks). Returns key, value, key, value, ...
PAGE = """
local out = {}
for _, key in ipairs(redis.call('ZRANGE', ARGV[1] .. 'index:' .. ARGV[2], ARGV[3], ARGV[4])) do
  local value = redis.call('GET', ARGV[1] .. 'entry:' .. ARGV[2] .. ':' .. key)
  if value then
    out[#out + 1] = key
    out[#out + 1] = value
  end
end
return out
"""

# ARGV: prefix, the namespace left out (META). Returns namespace, key, value, namespace, key, value, ...
DUMP = """
local out = {}
local names = redis.call('SMEMBERS', ARGV[1] .. 'namespaces')
table.sort(names)
for _, ns in ipairs(names) do
  if ns ~= ARGV[2] then
    for _, key in ipairs(redis.call('ZRANGE', ARGV[1] .. 'index:' .. ns, 0, -1)) do
      local value = redis.call('GET', ARGV[1] .. 'entry:' .. ns .. ':' .. key)
      if value then
        out[#out + 1] = ns
        out[#out + 1] = key
        out[#out + 1] = value
      end
    end
  end
end
return out
"""

# ARGV: prefix, namespace, after, limit. Returns the count, then key, value, key, value, ...
EXPIRING = """
local expiry = ARGV[1] .. 'expiry:' .. ARGV[2]
local out = {redis.call('ZCOUNT', expiry, '(' .. ARGV[3], '+inf')}
for _, key in ipairs(redis.call('ZRANGEBYSCORE', expiry, '(' .. ARGV[3], '+inf', 'LIMIT', 0, ARGV[4])) do
  local value = redis.call('GET', ARGV[1] .. 'entry:' .. ARGV[2] .. ':' .. key)
  if value then
    out[#out + 1] = key
    out[#out + 1] = value
  end
end
return out
"""

# ARGV: prefix, meta, namespace, before, limit. Returns how many it deleted.
PRUNE = HELPERS + """
local p, meta, ns = ARGV[1], ARGV[2], ARGV[3]
local expired = redis.call('ZRANGEBYSCORE', p .. 'expiry:' .. ns, '-inf', '(' .. ARGV[4], 'LIMIT', 0, ARGV[5])
for _, key in ipairs(expired) do remove(p, meta, ns, key) end
return #expired
"""

# ARGV: prefix, meta, marker key, only_if_new (1/0), digest, staging name ('' if none).
# Returns 0 if only_if_new and the store holds state, 2 if the snapshot of ``digest`` is neither
# loaded nor staged (upload it and call again), 1 once the state is loaded.
LOAD = HELPERS + """
local p, meta, marker, digest, staging = ARGV[1], ARGV[2], ARGV[3], ARGV[5], ARGV[6]
if ARGV[4] == '1' and redis.call('EXISTS', p .. 'entry:' .. meta .. ':' .. marker) == 1 then
  return 0
end
local snap = p .. 'snapshot:'
if redis.call('GET', p .. 'snapshot') == digest then
  -- the same state: put back what changed since it was loaded
  for _, member in ipairs(redis.call('SMEMBERS', p .. 'changed')) do
    local cut = string.find(member, ':', 1, true)
    local ns, key = string.sub(member, 1, cut - 1), string.sub(member, cut + 1)
    local value = redis.call('HGET', snap .. ns, key)
    if value then
      redis.call('SET', p .. 'entry:' .. ns .. ':' .. key, value)
      redis.call('ZADD', p .. 'index:' .. ns, redis.call('ZSCORE', snap .. 'index:' .. ns, key), key)
      redis.call('SADD', p .. 'namespaces', ns)
      local expiry = redis.call('ZSCORE', snap .. 'expiry:' .. ns, key)
      if expiry then
        redis.call('ZADD', p .. 'expiry:' .. ns, expiry, key)
      else
        redis.call('ZREM', p .. 'expiry:' .. ns, key)
      end
    else
      redis.call('DEL', p .. 'entry:' .. ns .. ':' .. key)
      redis.call('ZREM', p .. 'index:' .. ns, key)
      redis.call('ZREM', p .. 'expiry:' .. ns, key)
    end
  end
else
  if staging == '' or redis.call('GET', staging .. 'digest') ~= digest then return 2 end
  -- another state: the staged snapshot replaces the old one, and everything is reloaded from it
  for _, ns in ipairs(redis.call('SMEMBERS', snap .. 'namespaces')) do
    redis.call('UNLINK', snap .. ns, snap .. 'index:' .. ns, snap .. 'expiry:' .. ns)
  end
  redis.call('UNLINK', snap .. 'namespaces')
  for _, ns in ipairs(redis.call('SMEMBERS', staging .. 'namespaces')) do
    for _, part in ipairs({ns, 'index:' .. ns, 'expiry:' .. ns}) do
      if redis.call('EXISTS', staging .. part) == 1 then
        redis.call('RENAME', staging .. part, snap .. part)
        redis.call('PERSIST', snap .. part)
      end
    end
  end
  if redis.call('EXISTS', staging .. 'namespaces') == 1 then
    redis.call('RENAME', staging .. 'namespaces', snap .. 'namespaces')
    redis.call('PERSIST', snap .. 'namespaces')
  end
  redis.call('DEL', staging .. 'digest')
  redis.call('SET', p .. 'snapshot', digest)
  for _, ns in ipairs(redis.call('SMEMBERS', p .. 'namespaces')) do
    if ns ~= meta then
      for _, key in ipairs(redis.call('ZRANGE', p .. 'index:' .. ns, 0, -1)) do
        redis.call('UNLINK', p .. 'entry:' .. ns .. ':' .. key)
      end
      redis.call('UNLINK', p .. 'index:' .. ns, p .. 'expiry:' .. ns)
      redis.call('SREM', p .. 'namespaces', ns)
    end
  end
  for _, ns in ipairs(redis.call('SMEMBERS', snap .. 'namespaces')) do
    local cursor = '0'
    repeat
      local scanned = redis.call('HSCAN', snap .. ns, cursor, 'COUNT', 1000)
      cursor = scanned[1]
      local pairs_ = scanned[2]
      for j = 1, #pairs_, 2 do
        redis.call('SET', p .. 'entry:' .. ns .. ':' .. pairs_[j], pairs_[j + 1])
      end
    until cursor == '0'
    redis.call('ZUNIONSTORE', p .. 'index:' .. ns, 1, snap .. 'index:' .. ns)
    if redis.call('EXISTS', snap .. 'expiry:' .. ns) == 1 then
      redis.call('ZUNIONSTORE', p .. 'expiry:' .. ns, 1, snap .. 'expiry:' .. ns)
    end
    redis.call('SADD', p .. 'namespaces', ns)
  end
end
redis.call('DEL', p .. 'changed')
write(p, meta, meta, marker, 'true', '-')
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
        self._loaded = DigestCache()
        self._commit_script = client.register_script(COMMIT)
        self._incr = client.register_script(INCR)
        self._loads = loads or client
        self._append = client.register_script(APPEND)
        self._page = client.register_script(PAGE)
        self._dump = self._loads.register_script(DUMP)
        self._expiring = client.register_script(EXPIRING)
        self._prune = client.register_script(PRUNE)
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

    def _expiry(self, namespace: str, value: Any) -> str:
        """A write's expiry argument (see HELPERS)."""
        if not self.indexed(namespace):
            return "-"
        at = self.expiry(namespace, value)
        return "" if at is None else repr(at)

    def _commit(self, checks: Sequence[Tuple[str, str, str]], writes: Sequence[Tuple[str, str, str, Any]]) -> int:
        """Run ``COMMIT``: 0 when a check failed, else 1 + the deleted entries that existed.
        ``writes`` are (op, namespace, key, value) with op ``s`` (value: the new value) or ``d``."""
        args: List[Any] = [self._prefix, META, len(checks)]
        for check in checks:
            args += check
        args.append(len(writes))
        for op, namespace, key, value in writes:
            if op == "s":
                args += ["s", namespace, key, encode(value), self._expiry(namespace, value)]
            else:
                args += ["d", namespace, key, "", ""]
        return self._commit_script(keys=[], args=args)

    def get(self, namespace, key):
        raw = self._redis.get(self._entry(namespace, key))
        return None if raw is None else json.loads(raw)

    def get_many(self, keys):
        if not keys:
            return []
        return [None if raw is None else json.loads(raw)
                for raw in self._redis.mget([self._entry(namespace, key) for namespace, key in keys])]

    def put(self, namespace, key, value):
        self._commit([], [("s", namespace, key, value)])

    def put_many(self, entries, unless=None):
        checks = [] if unless is None else [(unless[0], unless[1], "")]
        return self._commit(checks, [("s", namespace, key, value) for namespace, key, value in entries]) > 0

    def delete(self, namespace, key):
        return self._commit([], [("d", namespace, key, None)]) > 1

    def items(self, namespace):
        return self._range(namespace, 0, -1)

    def page(self, namespace, offset, limit):
        return self._range(namespace, offset, offset + limit - 1) if limit > 0 else []

    def _range(self, namespace: str, start: int, stop: int) -> List[Tuple[str, Any]]:
        flat = self._page(keys=[], args=[self._prefix, namespace, start, stop])
        return [(flat[i], json.loads(flat[i + 1])) for i in range(0, len(flat), 2)]

    def count(self, namespace):
        return self._redis.zcard(f"{self._prefix}index:{namespace}")

    def update_many(self, keys, change):
        entries = [self._entry(namespace, key) for namespace, key in keys]
        while True:
            raws = self._redis.mget(entries)
            new_values, result = change([None if raw is None else json.loads(raw) for raw in raws])
            check_count(keys, new_values)
            writes = [("d" if value is None else "s", namespace, key, value)
                      for (namespace, key), value in zip(keys, new_values) if value is not UNCHANGED]
            if not writes:
                return result
            checks = [(namespace, key, raw or "") for (namespace, key), raw in zip(keys, raws)]
            if self._commit(checks, writes):
                return result
            # someone wrote an entry between our read and our write: read again

    def incr(self, namespace, key, amount=1):
        return self._incr(keys=[], args=[self._prefix, META, namespace, key, amount])

    def append(self, namespace, value, keep):
        return self._append(keys=[], args=[self._prefix, META, COUNTERS, namespace, encode(value), keep])

    def expiring(self, namespace, after, limit):
        flat = self._expiring(keys=[], args=[self._prefix, namespace, repr(float(after)), limit])
        return Expiring(flat[0], [(flat[i], json.loads(flat[i + 1])) for i in range(1, len(flat), 2)])

    def prune(self, namespace, before, limit):
        return self._prune(keys=[], args=[self._prefix, META, namespace, repr(float(before)), limit])

    # --- the whole state ------------------------------------------------------------------
    def dump(self):
        flat = self._dump(keys=[], args=[self._prefix, META])  # one script: a consistent view
        return [(flat[i], flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3)]

    def _run_load(self, state: State, only_if_new: bool) -> bool:
        digest, rows = self._loaded.digest_for(self, state)
        args = [self._prefix, META, INITIALISED, "1" if only_if_new else "0", digest]
        outcome = self._load_script(keys=[], args=[*args, ""])
        if outcome == 2:  # its snapshot is not in Redis yet: upload it, then load it
            rows = rows if rows is not None else encoded_state(self, state)
            staging = self._upload(rows, digest)
            outcome = self._load_script(keys=[], args=[*args, staging])
            if outcome != 1:  # another process loaded the state first: this upload is not needed
                namespaces = {namespace for namespace, _, _, _ in rows}
                self._redis.unlink(staging + "namespaces", staging + "digest",
                                   *(staging + part + namespace for namespace in namespaces
                                     for part in ("", "index:", "expiry:")))
            if outcome == 2:
                raise RuntimeError("the snapshot of the fixture state uploaded to Redis vanished before it was loaded")
        return outcome == 1

    def _upload(self, rows: Sequence[Row], digest: str) -> str:
        """The state's snapshot under a staging name of its own (several processes may upload at
        once), in chunks, expiring unless loaded; the staging prefix."""
        staging = f"{self._prefix}staging:{secrets.token_hex(8)}:"
        by_namespace: dict = {}
        for i, (namespace, key, value, expires) in enumerate(rows):
            by_namespace.setdefault(namespace, []).append((key, value, expires, i - len(rows)))
        with self._redis.pipeline(transaction=False) as pipe:
            for namespace, entries in by_namespace.items():
                for start in range(0, len(entries), UPLOAD_CHUNK):
                    chunk = entries[start:start + UPLOAD_CHUNK]
                    pipe.hset(staging + namespace, mapping={key: value for key, value, _, _ in chunk})
                    pipe.zadd(staging + "index:" + namespace, {key: seq for key, _, _, seq in chunk})
                    expiring = {key: expires for key, _, expires, _ in chunk if expires is not None}
                    if expiring:
                        pipe.zadd(staging + "expiry:" + namespace, expiring)
                    pipe.execute()
                for part in (namespace, "index:" + namespace, "expiry:" + namespace):
                    pipe.expire(staging + part, STAGING_TTL)
            if by_namespace:
                pipe.sadd(staging + "namespaces", *by_namespace)
                pipe.expire(staging + "namespaces", STAGING_TTL)
            pipe.set(staging + "digest", digest, ex=STAGING_TTL)
            pipe.execute()
        return staging

    def replace_all(self, state):
        self._run_load(state, only_if_new=False)

    def initialise(self, state):
        if self.get(META, INITIALISED):  # a resumed store: nothing to encode or upload
            return False
        return self._run_load(state, only_if_new=True)

    def close(self):
        self._redis.close()
        self._loads.close()
