"""``--state sqlite:///PATH``: state in one SQLite file, surviving restarts, shared by processes.

One table of (namespace, key, JSON value) rows, in write-ahead-log mode, ordered by ``seq``. Every
write is its own transaction, committed before the call returns: a mock killed with ``kill -9``
loses nothing it acknowledged (WAL with ``synchronous=NORMAL`` is durable against a process crash;
a power cut may lose the last commits). ``update`` holds the database's write lock from read to
write (``BEGIN IMMEDIATE``), so it is atomic across threads and processes alike.

Beside ``entries``: ``expiries`` (namespace, key, time) indexes the entries of namespaces declared
by ``index_expiry``; ``snapshot`` holds the state last loaded by ``replace_all``/``initialise``
(its rows' ``seq`` are negative, so its entries come first, in its order; only they are negative)
and ``store_info`` its digest; ``changed`` lists every entry written since, so a reset to the same state deletes and
restores only those (a reset to another state reloads everything).

URLs follow SQLAlchemy's convention: ``sqlite:///mock.db`` is relative to the working directory,
``sqlite:////var/lib/mock.db`` absolute; ``?timeout=SECONDS`` is how long a call waits for another
process's write lock (SQLite's busy timeout, default 5 s) before it fails.

What ``store_guard.py`` adds: a locked or unusable database raises ``StoreUnavailable``; and every
``?check_ms=`` the store looks whether the file at its path is still the one it opened (one
``stat``). A file deleted or replaced under the running server is opened anew: a replacement
that holds a mock's state is resumed, one without it (or a new, empty file) gets the fixture.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
from typing import Iterator, Optional, Tuple
from urllib.parse import parse_qsl

from .snapshots import DigestCache, encode, encoded_state
from .store import COUNTERS, INITIALISED, META, UNCHANGED, Expiring, State, Value, check_count
from .store_guard import DEFAULT_CHECK_MS, DEFAULT_TIMEOUT, GuardedStore, backend_options

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (namespace, key)
);
CREATE INDEX IF NOT EXISTS entries_in_order ON entries (namespace, seq);
CREATE TABLE IF NOT EXISTS expiries (
    namespace TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS expiries_by_time ON expiries (namespace, at);
CREATE TABLE IF NOT EXISTS changed (namespace TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (namespace, key))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshot (
    namespace TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, value TEXT NOT NULL, expires REAL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS store_info (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
UPSERT = ("INSERT INTO entries (namespace, key, value) VALUES (?, ?, ?) "
          "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value")
SELECT = "SELECT value FROM entries WHERE namespace = ? AND key = ?"
DELETE = "DELETE FROM entries WHERE namespace = ? AND key = ?"


log = logging.getLogger("mockserver.store")

MARK_CHANGED = "INSERT OR IGNORE INTO changed (namespace, key) VALUES (?, ?)"
SET_EXPIRY = "INSERT OR REPLACE INTO expiries (namespace, key, at) VALUES (?, ?, ?)"
DROP_EXPIRY = "DELETE FROM expiries WHERE namespace = ? AND key = ?"
#: What a reset to the loaded snapshot does: the changed entries back to their snapshot values.
RESTORE_CHANGED = (
    "DELETE FROM entries WHERE (namespace, key) IN (SELECT namespace, key FROM changed)",
    "DELETE FROM expiries WHERE (namespace, key) IN (SELECT namespace, key FROM changed)",
    "INSERT INTO entries (seq, namespace, key, value) SELECT s.seq, s.namespace, s.key, s.value "
    "FROM snapshot s JOIN changed c ON s.namespace = c.namespace AND s.key = c.key",
    "INSERT INTO expiries (namespace, key, at) SELECT s.namespace, s.key, s.expires "
    "FROM snapshot s JOIN changed c ON s.namespace = c.namespace AND s.key = c.key WHERE s.expires IS NOT NULL",
    "DELETE FROM changed",
)
#: Loading another state: its rows go into ``entries`` (the order index rebuilt after, which is
#: quicker than keeping it up to date row by row), then ``snapshot`` is copied from them.
CLEAR_FOR_LOAD = (
    "DELETE FROM snapshot",
    "DELETE FROM entries WHERE namespace != :meta",
    "DELETE FROM expiries WHERE namespace != :meta",
    "DELETE FROM changed",
    "DROP INDEX IF EXISTS entries_in_order",
)
SNAPSHOT_LOADED = (
    "CREATE INDEX entries_in_order ON entries (namespace, seq)",
    "INSERT INTO snapshot (namespace, key, seq, value, expires) SELECT e.namespace, e.key, e.seq, e.value, x.at "
    "FROM entries e LEFT JOIN expiries x ON x.namespace = e.namespace AND x.key = e.key WHERE e.seq < 0 "
    "ORDER BY e.namespace, e.key",
)


def create_schema(db: sqlite3.Connection) -> None:
    for statement in SCHEMA.split(";"):
        db.execute(statement)


def file_identity(path: str) -> Optional[Tuple[int, int]]:
    """(device, inode) of the file at ``path``, None if there is none."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino


