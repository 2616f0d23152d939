"""OIDC routes, on the paths Authing serves, each also under an app id (``/<appId>/oidc/...``, the
app's own issuer): discovery, JWKS, authorization, token, userinfo, introspection, revocation and
end session."""
from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, unquote_plus

from flask import Blueprint, Response, jsonify, request
from flask.blueprints import BlueprintSetupState
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter

from .. import views
from ..caller import Caller
from ..oidc_clients import ClientAuth, invalid_request
from . import RouteTable, authing, caller, register


class AppIdConverter(BaseConverter):
    """An Authing app id: 24 lowercase hex characters."""
    regex = "[0-9a-f]{24}"


def oidc_caller(app_id: Optional[str]) -> Caller:
    """The request's caller; under ``/<appId>/oidc`` the app (404 when none) and its own issuer."""
    found = caller()
    if app_id is None:
        return found
    if authing().applications.find(app_id) is None:
        raise NotFound(f"no Authing app {app_id}")
    return found._replace(app_id=app_id, issuer_path=f"/{app_id}/oidc")


def params_of(source: "MultiDict[str, str]") -> Tuple[Dict[str, str], List[str]]:
    """The parameters (an empty value counts as absent, RFC 6749 §3.1) and the names given twice."""
    params: Dict[str, str] = {}
    repeated: List[str] = []
    for name in source:
        values = [v for v in source.getlist(name) if v != ""]
        if len(values) > 1:
            repeated.append(name)
        if values:
            params[name] = values[0]
    return params, repeated


def form() -> "MultiDict[str, str]":
    """The form body; a body sent without a Content-Type is read as a form too (axios sends
    authing-node-sdk's token requests so)."""
    if request.form or request.mimetype:
        return request.form
    return MultiDict(parse_qsl(request.get_data(as_text=True), keep_blank_values=True))


def client_auth(fields: Dict[str, str]) -> ClientAuth:
    basic = None
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        # RFC 6749 §2.3.1: the id and the secret are form-encoded before Basic encoding.
        basic = (unquote_plus(auth.username or ""), unquote_plus(auth.password or ""))
    return ClientAuth(basic, fields.get("client_id"), fields.get("client_secret"))


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the routes -------------------------------------------------------------------------------------
def jwks(app_id: Optional[str] = None):
    oidc_caller(app_id)
    return authing().oidc.jwks()


def openid_configuration(app_id: Optional[str] = None):
    who = oidc_caller(app_id)
    return views.discovery(who.issuer, authing().applications.find(app_id) if app_id else None)


#: The hosted login page's CSRF cookie: its value is also a hidden field of each form (double submit).
CSRF_COOKIE = "authing_mock_csrf"


def authorize(app_id: Optional[str] = None):
    """An authorization request (GET, or POST as OIDC allows), or a post of the hosted page's forms
    (a POST with ``mock_action``): its fields are split off the request's parameters."""
    who = oidc_caller(app_id)
    params, repeated = params_of(request.args if request.method == "GET" else form())
    submission = None
    if request.method == "POST" and "mock_action" in params:
        from ..hosted_login import FIELDS, Submission  # the page's part, on first use

        fields = {name: params.pop(name) for name in FIELDS if name in params}
        repeated = [name for name in repeated if name not in FIELDS]
        cookie = request.cookies.get(CSRF_COOKIE, "")
        trusted = bool(cookie) and hmac.compare_digest(cookie.encode(), str(fields.get("csrf_token", "")).encode())
        submission = Submission(fields.pop("mock_action"), fields, trusted)
    answer = authing().oidc.authorization.authorize(who, params, repeated, prefixed_app=app_id, submission=submission)
    from ..authorize import Redirect  # loaded with the OIDC provider, on first use

    if isinstance(answer, Redirect):
        return views.redirect_to(answer)
    # Not the seeded random source: a secret, and drawing it must not shift the codes tests expect.
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_hex(16)
    response = views.hosted_page(answer, request.path, token)
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="Lax", path=request.path)
    return response


def token(app_id: Optional[str] = None):
    who = oidc_caller(app_id)
    params, repeated = params_of(form())
    granted = authing().oidc.token(who, client_auth(params), params, repeated, prefixed_app=app_id)
    return views.token_response(granted)


def introspection(app_id: Optional[str] = None):
    who = oidc_caller(app_id)
    params, _ = params_of(form())
    claims = authing().oidc.introspect(who, client_auth(params), params.get("token"), prefixed_app=app_id)
    return no_store(jsonify(views.introspection(claims)))


def revocation(app_id: Optional[str] = None):
    who = oidc_caller(app_id)
    params, _ = params_of(form())
    authing().oidc.revoke(who, client_auth(params), params.get("token"), prefixed_app=app_id)
    return no_store(Response(status=200))


def oidc_me(app_id: Optional[str] = None):
    """The token in ``Authorization: Bearer``, or as ``access_token`` in the query or the form —
    one of them only (RFC 6750 §2)."""
    who = oidc_caller(app_id)
    given = [t for t in (who.token, request.args.get("access_token"),
                         form().get("access_token") if request.method == "POST" else None) if t]
    if len(given) > 1:
        raise invalid_request("the access token must be given in one way only")
    user, scope = authing().oidc.userinfo(who._replace(token=given[0] if given else None))
    return no_store(jsonify(views.userinfo(user, scope)))


def end_session(app_id: Optional[str] = None):
    who = oidc_caller(app_id)
    params, repeated = params_of(request.args if request.method == "GET" else form())
    answer = authing().oidc.end_session(who, params, repeated)
    return views.logged_out() if answer is None else views.redirect_to(answer)


PATHS: RouteTable = {
    "/oidc/.well-known/jwks.json": (("GET",), jwks),
    "/oidc/.well-known/openid-configuration": (("GET",), openid_configuration),
    "/oidc/auth": (("GET", "POST"), authorize),
    "/oidc/token": (("POST",), token),
    "/oidc/token/introspection": (("POST",), introspection),
    "/oidc/token/revocation": (("POST",), revocation),
    "/oidc/me": (("GET", "POST"), oidc_me),
    "/oidc/session/end": (("GET", "POST"), end_session),
}
#: Every path, and the same under an app id.
ROUTES: RouteTable = {**PATHS, **{f"/<appid:app_id>{path}": route for path, route in PATHS.items()}}

TEMPLATES = str(Path(__file__).resolve().parent.parent / "templates")
blueprint = Blueprint("authing_oidc", __name__, template_folder=TEMPLATES)


@blueprint.record_once
def add_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters["appid"] = AppIdConverter


register(blueprint, ROUTES)
