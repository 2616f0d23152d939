"""Every control-plane route. JSON in, JSON out; errors are 4xx ``{"error": "..."}``."""
from __future__ import annotations

from typing import Any, Dict

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from ..app import WireFormat, runtime
from ..http import NO_BODY, request_json
from ..core.errors import ControlError
from .openapi import SPEC

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


WIRE = WireFormat(("/__mock__",), render_http_error, render_internal_error)


def body() -> Dict[str, Any]:
    """The JSON object body (empty when there is none)."""
    data = request_json()
    if data is NO_BODY:
        return {}
    if not isinstance(data, dict):
        raise ControlError("body must be a JSON object")
    return data


def required(data: Dict[str, Any], name: str) -> Any:
    value = data.get(name)
    if value in (None, ""):
        raise ControlError(f"'{name}' is required")
    return value


@blueprint.get("/health")
def health():
    return {"status": "ok"}


@blueprint.post("/reset")
def reset():
    runtime().reset()
    return {"status": "reset"}


@blueprint.post("/wechat/login")
def wechat_login():
    data = body()
    return runtime().wechat.mint_login_code(required(data, "appid"), data.get("user"))


@blueprint.post("/wechat/phone-code")
def wechat_phone_code():
    data = body()
    return runtime().wechat.mint_phone_code(required(data, "appid"), required(data, "user"))


@blueprint.post("/wechat/encrypted-data")
def wechat_encrypted_data():
    data = body()
    return runtime().wechat.encrypted_data(required(data, "appid"), required(data, "user"),
                                           data.get("kind", "userInfo"))


@blueprint.get("/wechat/messages")
def wechat_messages():
    return {"messages": runtime().wechat.sent_messages()}


@blueprint.get("/users")
def list_users():
    wechat = runtime().wechat
    return {"users": [wechat.describe_user(user) for user in wechat.users()]}


@blueprint.post("/users")
def create_user():
    wechat = runtime().wechat
    return wechat.describe_user(wechat.create_user(body())), 201


@blueprint.get("/users/<ref>")
def get_user(ref: str):
    wechat = runtime().wechat
    return wechat.describe_user(wechat.user(ref))


@blueprint.patch("/users/<ref>")
def update_user(ref: str):
    wechat = runtime().wechat
    return wechat.describe_user(wechat.update_user(ref, body()))


@blueprint.delete("/users/<ref>")
def delete_user(ref: str):
    wechat = runtime().wechat
    return {"deleted": wechat.delete_user(ref)["alias"]}


@blueprint.get("/apps")
def list_apps():
    authing = runtime().authing
    # appId / extIdpConnidentifier: the names the Authing SDKs take these values under.
    return {"wechat": runtime().wechat.apps(),
            "authing": {"userPools": authing.pools(),
                        "apps": [{"appId": app["id"], **app} for app in authing.apps()],
                        "connections": [{"extIdpConnidentifier": conn["identifier"], **conn}
                                        for conn in authing.connections()]}}


@blueprint.post("/apps")
def create_app():
    return runtime().wechat.create_app(body()), 201


@blueprint.get("/clock")
def get_clock():
    clock = runtime().clock
    return {"now": clock.now(), "offset": clock.offset, "frozen": clock.frozen}


@blueprint.post("/clock")
def move_clock():
    data, clock = body(), runtime().clock
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
    return {"faults": runtime().faults.list()}


@blueprint.post("/faults")
def add_fault():
    wechat = runtime().wechat
    return runtime().faults.add(body(), current_app.url_map, lambda ref: wechat.user(ref)["alias"]), 201


@blueprint.delete("/faults")
def clear_faults():
    return {"deleted": runtime().faults.clear()}


@blueprint.delete("/faults/<rule_id>")
def delete_fault(rule_id: str):
    runtime().faults.delete(rule_id)
    return {"deleted": rule_id}


@blueprint.get("/requests")
def list_requests():
    return runtime().journal.query(request.args.to_dict())


@blueprint.delete("/requests")
def clear_requests():
    return {"deleted": runtime().journal.clear()}


@blueprint.get("/openapi.json")
def openapi():
    return SPEC
