"""The Authing part of the control plane (``/__mock__/authing/...``): users, SMS codes sent,
tokens minted without a login, and each user's live tokens, one of which it revokes.
JSON in, JSON out; misuse is a ``ControlError`` (4xx)."""
from __future__ import annotations

from typing import Any, Dict, Mapping, Tuple

from flask import Blueprint, request

from ..control.parsing import body, page, page_query
from .routes import authing, base_url
from .service import AuthingService

blueprint = Blueprint("authing_control", __name__, url_prefix="/__mock__", template_folder="templates")


@blueprint.get("/authing/users")
def list_users():
    """A page of the users, in creation order (``?offset=&limit=``), with their total."""
    query = page_query(request.args)
    total, users = authing().directory.page(query.offset, query.limit)
    return page("users", total, users, query)


@blueprint.get("/authing/users/<user_id>")
def get_user(user_id: str):
    return authing().user_record(user_id)


@blueprint.patch("/authing/users/<user_id>")
def update_user(user_id: str):
    """``{"blocked": true|false}``: lock a user out of logins and token calls (2005), or back in."""
    return authing().directory.update_record(user_id, body())


@blueprint.put("/authing/users/<user_id>/password")
def set_password(user_id: str):
    """``{"password": "..."}``: the user's password from now on (for the OIDC password grant); only
    its hash is kept, and it is never shown."""
    service = authing()
    user = service.user_record(user_id)
    service.passwords.set_checked(user["id"], body().get("password"))
    return {"userId": user["id"]}


@blueprint.get("/authing/sms")
def list_sms():
    """Every SMS code sent, as Firebase's emulator lists its codes: a test reads the code here."""
    return {"codes": authing().sms_outbox()}


@blueprint.get("/authing/emails")
def list_emails():
    """Every email sent (code messages), in the order sent: a test reads the code here."""
    return {"emails": authing().email_outbox()}


@blueprint.post("/authing/tokens")
def mint_token():
    """A token for an existing user, without a login: ``{"userId", "appId"?, "expiresIn"?}``."""
    id_token, access_token, user, app = authing().tokens.mint(body(), base_url())
    return {"token": id_token.token, "id_token": id_token.token, "access_token": access_token.token,
            "exp": id_token.claims["exp"], "iat": id_token.claims["iat"], "appId": app["id"], "userId": user["id"]}, 201


@blueprint.get("/authing/users/<user_id>/tokens")
def list_user_tokens(user_id: str):
    """The user's live tokens (``{jti, kind, appId, issuedAt, expiresAt}``, oldest first): never the
    token itself, which the journal would then hold."""
    return {"userId": user_id, "tokens": authing().tokens.live_of(user_id)}


@blueprint.post("/authing/users/<user_id>/tokens/<jti>/revoke")
def revoke_user_token(user_id: str, jti: str):
    """Revoke one of the user's live tokens: it is refused from now on (a logout's 2206, inactive
    introspection); 404 when it is none of theirs, expired or already revoked."""
    return authing().tokens.revoke_issued(user_id, jti)


def apps(service: AuthingService) -> Dict[str, Any]:
    """Authing's part of ``GET /__mock__/apps``: pools, apps and connections, also under the
    names the SDKs take them by (``appId``, ``extIdpConnidentifier``)."""
    return {"userPools": service.pools(),
            "apps": [{"appId": app["id"], **app} for app in service.apps()],
            "connections": [{"extIdpConnidentifier": conn["identifier"], **conn} for conn in service.connections()]}


def dashboard(service: AuthingService, args: Mapping[str, str]) -> Tuple[str, Dict[str, Any]]:
    """The Authing part of the dashboard's template: pools and apps (the users and the SMS outbox
    are tables of ``dashboard.py``)."""
    pools, apps = service.pools(), service.apps()
    return "authing_dashboard.html", {"authing_pools": pools, "authing_apps": apps,
                                      "summary": [("authing-apps", "Authing pools and apps", len(pools) + len(apps))]}
