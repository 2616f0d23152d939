"""The OIDC token endpoint's grants (RFC 6749 §4-6, errors as §5.2): ``authorization_code`` (with
PKCE, S256 or plain), ``refresh_token``, ``client_credentials`` and ``password``, each only where
the app enables it.

- A code is taken once, in one atomic ``update`` of the store, and only when it was issued to this
  client for this redirect URI and its PKCE verifier checks: 50 clients racing one code get one
  token set and 49 ``invalid_grant``. A refused exchange (another client, another redirect URI, a
  wrong verifier) leaves the code as it was, as node-oidc-provider (Authing's base) does.
- A refresh token (opaque) comes with the ``offline_access`` scope, whatever ``prompt`` said.
  Refreshing does not rotate it: Authing answers the same refresh token with new access and id
  tokens until it expires (docs.authing.cn, "什么是 Refresh Token").
- ``client_credentials`` needs a client secret and no scope; its token is the app's own.
- ``password`` takes exactly one of ``username``, ``email`` and ``phone``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Dict, List, NamedTuple, Optional

from ..core.clock import Clock
from ..core.ids import RandomSource
from ..core.store import UNCHANGED
from . import errors as E
from .caller import Caller
from .errors import AuthingError
from .oidc_clients import AuthenticatedClient, invalid_request
from .passwords import Passwords
from .repo import AuthingRepository, Record
from .scopes import granted_scope
from .tokens import Tokens
from .users import Users, refuse_blocked

GRANTS = ("authorization_code", "refresh_token", "client_credentials", "password")
PASSWORD_IDENTIFIERS = ("username", "email", "phone")
DEFAULT_PASSWORD_SCOPE = "openid profile"


class GrantedTokens(NamedTuple):
    access_token: str
    expires_in: int
    scope: str
    id_token: Optional[str] = None
    refresh_token: Optional[str] = None


def invalid_grant(message: str) -> AuthingError:
    return AuthingError(E.BAD_REQUEST, message, oidc_error="invalid_grant")


def pkce_challenge(verifier: str, method: str) -> str:
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def code_refusal(record: Optional[Record], client: AuthenticatedClient, redirect_uri: str,
                 verifier: Optional[str], now: float) -> Optional[str]:
    """Why a code cannot be exchanged by this request (None: it can)."""
    if record is None or now >= record["expiresAt"]:
        return "authorization code is invalid or expired"
    if record["usedAt"] is not None:
        return "authorization code has already been used"
    if record["appId"] != client.app["id"]:
        return "authorization code was issued to another client"
    if record["redirectUri"] != redirect_uri:
        return "redirect_uri does not match the one of the authorization request"
    challenge = record["codeChallenge"]
    if challenge is None:
        if verifier is not None:
            return "code_verifier given, but the authorization request had no code_challenge"
        if client.method == "none":
            return "a client without a secret (auth method none) must use PKCE"
        return None
    if verifier is None:
        return "code_verifier is required: the authorization request had a code_challenge"
    if not hmac.compare_digest(pkce_challenge(verifier, record["codeChallengeMethod"]), challenge):
        return "PKCE verification failed: code_verifier does not match code_challenge"
    return None


class Grants:
    def __init__(self, repo: AuthingRepository, users: Users, tokens: Tokens, passwords: Passwords, clock: Clock,
                 random: RandomSource):
        self.repo = repo
        self.users = users
        self.tokens = tokens
        self.passwords = passwords
        self.clock = clock
        self.random = random

    def grant(self, caller: Caller, client: AuthenticatedClient, params: Dict[str, str],
              repeated: List[str]) -> GrantedTokens:
        if repeated:
            raise invalid_request(f"parameters must not be provided twice: {', '.join(repeated)}")
        grant_type = params.get("grant_type")
        if grant_type is None:
            raise invalid_request("missing required parameter 'grant_type'")
        if grant_type not in GRANTS:
            raise AuthingError(E.BAD_REQUEST, f"unsupported grant_type {grant_type!r}",
                               oidc_error="unsupported_grant_type")
        if grant_type not in client.app["grantTypes"]:
            raise AuthingError(E.BAD_REQUEST, f"the app does not allow the {grant_type} grant",
                               oidc_error="unauthorized_client")
        if grant_type == "authorization_code":
            return self._code(caller, client, params)
        if grant_type == "refresh_token":
            return self._refresh(caller, client.app, params)
        if grant_type == "client_credentials":
            return self._client_credentials(caller, client, params)
        return self._password(caller, client.app, params)

    # --- the grants -------------------------------------------------------------------------------
    def _code(self, caller: Caller, client: AuthenticatedClient, params: Dict[str, str]) -> GrantedTokens:
        for name in ("code", "redirect_uri"):
            if name not in params:
                raise invalid_request(f"missing required parameter '{name}'")
        code, redirect_uri = params["code"], params["redirect_uri"]
        verifier, now = params.get("code_verifier"), self.clock.now()

        def take(record):
            refusal = code_refusal(record, client, redirect_uri, verifier, now)
            if refusal is not None:
                return UNCHANGED, refusal
            return {**record, "usedAt": now}, record
        outcome = self.repo.take_authorization_code(code, take)
        if isinstance(outcome, str):
            raise invalid_grant(outcome)
        return self._issue(caller, client.app, self._live_user(outcome["userId"]), outcome["scope"], outcome["nonce"])

    def _refresh(self, caller: Caller, app: Record, params: Dict[str, str]) -> GrantedTokens:
        token = params.get("refresh_token")
        if token is None:
            raise invalid_request("missing required parameter 'refresh_token'")
        record = self.repo.refresh_token(token)
        if record is None or record["appId"] != app["id"] or self.clock.now() >= record["expiresAt"]:
            raise invalid_grant("refresh token is invalid or expired")
        scope = record["scope"]
        if "scope" in params:
            asked = params["scope"].split()
            if not set(asked) <= set(scope.split()):
                raise AuthingError(E.BAD_REQUEST, "scope must be within the scope the refresh token was granted",
                                   oidc_error="invalid_scope")
            scope = " ".join(s for s in scope.split() if s in asked)
        user = self._live_user(record["userId"])
        issued = self._issue(caller, app, user, scope, None, with_refresh=False)
        return issued._replace(refresh_token=token)

    def _client_credentials(self, caller: Caller, client: AuthenticatedClient,
                            params: Dict[str, str]) -> GrantedTokens:
        if client.method == "none":
            raise AuthingError(E.BAD_REQUEST, "client_credentials needs a client secret",
                               oidc_error="unauthorized_client")
        scope = params.get("scope", "")
        app = client.app
        issued = self.tokens.client_token(app, caller.issuer, scope, app["accessTokenLifetime"])
        return GrantedTokens(issued.token, app["accessTokenLifetime"], scope)

    def _password(self, caller: Caller, app: Record, params: Dict[str, str]) -> GrantedTokens:
        given = [name for name in PASSWORD_IDENTIFIERS if name in params]
        if len(given) != 1:
            raise invalid_request("give exactly one of username, email and phone")
        if "password" not in params:
            raise invalid_request("missing required parameter 'password'")
        user = self.users.linked(app["userPoolId"], given[0], params[given[0]])
        if user is None or not self.passwords.check(user["id"], params["password"]):
            raise invalid_grant("invalid credentials provided")
        try:
            user = self.users.logged_in(user, caller, lambda current: {})
        except AuthingError as exc:
            raise invalid_grant(exc.message) from None
        return self._issue(caller, app, user, granted_scope(params.get("scope", DEFAULT_PASSWORD_SCOPE)), None)

    # --- the tokens -------------------------------------------------------------------------------
    def _live_user(self, user_id: str) -> Record:
        user = self.repo.user(user_id)
        if user is None:
            raise invalid_grant("the user of this grant no longer exists")
        try:
            refuse_blocked(user)
        except AuthingError as exc:
            raise invalid_grant(exc.message) from None
        return user

    def _issue(self, caller: Caller, app: Record, user: Record, scope: str, nonce: Optional[str],
               with_refresh: bool = True) -> GrantedTokens:
        granted = self.tokens.grant(user, app, caller.issuer, scope, nonce, with_refresh)
        id_token = granted.id_token.token if granted.id_token else None
        return GrantedTokens(granted.access.token, app["accessTokenLifetime"], scope, id_token, granted.refresh_token)
