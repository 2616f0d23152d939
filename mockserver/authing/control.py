"""The Authing part of the control plane (``/__mock__/authing/...``) and the ``wx`` shim.

JSON in, JSON out; misuse raises ``ControlError`` (4xx ``{"error": "..."}``) like the rest of
the control plane.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response

from ..app import runtime
from ..control.routes import body
from .routes import base_url

blueprint = Blueprint("authing_control", __name__, url_prefix="/__mock__")
WX_SHIM = Path(__file__).resolve().parent.parent / "static" / "wx.js"


@blueprint.get("/authing/users")
def list_users():
    return {"users": runtime().authing.users()}


@blueprint.get("/authing/users/<user_id>")
def get_user(user_id: str):
    return runtime().authing.user_record(user_id)


@blueprint.patch("/authing/users/<user_id>")
def update_user(user_id: str):
    """``{"blocked": true|false}``: lock a user out of logins and token calls (2005), or back in."""
    return runtime().authing.update_user_record(user_id, body())


@blueprint.get("/authing/sms")
def list_sms():
    """Every SMS code sent, as Firebase's emulator lists its codes: a test reads the code here."""
    return {"codes": runtime().authing.sms_outbox()}


@blueprint.post("/authing/tokens")
def mint_token():
    """A token for an existing user, without a login: ``{"userId", "appId"?, "expiresIn"?}``."""
    return runtime().authing.mint_token(body(), base_url()), 201


@blueprint.get("/wx.js")
def wx_shim():
    return Response(WX_SHIM.read_bytes(), status=200, content_type="application/javascript; charset=utf-8")
