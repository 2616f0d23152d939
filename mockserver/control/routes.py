"""The control plane's own routes (health, reset, apps, clock, faults, stubs, journal, state, this description).

JSON in, JSON out; errors are 4xx ``{"error": "..."}``. Each service adds its routes under
``/__mock__/`` through its own control blueprints; this module knows none of them.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from ..core.errors import ControlError
from ..core.fixtures import FixtureError
from ..core.store import StoreUnavailable
from ..emulation import WireFormat
from ..runtime import current
from . import snapshot
from .parsing import body

blueprint = Blueprint("control", __name__, url_prefix="/__mock__")


def render_error(exc: ControlError) -> Response:
    response = jsonify({"error": exc.message})
    response.status_code = exc.status
    return response


def render_http_error(exc: HTTPException) -> Response:
    response = jsonify({"error": f"{exc.name}: {exc.description}"})
    response.status_code = exc.code or 500
    return response


def render_internal_error(exc: Exception) -> Response:
    response = jsonify({"error": f"internal error: {type(exc).__name__}"})
    response.status_code = 500
    return response


def render_backend_error(exc: StoreUnavailable) -> Response:
    response = jsonify({"error": str(exc)})
    response.status_code = 503
    return response


WIRE = WireFormat(("/__mock__",), render_http_error, render_internal_error, render_backend_error)


@blueprint.get("/health")
def health():
    """The server and its state backend: 200 ``{"status": "ok", "backend": ...}`` (with
    ``lost_state`` once the store was found without its state and reloaded), 503 while the
    backend cannot serve calls."""
    try:
        return {"status": "ok", **current().store.status()}
    except StoreUnavailable as exc:
        return {"status": "unavailable", "backend": exc.backend, "error": exc.detail}, 503


@blueprint.post("/reset")
def reset():
    current().reset()
    return {"status": "reset"}


@blueprint.get("/apps")
def list_apps():
    """Each service's apps, under its name."""
    rt = current()
    return {service.name: service.describe_apps(rt.services[service.name])
            for service in rt.registered if service.describe_apps is not None}


@blueprint.get("/clock")
def get_clock():
    clock = current().clock
    return {"now": clock.now(), "offset": clock.offset, "frozen": clock.frozen}


@blueprint.post("/clock")
def move_clock():
    data, clock = body(), current().clock
    if ("advance" in data) == ("set" in data):
        raise ControlError("give {\"advance\": seconds} or {\"set\": epoch_seconds}")
    try:
        if "advance" in data:
            clock.advance(data["advance"])
        else:
            clock.set(data["set"])
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    return get_clock()


@blueprint.get("/faults")
def list_faults():
    return {"faults": current().faults.list()}


@blueprint.post("/faults")
def add_fault():
    return current().faults.add(body(), current_app.url_map), 201


@blueprint.delete("/faults")
def clear_faults():
    return {"deleted": current().faults.clear()}


@blueprint.delete("/faults/<rule_id>")
def delete_fault(rule_id: str):
    current().faults.delete(rule_id)
    return {"deleted": rule_id}


@blueprint.get("/stubs")
def list_stubs():
    return {"stubs": current().stubs.list()}


@blueprint.post("/stubs")
def add_stub():
    return current().stubs.add(body(), current_app.url_map), 201


@blueprint.delete("/stubs")
def clear_stubs():
    return {"deleted": current().stubs.clear()}


@blueprint.delete("/stubs/<rule_id>")
def delete_stub(rule_id: str):
    current().stubs.delete(rule_id)
    return {"deleted": rule_id}


@blueprint.get("/requests")
def list_requests():
    return current().journal.query(request.args.to_dict())


@blueprint.delete("/requests")
def clear_requests():
    return {"deleted": current().journal.clear()}


@blueprint.get("/state")
def export_state():
    """The whole state as a fixture file (a snapshot), streamed."""
    rt = current()
    rows, now, position = rt.store.dump(), rt.clock.now(), rt.random.position()
    return Response(snapshot.export(rows, now, position, snapshot.describe(now)),
                    content_type="application/json; charset=utf-8")


@blueprint.put("/state")
def load_state():
    """A fixture file (a snapshot, or one with the services' sections) as the current state."""
    try:
        current().load(body(), "PUT /__mock__/state")
    except FixtureError as exc:
        raise ControlError(str(exc)) from None
    return {"status": "loaded"}


@blueprint.get("/openapi.json")
def openapi():
    from .openapi import spec  # built on request: not at start-up

    return spec(current().registered)
