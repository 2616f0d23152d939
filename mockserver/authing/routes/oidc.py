"""OIDC routes: discovery, JWKS, introspection and userinfo."""
from __future__ import annotations

from flask import Blueprint, request

from .. import views
from . import RouteTable, authing, caller, register


def jwks():
    return authing().oidc.jwks()


def openid_configuration():
    return views.discovery(caller().issuer)


def introspection():
    form = request.form
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    if request.authorization and request.authorization.type == "basic":
        client_id = request.authorization.username
        client_secret = request.authorization.password
    claims = authing().oidc.introspect(caller(), client_id, client_secret, form.get("token"))
    return views.introspection(claims)


def oidc_me():
    return views.userinfo(authing().oidc.userinfo(caller()))


ROUTES: RouteTable = {
    "/oidc/.well-known/jwks.json": (("GET",), jwks),
    "/oidc/.well-known/openid-configuration": (("GET",), openid_configuration),
    "/oidc/token/introspection": (("POST",), introspection),
    "/oidc/me": (("GET", "POST"), oidc_me),
}
blueprint = register(Blueprint("authing_oidc", __name__), ROUTES)
