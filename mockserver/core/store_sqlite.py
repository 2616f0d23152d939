"""``--state sqlite:///PATH``: state in one SQLite file, surviving restarts, shared by processes.

One table of (namespace, key, JSON value) rows, in write-ahead-log mode. Every write is its own
transaction, committed before the call returns: a mock killed with ``kill -9`` loses nothing it
acknowledged (WAL with ``synchronous=NORMAL`` is durable against a process crash; a power cut may
lose the last commits). ``update`` holds the database's write lock from read to write
(``BEGIN IMMEDIATE``), so it is atomic across threads and processes alike.

URLs follow SQLAlchemy's convention: ``sqlite:///mock.db`` is relative to the working directory,
``sqlite:////var/lib/mock.db`` absolute.
"""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from typing import Iterator, List

from .store import INITIALISED, META, UNCHANGED, Store, check_count

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


def encode(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class SqliteStore(Store):
    shared = True

    def __init__(self, path: str, busy_timeout: float = 30.0):
        self.path = path
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self._connections: List[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        with self._transaction() as db:
            db.execute(SCHEMA)

    @classmethod
    def from_url(cls, url: str) -> "SqliteStore":
        prefix = "sqlite:///"
        path = url[len(prefix):] if url.startswith(prefix) else ""
        if not path:
            raise ValueError(f"{url!r}: give a file, e.g. sqlite:///mock.db (relative) "
                             "or sqlite:////var/lib/mock.db (absolute)")
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise ValueError(f"{url!r}: directory {directory} does not exist")
        return cls(path)

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections must not be used by two threads at once)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None,
                                 check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
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
