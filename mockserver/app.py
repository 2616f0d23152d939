"""``create_app(config)``: one Flask app emulating every registered service, plus the control plane.

This module only composes: the runtime (``runtime.py``), each service's blueprints and error
handlers (``registry.py`` names the services), the control plane, and the hooks. HTTP errors (and
paths no route emulates: ``not_emulated.py``), a state backend that cannot serve the request
(``StoreUnavailable``; the store logs the outage once) and unexpected exceptions are answered in
the wire format whose path prefixes match the request.
"""
from __future__ import annotations

import logging
from typing import List, Optional, Sequence, Union

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from . import cors, not_emulated, registry
from .config import Config
from .control import admin, dashboard, routes as control, traffic
from .core.errors import ControlError
from .core.store import StoreUnavailable
from .emulation import EmulatedService, WireFormat
from .http import BoundedRequest
from .routing import LazyBuilderRule
from .runtime import EXTENSION, Runtime

log = logging.getLogger("mockserver")


def create_app(config: Optional[Config] = None,
               services: Optional[Sequence[Union[EmulatedService, str]]] = None) -> Flask:
    """``services``: the emulated services (``SERVICE`` objects or module names); default: all."""
    config = config or Config()
    chosen = registry.load(registry.DEFAULT_SERVICES if services is None else services)
    app = Flask(__name__)
    app.url_rule_class = LazyBuilderRule
    app.request_class = BoundedRequest
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    runtime = Runtime(config, chosen)
    app.extensions[EXTENSION] = runtime

    app.register_blueprint(control.blueprint)
    app.register_blueprint(dashboard.blueprint)
    app.register_blueprint(dashboard.icons)
    app.register_error_handler(ControlError, control.render_error)
    formats: List[WireFormat] = [control.WIRE]
    for service in chosen:
        for blueprint in (*service.blueprints, *service.control_blueprints):
            app.register_blueprint(blueprint)
        for error_type, render in service.error_handlers.items():
            app.register_error_handler(error_type, render)
        formats += service.wire_formats

    if runtime.store.shared:  # one read of the shared clock per request, not one per now()
        app.before_request(runtime.clock.begin_request)
        app.teardown_request(lambda exc: runtime.clock.end_request())
    admin.install(app)  # before the traffic hooks: a refused caller neither faults nor journals
    traffic.install(app)
    cors.install(app)

    def wire_format() -> WireFormat:
        for fmt in formats:
            if request.path.startswith(fmt.prefixes):
                return fmt
        return control.WIRE  # paths no emulated service owns

    unemulated = not_emulated.NotEmulated()

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not_emulated.applies(request):
            return unemulated.answer(wire_format(), exc, request)
        return wire_format().http_error(exc)

    @app.errorhandler(StoreUnavailable)
    def backend_error(exc: StoreUnavailable):
        fmt = wire_format()
        return (fmt.backend_error or fmt.internal_error)(exc)

    @app.errorhandler(Exception)
    def internal_error(exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return wire_format().internal_error(exc)

    return app