class SqliteStore(GuardedStore):
    backend = "sqlite"

    def __init__(self, path: str, busy_timeout: float = DEFAULT_TIMEOUT,
                 check_interval: float = DEFAULT_CHECK_MS / 1000):
        super().__init__(check_interval)
        self.path = path
        self._busy_timeout = busy_timeout
        self._loaded = DigestCache()
        self._local = threading.local()
        self._file_lock = threading.Lock()
        self._generation = 0  # bumped when the file is opened anew: every thread's connection is stale
        with self._transaction() as db:
            create_schema(db)
        self._identity = file_identity(path)

    @classmethod
    def from_url(cls, url: str) -> "SqliteStore":
        prefix = "sqlite:///"
        path, _, query = (url[len(prefix):] if url.startswith(prefix) else "").partition("?")
        if not path:
            raise ValueError(f"{url!r}: give a file, e.g. sqlite:///mock.db (relative) "
                             "or sqlite:////var/lib/mock.db (absolute)")
        options = dict(parse_qsl(query, keep_blank_values=True))
        unknown = sorted(set(options) - {"timeout", "check_ms"})
        if unknown:
            raise ValueError(f"{url!r}: unknown parameter {unknown[0]!r} (sqlite takes timeout and check_ms)")
        timeout, check_interval = backend_options(url, options)
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise ValueError(f"{url!r}: directory {directory} does not exist")
        return cls(path, timeout, check_interval)

    def _fault(self, exc):
        # OperationalError: locked past the busy timeout, I/O error, read-only, no such table (a
        # blank file put in its place); a bare DatabaseError: the file is not a database.
        if isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError:
            return f"{exc} ({self.path})"
        return None

    def _state_lost(self):
        identity = file_identity(self.path)
        if identity == self._identity:
            return None
        with self._file_lock:
            if identity != self._identity:
                self._generation += 1
                with self._transaction() as db:  # creates the file and its tables if they are gone
                    create_schema(db)
                self._identity = file_identity(self.path)
                log.warning("%s was deleted or replaced: opened it anew", self.path)
        return f"{self.path} was deleted or replaced"  # the runtime loads the fixture if it holds no state

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections must not be used by two threads at once)."""
        local = self._local
        db = getattr(local, "db", None)
        if db is not None and local.generation == self._generation:
            return db
        if db is not None:  # to the file as it was before it was deleted or replaced, or closed
            local.db = None
            db.close()
        db = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None,
                             check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error:  # not a database, locked, unreadable: the call fails, the next one tries again
            db.close()
            raise
        local.db, local.generation = db, self._generation
        return db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: it takes the write lock first, so no one writes in between."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # Every write goes through these two (inside a transaction), which keep the indexes.
    def _write(self, db: sqlite3.Connection, namespace: str, key: str, value: Value) -> None:
        db.execute(UPSERT, (namespace, key, encode(value)))
        if self.indexed(namespace):
            at = self.expiry(namespace, value)
            db.execute(DROP_EXPIRY, (namespace, key)) if at is None else db.execute(SET_EXPIRY, (namespace, key, at))
        if namespace != META:
            db.execute(MARK_CHANGED, (namespace, key))

    def _remove(self, db: sqlite3.Connection, namespace: str, key: str) -> bool:
        removed = db.execute(DELETE, (namespace, key)).rowcount > 0
        if self.indexed(namespace):
            db.execute(DROP_EXPIRY, (namespace, key))
        if namespace != META:
            # An entry the snapshot has must come back at a reset; one it lacks is simply gone.
            if db.execute("SELECT 1 FROM snapshot WHERE namespace = ? AND key = ?", (namespace, key)).fetchone():
                db.execute(MARK_CHANGED, (namespace, key))
            else:
                db.execute("DELETE FROM changed WHERE namespace = ? AND key = ?", (namespace, key))
        return removed

    def get(self, namespace, key):
        row = self._db().execute(SELECT, (namespace, key)).fetchone()
        return None if row is None else json.loads(row[0])

    def get_many(self, keys):
        db = self._db()
        rows = [db.execute(SELECT, pair).fetchone() for pair in keys]
        return [None if row is None else json.loads(row[0]) for row in rows]

    def put(self, namespace, key, value):
        with self._transaction() as db:
            self._write(db, namespace, key, value)

    def put_many(self, entries, unless=None):
        with self._transaction() as db:
            if unless is not None and db.execute(SELECT, unless).fetchone():
                return False
            # as ``_write`` does, one statement for all the entries at each step
            db.executemany(UPSERT, ((namespace, key, encode(value)) for namespace, key, value in entries))
            expiring = [(namespace, key, self.expiry(namespace, value)) for namespace, key, value in entries
                        if self.indexed(namespace)]
            db.executemany(DROP_EXPIRY, ((namespace, key) for namespace, key, at in expiring if at is None))
            db.executemany(SET_EXPIRY, (entry for entry in expiring if entry[2] is not None))
            db.executemany(MARK_CHANGED, ((namespace, key) for namespace, key, _ in entries if namespace != META))
        return True

    def delete(self, namespace, key):
        with self._transaction() as db:
            return self._remove(db, namespace, key)

    def items(self, namespace):
        rows = self._db().execute("SELECT key, value FROM entries WHERE namespace = ? ORDER BY seq",
                                  (namespace,))
        return [(key, json.loads(value)) for key, value in rows]

    def page(self, namespace, offset, limit):
        rows = self._db().execute("SELECT key, value FROM entries WHERE namespace = ? ORDER BY seq LIMIT ? OFFSET ?",
                                  (namespace, limit, offset))
        return [(key, json.loads(value)) for key, value in rows]

    def count(self, namespace):
        return self._db().execute("SELECT COUNT(*) FROM entries WHERE namespace = ?", (namespace,)).fetchone()[0]

    def update_many(self, keys, change):
        with self._transaction() as db:
            rows = [db.execute(SELECT, pair).fetchone() for pair in keys]
            new_values, result = change([None if row is None else json.loads(row[0]) for row in rows])
            check_count(keys, new_values)
            for (namespace, key), new_value in zip(keys, new_values):
                if new_value is None:
                    self._remove(db, namespace, key)
                elif new_value is not UNCHANGED:
                    self._write(db, namespace, key, new_value)
        return result

    def append(self, namespace, value, keep):
        with self._transaction() as db:
            row = db.execute(SELECT, (COUNTERS, namespace)).fetchone()
            number = (json.loads(row[0]) if row else 0) + 1
            self._write(db, COUNTERS, namespace, number)
            self._write(db, namespace, str(number), value)
            if number > keep:
                self._remove(db, namespace, str(number - keep))
        return number

    def expiring(self, namespace, after, limit):
        db = self._db()
        db.execute("BEGIN")  # one consistent view for the count and the entries
        try:
            total = db.execute("SELECT COUNT(*) FROM expiries WHERE namespace = ? AND at > ?",
                               (namespace, after)).fetchone()[0]
            rows = db.execute("SELECT e.key, e.value FROM expiries x JOIN entries e "
                              "ON e.namespace = x.namespace AND e.key = x.key "
                              "WHERE x.namespace = ? AND x.at > ? ORDER BY x.at, x.key LIMIT ?",
                              (namespace, after, limit)).fetchall()
        finally:
            db.execute("COMMIT")
        return Expiring(total, [(key, json.loads(value)) for key, value in rows])

    def prune(self, namespace, before, limit):
        with self._transaction() as db:
            expired = [key for key, in db.execute(
                "SELECT key FROM expiries WHERE namespace = ? AND at < ? ORDER BY at LIMIT ?",
                (namespace, before, limit))]
            for key in expired:
                self._remove(db, namespace, key)
        return len(expired)

    def dump(self):
        db = self._db()
        db.execute("BEGIN")  # one read transaction: a consistent view (WAL)
        try:
            return db.execute("SELECT namespace, key, value FROM entries WHERE namespace != ? "
                              "ORDER BY namespace, seq", (META,)).fetchall()
        finally:
            db.execute("COMMIT")

    def replace_all(self, state):
        digest, rows = self._loaded.digest_for(self, state)
        with self._transaction() as db:
            self._load(db, state, digest, rows)

    def initialise(self, state):
        if self.get(META, INITIALISED):  # a resumed store: nothing to encode
            return False
        digest, rows = self._loaded.digest_for(self, state)
        with self._transaction() as db:
            if db.execute(SELECT, (META, INITIALISED)).fetchone():
                return False
            self._load(db, state, digest, rows)
        return True

    def _load(self, db: sqlite3.Connection, state: State, digest: str, rows: Optional[list]) -> None:
        """Back to ``state``: only the changed entries when its snapshot is the one loaded, else
        everything (the snapshot replaced first)."""
        loaded = db.execute("SELECT value FROM store_info WHERE name = 'snapshot'").fetchone()
        if loaded is not None and loaded[0] == digest:
            for statement in RESTORE_CHANGED:
                db.execute(statement)
        else:
            rows = rows if rows is not None else encoded_state(self, state)
            for statement in CLEAR_FOR_LOAD:
                db.execute(statement, {"meta": META} if ":meta" in statement else ())
            # the state's entries come first, in its order: negative seqs
            first = -len(rows)
            db.executemany("INSERT INTO entries (seq, namespace, key, value) VALUES (?, ?, ?, ?)",
                           ((first + i, namespace, key, value) for i, (namespace, key, value, _) in enumerate(rows)))
            db.executemany(SET_EXPIRY, ((namespace, key, at) for namespace, key, _, at in rows if at is not None))
            for statement in SNAPSHOT_LOADED:
                db.execute(statement)
            db.execute("INSERT OR REPLACE INTO store_info (name, value) VALUES ('snapshot', ?)", (digest,))
        self._write(db, META, INITIALISED, True)

    def close(self):
        """Close this thread's connection; every other thread closes its own at its next call (or
        when it ends). Closing a connection another thread is using crashes CPython's sqlite3 (a
        segmentation fault, seen when a test closed a store a push sender thread was reading)."""
        with self._file_lock:
            self._generation += 1
        db = getattr(self._local, "db", None)
        if db is not None:
            self._local.db = None
            db.close()
