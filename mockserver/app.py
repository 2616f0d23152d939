"""``create_app(config)``: one Flask app emulating every service, plus the control plane.

The app owns one ``Runtime``: the store, the clock, the random source and the services built on
them. Routes reach it through ``runtime()``; services never see Flask. Errors are turned into each
service's own wire format by one handler per format, chosen by the request path.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from .config import Config
from .routing import LazyBuilderRule
from .core.clock import Clock
from .core.errors import ControlError
from .core.fixtures import load_fixture
from .core.ids import RandomSource
from .core.store import META, Store, create_store
from .authing.service import AuthingService
from .authing.tokens import SigningKey
from .control.faults import FaultRules
from .control.journal import Journal
from .wechat.service import WeChatService

log = logging.getLogger("mockserver")


class Runtime:
    """Everything with state in one mock server, built from a Config."""

    def __init__(self, config: Config, store: Optional[Store] = None):
        self.config = config
        fixture = load_fixture(config.fixtures)  # not kept: the initial state holds what it says
        self.fixture_source = fixture["source"]
        self.store = store or create_store(config.state)
        self.clock = Clock(start=config.clock_start, frozen=config.clock_frozen,
                           store=self.store if self.store.shared else None)
        # Each start on a shared store draws its own random stream, so processes sharing it (and
        # restarts resuming it) never mint a code or token twice; the first start uses the seed's own.
        starts = self.store.incr(META, "starts") if self.store.shared else 1
        self.random = RandomSource(config.seed, stream=starts if starts > 1 else None)
        self.wechat = WeChatService(self.store, self.clock, self.random,
                                    accept_unknown_codes=config.accept_unknown_codes)
        self.faults = FaultRules(self.store, self.clock, self.random)
        self.journal = Journal(self.store, config.journal_size)
        self.initial_state = self.wechat.directory.initial_state(fixture)
        self.authing = AuthingService(self.store, self.clock, self.random, self.wechat,
                                      SigningKey.load(config.signing_key))
        self.initial_state.update(self.authing.initial_state(fixture))
        #: False when a persisted store was resumed instead of loaded with the fixture.
        self.loaded_fixture = self.store.initialise(self.initial_state)

    def reset(self) -> None:
        """Back to the fixture state: stored data, clock and random source."""
        self.store.replace_all(self.initial_state)
        self.clock.reset()
        self.random.reset()


def runtime() -> Runtime:
    return current_app.extensions["mockserver"]


@dataclass
class WireFormat:
    """How one emulated service writes errors, for requests whose path starts with a prefix."""
    prefixes: Tuple[str, ...]
    http_error: Callable[[HTTPException], Response]
    internal_error: Callable[[Exception], Response]


def create_app(config: Optional[Config] = None) -> Flask:
    config = config or Config()
    app = Flask(__name__)
    app.url_rule_class = LazyBuilderRule
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["mockserver"] = Runtime(config)

    from .authing import control as authing_control
    from .authing import routes as authing
    from . import cors
    from .control import admin, dashboard, traffic
    from .control import routes as control
    from .wechat import routes as wechat

    formats: List[WireFormat] = [control.WIRE, wechat.WIRE, *authing.WIRES]
    app.register_blueprint(control.blueprint)
    app.register_blueprint(dashboard.blueprint)
    app.register_blueprint(wechat.blueprint)
    app.register_blueprint(authing.blueprint)
    app.register_blueprint(authing_control.blueprint)
    app.register_error_handler(authing.AuthingError, authing.render_error)
    app.register_error_handler(ControlError, control.render_error)
    app.register_error_handler(wechat.WeChatError, wechat.render_error)

    admin.install(app)  # before the traffic hooks: a refused caller neither faults nor journals
    traffic.install(app)
    cors.install(app)

    def wire_format() -> WireFormat:
        for fmt in formats:
            if request.path.startswith(fmt.prefixes):
                return fmt
        return control.WIRE  # paths no emulated service owns

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return wire_format().http_error(exc)

    @app.errorhandler(Exception)
    def internal_error(exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return wire_format().internal_error(exc)

    return app
