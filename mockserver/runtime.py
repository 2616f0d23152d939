"""``Runtime``: everything with state in one mock server, and ``current()``, how routes reach it.

This module imports no blueprint and no service: the services it runs are given to it.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Dict, Optional, Sequence
from urllib.parse import urlsplit

from flask import Flask, current_app

from .config import Config
from .control import snapshot
from .control.faults import KEY as FAULTS_KEY, FaultRules
from .control.journal import Bounds, Journal
from .control.stubs import KEY as STUBS_KEY, StubRules
from .core.backends import create_store
from .core.clock import STATE_KEY as CLOCK_KEY, Clock
from .core.fixtures import SNAPSHOT_SECTION, check_fixture, load_fixture
from .core.ids import RandomSource
from .core.store import LOST_STATE, META, State, Store
from .emulation import BuildContext, EmulatedService

log = logging.getLogger("mockserver")
EXTENSION = "mockserver"
#: Control-plane paths that reveal nothing: open to every caller (no admin token, any origin).
OPEN_CONTROL_PATHS = ("/__mock__/health",)


class Runtime:
    """The store, the clock, the random source and the services' domains, built from a Config."""

    def __init__(self, config: Config, services: Sequence[EmulatedService], store: Optional[Store] = None):
        self.config = config
        self.registered = tuple(services)
        self.open_control_paths = frozenset(OPEN_CONTROL_PATHS + tuple(
            path for service in services for path in service.open_control_paths))
        public = urlsplit(config.public_url).hostname if config.public_url else None
        #: Host names the control plane answers to (besides IP literals): see control/admin.py.
        self.control_hosts = ("localhost", "*.localhost", config.host.strip("[]").lower(),
                              *([public] if public else []), *(host for s in services for host in s.hosts))
        fixture = load_fixture(config.fixtures, sections=[service.name for service in services])
        self.fixture_source = fixture["source"]
        taken = snapshot.read(fixture[SNAPSHOT_SECTION], self.fixture_source) if SNAPSHOT_SECTION in fixture else None
        self.store = store or create_store(config.state)
        start = config.clock_start if config.clock_start is not None or taken is None else taken.now
        self.clock = Clock(start=start, frozen=config.clock_frozen, store=self.store if self.store.shared else None)
        # Each start on a shared store draws its own random stream, so processes sharing it (and
        # restarts resuming it) never mint a code or token twice; the first start uses the seed's own.
        starts = self.store.incr(META, "starts") if self.store.shared else 1
        self.random = RandomSource(config.seed, stream=starts if starts > 1 else None)
        self.journal = Journal(self.store, config.journal_size,
                               Bounds(config.journal_max_bytes, config.journal_max_fields))
        self.services: Dict[str, Any] = {}
        for service in services:
            self.services[service.name] = service.build(
                BuildContext(config, self.store, self.clock, self.random, dict(self.services), self.journal))
        # the fixture is not kept: the initial state holds what it says
        self.initial_state: State = self._state_of(fixture, self.fixture_source, taken)
        if taken is not None and starts == 1:  # a snapshot's draws go on where they stood
            self.random.resume(taken.random, from_reset=True)
        self.faults = FaultRules(self.store, self.clock, self.random, services, self.services)
        self.stubs = StubRules(self.store, self.clock, self.random, services, self.services)
        #: False when a persisted store was resumed instead of loaded with the fixture.
        self.loaded_fixture = self.store.initialise(self.initial_state)
        self.store.on_state_lost(self._reinitialise)

    def __getattr__(self, name: str) -> Any:
        """A service's domain by its name: ``runtime.wechat``."""
        services = self.__dict__.get("services", {})
        if name in services:
            return services[name]
        raise AttributeError(f"no service or attribute {name!r} in this runtime")

    def _reinitialise(self, why: str) -> None:
        """The store was found without its state (Redis restarted empty or flushed, the SQLite file
        deleted): load the fixture and start the clock again, as on a first start, and record it
        for ``/__mock__/health``. Of several processes noticing at once, one loads."""
        if not self.store.initialise(self.initial_state):
            return
        self.clock.reset()
        self.store.put(META, LOST_STATE, {"noticed_at": time.time(), "why": why, "action": "reloaded the fixture"})
        log.warning("%s: reloaded the fixture (%s)", why, self.fixture_source)
    def _state_of(self, fixture: Dict[str, Any], where: str, taken: Optional[snapshot.Snapshot]) -> State:
        """The store entries a checked fixture describes: a snapshot's own, or each service's."""
        if taken is not None:
            return taken.entries
        state: State = {}
        for service in self.registered:
            state.update(service.initial_state(self.services[service.name], fixture[service.name],
                                               f"{where}: {service.name}", state))
        return state

    def load(self, data: Any, where: str) -> None:
        """Make a fixture (a snapshot, or one with the services' sections) the current state, as a
        server started with it would hold it: entries, clock, random source (``FixtureError``, and
        nothing changed, when it is wrong). A reset still goes back to the server's own fixture."""
        fixture = check_fixture(data, where, [service.name for service in self.registered])
        taken = snapshot.read(fixture[SNAPSHOT_SECTION], where) if SNAPSHOT_SECTION in fixture else None
        state = self._state_of(fixture, where, taken)
        self.store.replace_all(state)
        if taken is None:
            self.clock.reset()
            self.random.reset()
        else:
            self.clock.set(taken.now)
            self.random.resume(taken.random)

    def begin_emulated_request(self) -> None:
        """What every request to an emulated API reads first — the fault rules, the stubs and, on a
        shared store, the clock — in one store read (one round trip on Redis); ``end_request``
        forgets it."""
        shared = self.store.shared
        values = self.store.get_many([FAULTS_KEY, STUBS_KEY] + ([(META, CLOCK_KEY)] if shared else []))
        self.faults.begin_request(values[0])
        self.stubs.begin_request(values[1])
        if shared:
            self.clock.pin(values[2])

    def end_request(self) -> None:
        self.faults.end_request()
        self.stubs.end_request()

    def reset(self) -> None:
        """Back to the fixture state: stored data, clock and random source."""
        self.store.replace_all(self.initial_state)
        self.clock.reset()
        self.random.reset()


def current() -> Runtime:
    """The runtime of the app handling this request."""
    return current_app.extensions[EXTENSION]


def runtime_of(app: Flask) -> Runtime:
    """The runtime of an app built by ``create_app``."""
    return app.extensions[EXTENSION]
