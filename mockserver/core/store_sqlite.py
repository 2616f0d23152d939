"""``--state sqlite:///PATH``: state in one SQLite file, surviving restarts, shared by processes.

One table of (namespace, key, JSON value) rows, in write-ahead-log mode. Every write is its own
transaction, committed before the call returns: a mock killed with ``kill -9`` loses nothing it
acknowledged (WAL with ``synchronous=NORMAL`` is durable against a process crash; a power cut may
lose the last commits). ``update`` holds the database's write lock from read to write
(``BEGIN IMMEDIATE``), so it is atomic across threads and processes alike.

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
from typing import Iterator, List, Optional, Tuple
from urllib.parse import parse_qsl

from .store import INITIALISED, META, UNCHANGED, check_count
from .store_guard import DEFAULT_CHECK_MS, DEFAULT_TIMEOUT, GuardedStore, backend_options

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (namespace, key)
)
"""
UPSERT = ("INSERT INTO entries (namespace, key, value) VALUES (?, ?, ?) "
          "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value")
SELECT = "SELECT value FROM entries WHERE namespace = ? AND key = ?"
DELETE = "DELETE FROM entries WHERE namespace = ? AND key = ?"


log = logging.getLogger("mockserver.store")


def encode(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


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
        self._local = threading.local()
        self._connections: List[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._file_lock = threading.Lock()
        self._generation = 0  # bumped when the file is opened anew: every thread's connection is stale
        with self._transaction() as db:
            db.execute(SCHEMA)
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
                with self._transaction() as db:  # creates the file and its table if they are gone
                    db.execute(SCHEMA)
                self._identity = file_identity(self.path)
                log.warning("%s was deleted or replaced: opened it anew", self.path)
        return f"{self.path} was deleted or replaced"  # the runtime loads the fixture if it holds no state

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections must not be used by two threads at once)."""
        local = self._local
        db = getattr(local, "db", None)
        if db is not None and local.generation == self._generation:
            return db
        if db is not None:  # to the file as it was before it was deleted or replaced
            local.db = None
            with self._connections_lock:
                self._connections.remove(db)
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
        with self._connections_lock:
            self._connections.append(db)
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

    def get(self, namespace, key):
        row = self._db().execute(SELECT, (namespace, key)).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, namespace, key, value):
        self._db().execute(UPSERT, (namespace, key, encode(value)))

    def delete(self, namespace, key):
        return self._db().execute(DELETE, (namespace, key)).rowcount > 0

    def items(self, namespace):
        rows = self._db().execute("SELECT key, value FROM entries WHERE namespace = ? ORDER BY seq",
                                  (namespace,))
        return [(key, json.loads(value)) for key, value in rows]

    def update_many(self, keys, change):
        with self._transaction() as db:
            rows = [db.execute(SELECT, pair).fetchone() for pair in keys]
            new_values, result = change([None if row is None else json.loads(row[0]) for row in rows])
            check_count(keys, new_values)
            for (namespace, key), new_value in zip(keys, new_values):
                if new_value is None:
                    db.execute(DELETE, (namespace, key))
                elif new_value is not UNCHANGED:
                    db.execute(UPSERT, (namespace, key, encode(new_value)))
        return result

    def replace_all(self, state):
        with self._transaction() as db:
            self._load(db, state)

    def initialise(self, state):
        with self._transaction() as db:
            if db.execute(SELECT, (META, INITIALISED)).fetchone():
                return False
            self._load(db, state)
        return True

    @staticmethod
    def _load(db: sqlite3.Connection, state) -> None:
        db.execute("DELETE FROM entries WHERE namespace != ?", (META,))
        db.executemany("INSERT INTO entries (namespace, key, value) VALUES (?, ?, ?)",
                       ((namespace, key, encode(value))
                        for namespace, entries in state.items() for key, value in entries.items()))
        db.execute(UPSERT, (META, INITIALISED, "true"))

    def close(self):
        with self._connections_lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()
