"""Snapshots: the whole state as a fixture file (``GET /__mock__/state``) that ``--fixtures`` and
``PUT /__mock__/state`` load, so a run can start from where a manual session left off.

A snapshot's ``state`` section holds every store entry of every namespace — whatever the services
keep (apps, users, openids, codes, tokens, messages, ...) and the control plane's fault rules and
stubs — without naming one: a namespace a service adds is in the next snapshot. Left out: the
store's own bookkeeping (``META``) and the journal (what clients sent, not what the mock holds).
Beside the entries: the clock's time and where the random source's draws stand, so a loaded
snapshot answers the same calls with the same codes and tokens; and a ``checksum`` of the entries,
since entries are loaded as they are (no service checks them): a snapshot edited by hand is
refused — edit the services' sections of an ordinary fixture instead.

The export reads the store once (``Store.dump``: one consistent read, linear) and streams the
file, so 100,000 users cost one pass.
"""
from __future__ import annotations

import datetime
import hashlib
from typing import Any, Iterator, List, NamedTuple

from ..core.clock import LATEST
from ..core.fixtures import FORMAT_VERSION, SNAPSHOT_SECTION, require
from ..core.ids import MT_WORDS
from ..core.store import COUNTERS, META, EncodedEntry, State, encode
from . import journal

#: Entries a snapshot leaves out: the journal and its counter.
LEFT_OUT = {journal.NAMESPACE}
FIELDS = {"clock", "random", "entries", "checksum"}
#: Entries per chunk of the streamed file.
CHUNK = 1000


class Snapshot(NamedTuple):
    entries: State
    now: float          # the clock's time when it was taken
    random: List[int]   # where the random source's draws stood (``RandomSource.position``)


def kept(namespace: str, key: str) -> bool:
    return namespace not in LEFT_OUT and not (namespace == COUNTERS and key in LEFT_OUT)


def export(rows: List[EncodedEntry], now: float, position: List[int], description: str) -> Iterator[str]:
    """The snapshot file of ``Store.dump()``'s rows, in chunks of text."""
    head = {"format": FORMAT_VERSION, "description": description}
    yield encode(head)[:-1] + f',"{SNAPSHOT_SECTION}":{{"clock":{{"now":{encode(now)}}},' \
                              f'"random":{encode(position)},"entries":{{'
    digest, namespace, chunk = hashlib.sha256(), None, []
    for ns, key, value in rows:
        if not kept(ns, key):
            continue
        digest.update(f"{ns}\0{key}\0{value}\0".encode())
        if ns != namespace:
            chunk.append(("}," if namespace is not None else "") + encode(ns) + ":{")
            namespace = ns
        else:
            chunk.append(",")
        chunk.append(f"{encode(key)}:{value}")
        if len(chunk) >= CHUNK:
            yield "".join(chunk)
            chunk = []
    chunk.append(("}" if namespace is not None else "") + f'}},"checksum":"sha256:{digest.hexdigest()}"}}}}')
    yield "".join(chunk)


def read(section: Any, where: str) -> Snapshot:
    """A fixture's ``state`` section, checked (``FixtureError`` saying what is wrong)."""
    where = f"{where}: {SNAPSHOT_SECTION}"
    require(isinstance(section, dict) and set(section) == FIELDS, where,
            f"a snapshot has exactly {', '.join(sorted(FIELDS))} (as GET /__mock__/state writes it)")
    clock, position, entries = section["clock"], section["random"], section["entries"]
    now: Any = clock.get("now") if isinstance(clock, dict) and set(clock) == {"now"} else None
    # compared, never converted: an int past a float's range is refused, not an OverflowError
    require(type(now) in (int, float) and 0 <= now <= LATEST, where,
            f"clock must be {{\"now\": epoch seconds from 0 to {LATEST}}}")
    require(isinstance(position, list) and len(position) == MT_WORDS
            and all(type(word) is int and 0 <= word < 2 ** 32 for word in position)
            and position[-1] < MT_WORDS, where, f"random must be the {MT_WORDS} words GET /__mock__/state writes")
    require(isinstance(entries, dict) and all(isinstance(values, dict) for values in entries.values()), where,
            "entries must map each namespace to an object of its entries")
    digest = hashlib.sha256()
    for namespace, values in entries.items():
        require(bool(namespace) and ":" not in namespace and namespace != META and kept(namespace, ""), where,
                f"{namespace!r} is not a namespace a snapshot holds")
        for key, value in values.items():
            digest.update(f"{namespace}\0{key}\0{encode(value)}\0".encode())
    require(section["checksum"] == f"sha256:{digest.hexdigest()}", where,
            "the entries do not match their checksum: a snapshot is loaded as it was taken (to change "
            "apps or users, edit an ordinary fixture's sections instead)")
    return Snapshot(entries, float(now), position)


def describe(now: float) -> str:
    moment = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"mockserver state at {moment} (mock clock): load it with --fixtures or PUT /__mock__/state"

