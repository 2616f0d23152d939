"""The OIDC provider's documents and checks: discovery, JWKS, introspection and userinfo."""
from __future__ import annotations

from typing import Any, Dict, Optional

from . import errors as E
from .apps import Apps
from .caller import Caller
from .errors import AuthingError
from .repo import Record
from .tokens import Tokens


class Oidc:
    def __init__(self, apps: Apps, tokens: Tokens):
        self.apps = apps
        self.tokens = tokens

    def jwks(self) -> Dict[str, Any]:
        return {"keys": [self.tokens.codec.key.jwk()]}

    def introspect(self, caller: Caller, client_id: Any, client_secret: Any, token: Any) -> Optional[Dict[str, Any]]:
        """The claims of an active token (None: not active), for a client that authenticates."""
        app = self.apps.find(client_id)
        if app is None or client_secret != app["secret"]:
            raise AuthingError(E.NO_PERMISSION, "client authentication failed", oidc_error="invalid_client")
        if not isinstance(token, str) or not token:
            raise AuthingError(E.BAD_REQUEST, "token is required", oidc_error="invalid_request")
        return self.tokens.introspect(caller._replace(app_id=app["id"]), token)

    def userinfo(self, caller: Caller) -> Record:
        user, _ = self.tokens.authenticated(caller)
        return user
