"""Who an OIDC client is, and where it may be sent: client authentication at the token,
introspection and revocation endpoints (``none``, ``client_secret_post``, ``client_secret_basic``),
and the redirect and post-logout redirect URIs an app accepts.

An app without URI lists (``redirectUris`` / ``postLogoutRedirectUris`` None) accepts any http(s)
URI on a loopback host — ``localhost``, ``127.0.0.1`` or ``[::1]``, any port and path — as
mock-oauth2-server does; with them, exactly the URIs listed.
"""
from __future__ import annotations

from typing import Any, List, NamedTuple, Optional, Tuple
from urllib.parse import urlsplit

from . import errors as E
from .apps import Apps
from .errors import AuthingError
from .repo import Record

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class ClientAuth(NamedTuple):
    """What a request presented to authenticate its client: the HTTP Basic pair, if any, and the
    ``client_id`` / ``client_secret`` form fields (None when absent)."""
    basic: Optional[Tuple[str, str]] = None
    client_id: Optional[str] = None
    client_secret: Optional[str] = None


class AuthenticatedClient(NamedTuple):
    app: Record
    method: str  # none | client_secret_post | client_secret_basic


def invalid_client(message: str) -> AuthingError:
    return AuthingError(E.NO_PERMISSION, message, oidc_error="invalid_client")


def invalid_request(message: str) -> AuthingError:
    return AuthingError(E.BAD_REQUEST, message, oidc_error="invalid_request")


def authenticate(apps: Apps, auth: ClientAuth, prefixed_app: Optional[str] = None) -> AuthenticatedClient:
    """The app a request authenticates as (RFC 6749 §2.3), by one method the app accepts; else
    ``invalid_client`` (401; with ``WWW-Authenticate: Basic`` when Basic was tried, see views).
    ``prefixed_app``: the app id of the path (``/<appId>/oidc/...``), which the client must be."""
    if auth.basic is not None:
        if auth.client_secret is not None:
            raise invalid_request("client authentication must only be provided using one mechanism")
        client_id, secret = auth.basic
        if auth.client_id is not None and auth.client_id != client_id:
            raise invalid_request("client_id does not match the client of the Authorization header")
        method = "client_secret_basic"
    elif auth.client_secret is not None:
        client_id, secret, method = auth.client_id or "", auth.client_secret, "client_secret_post"
    else:
        client_id, secret, method = auth.client_id or "", None, "none"
    if not client_id:
        raise invalid_client("no client authentication mechanism provided")
    app = apps.find(client_id)
    if app is None or (prefixed_app is not None and app["id"] != prefixed_app):
        raise invalid_client("client is invalid: client_id names no app here")
    if method not in app["authMethods"]:
        raise invalid_client(f"the app does not accept the client authentication method {method}")
    if secret is not None and secret != app["secret"]:
        raise invalid_client("invalid secret provided")
    return AuthenticatedClient(app, method)


def loopback(uri: str) -> bool:
    """An absolute http(s) URI on a loopback host, without user info or fragment."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 -- a port that is not a number raises here
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and parts.hostname in LOOPBACK_HOSTS and "@" not in parts.netloc
            and not parts.fragment and "#" not in uri)


def uri_allowed(uri: Any, allowed: Optional[List[str]]) -> bool:
    """Whether an app whose list is ``allowed`` accepts ``uri`` (None: any loopback URI)."""
    if not isinstance(uri, str) or not uri:
        return False
    return loopback(uri) if allowed is None else uri in allowed
