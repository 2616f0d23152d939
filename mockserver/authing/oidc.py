"""The OIDC provider of each Authing app: its documents (JWKS), and the endpoints that take a
token — introspection (RFC 7662), revocation (RFC 7009), userinfo and end session. The
authorization endpoint is ``authorize.py``, the token endpoint's grants ``oidc_grants.py``, client
authentication and redirect rules ``oidc_clients.py``.

Every token is checked by ``Tokens.live`` (a user's) or ``Tokens.live_client`` (a
client-credentials token); refresh tokens are opaque and kept in the store.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ..core.clock import Clock
from .apps import Apps
from .authorize import Authorization, Redirect
from .caller import Caller
from .oidc_clients import AuthenticatedClient, ClientAuth, authenticate, invalid_request, uri_allowed
from .oidc_grants import GrantedTokens, Grants
from .repo import AuthingRepository, Record
from .tokens import V3_SCOPE, Tokens


class Oidc:
    def __init__(self, repo: AuthingRepository, apps: Apps, tokens: Tokens, clock: Clock,
                 authorization: Authorization, grants: Grants):
        self.repo = repo
        self.clock = clock
        self.apps = apps
        self.tokens = tokens
        self.authorization = authorization
        self.grants = grants

    def jwks(self) -> Dict[str, Any]:
        return {"keys": [self.tokens.codec.key.jwk()]}

    def client(self, auth: ClientAuth, prefixed_app: Optional[str] = None) -> AuthenticatedClient:
        return authenticate(self.apps, auth, prefixed_app)

    def token(self, caller: Caller, auth: ClientAuth, params: Dict[str, str], repeated: List[str],
              prefixed_app: Optional[str] = None) -> GrantedTokens:
        client = self.client(auth, prefixed_app)
        return self.grants.grant(caller, client, params, repeated)

    def introspect(self, caller: Caller, auth: ClientAuth, token: Any,
                   prefixed_app: Optional[str] = None) -> Optional[Dict[str, Any]]:
        """The claims of an active token of the authenticated client (None: not active): a user's
        token, a client-credentials token, or a refresh token."""
        app = self.client(auth, prefixed_app).app
        if not isinstance(token, str) or not token:
            raise invalid_request("missing required parameter 'token'")
        as_client = caller._replace(app_id=app["id"])
        claims = self.tokens.introspect(as_client, token)
        if claims is not None:
            return claims
        verified = self.tokens.live_client(token, as_client)
        if verified is not None:
            return verified.claims
        return self._refresh_claims(app, token, caller.issuer)

    def _refresh_claims(self, app: Record, token: str, issuer: str) -> Optional[Dict[str, Any]]:
        record = self.repo.refresh_token(token)
        if record is None or record["appId"] != app["id"] or self.clock.now() >= record["expiresAt"]:
            return None
        user = self.repo.user(record["userId"])
        if user is None or user.get("blocked"):
            return None
        return {"sub": user["id"], "aud": app["id"], "exp": int(record["expiresAt"]),
                "iat": int(record["issuedAt"]), "iss": issuer, "scope": record["scope"]}

    def revoke(self, caller: Caller, auth: ClientAuth, token: Any, prefixed_app: Optional[str] = None) -> None:
        """RFC 7009: the token (a JWT or a refresh token of this client) stops working; an unknown or
        foreign token is answered the same way, and changes nothing."""
        app = self.client(auth, prefixed_app).app
        if not isinstance(token, str) or not token:
            raise invalid_request("missing required parameter 'token'")
        if self.tokens.revoke(token, caller._replace(app_id=app["id"])):
            return
        record = self.repo.refresh_token(token)
        if record is not None and record["appId"] == app["id"]:
            self.repo.delete_refresh_token(token)

    def userinfo(self, caller: Caller) -> Tuple[Record, str]:
        """The user behind a request's token, and the scope the token was granted (a token of
        Authing's own logins has none written: it was granted ``V3_SCOPE``)."""
        user, verified = self.tokens.authenticated(caller)
        return user, verified.claims.get("scope") or V3_SCOPE

    def end_session(self, caller: Caller, params: Dict[str, str], repeated: List[str]) -> Optional[Redirect]:
        """RP-initiated logout: ``id_token_hint``'s token stops working; back to
        ``post_logout_redirect_uri`` (with ``state``) when given and accepted by the app, else None
        (the logged-out page)."""
        if repeated:
            raise invalid_request(f"parameters must not be provided twice: {', '.join(repeated)}")
        app: Optional[Record] = None
        hint = params.get("id_token_hint")
        if hint is not None:
            verified = self.tokens.hinted(hint, caller)
            if verified is None:
                raise invalid_request("could not validate id_token_hint")
            app = verified.app
        client_id = params.get("client_id")
        if client_id is not None:
            if app is not None and app["id"] != client_id:
                raise invalid_request("client_id does not match the audience of id_token_hint")
            app = self.apps.find(client_id)
            if app is None:
                raise invalid_request("client_id names no app here")
        if app is None and caller.app_id is not None:
            app = self.apps.find(caller.app_id)
        uri = params.get("post_logout_redirect_uri")
        if uri is not None:
            if app is None:
                raise invalid_request("post_logout_redirect_uri needs id_token_hint or client_id")
            if not uri_allowed(uri, app["postLogoutRedirectUris"]):
                raise invalid_request("post_logout_redirect_uri is not one of the app's logout redirect URIs")
        if hint is not None:
            self.tokens.revoke(hint, caller._replace(app_id=app["id"] if app else None))
        if uri is None:
            return None
        return Redirect(uri, "query", {"state": params["state"]} if "state" in params else {})

