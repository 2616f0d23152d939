"""A user's tokens: issued at login (one claims builder), checked on every authenticated call,
refreshed, revoked by a logout, and minted by the control plane without a login. Every token
issued to a user is noted (``AuthingRepository.record_issued``: its id, kind, app and times, one
write per issuing call), so the control plane lists a user's live tokens and revokes one."""
from __future__ import annotations

import hashlib
import ipaddress
import re
from fnmatch import fnmatchcase
from typing import Any, Dict, List, NamedTuple, Optional, Tuple
from urllib.parse import urlsplit

from ..core.clock import Clock
from ..core.errors import ControlError, NotFound
from ..core.ids import URLSAFE, RandomSource
from . import errors as E
from .apps import Apps
from .caller import Caller
from .errors import AuthingError, bad_request
from .models import MAX_TOKEN_LIFETIME
from .repo import AuthingRepository, Record
from .scopes import granted_scope
from .signing import SigningKey, TokenCodec, TokenRejected, Verified
from .users import Users, refuse_blocked

V3_SCOPE = "openid profile phone email"

#: The rejection of a token, per reason, as Authing words it.
REJECTIONS = {
    "expired": (E.TOKEN_EXPIRED, "登录信息已过期"),
    "revoked": (E.TOKEN_INVALID, "token 已失效，请重新登录"),
    "audience": (E.TOKEN_INVALID, "token 不属于此应用"),
    "pool": (E.TOKEN_INVALID, "token 不属于此用户池"),
    "invalid": (E.TOKEN_INVALID, "token 不合法"),
}


def rejection(exc: TokenRejected) -> AuthingError:
    code, message = REJECTIONS[exc.reason]
    return AuthingError(code, message, oidc_error="invalid_token")


#: The app id of an app's own issuer, ``<base>/<appId>/oidc`` (the OIDC paths an app id prefixes).
APP_ISSUER = re.compile(r"/[0-9a-f]{24}(?=/oidc$)")


def issued_here(issuer: str, caller: Caller) -> bool:
    """Whether ``issuer`` is one the mock issues tokens under: the one of the caller's own URL, or —
    without --public-url — ``http(s)://<an IP address or one of the mock's host names>[:port]/oidc``
    (a token minted on 127.0.0.1 is good on localhost, as Authing's are on any of its hosts). An
    app's own issuer, ``.../<appId>/oidc``, counts as the ``.../oidc`` it is under."""
    issuer = APP_ISSUER.sub("", issuer, count=1)
    if issuer == f"{caller.base_url}/oidc":
        return True
    if not caller.own_hosts:
        return False
    try:
        parts = urlsplit(issuer)
        parts.port  # noqa: B018 -- a port that is not a number raises here
    except ValueError:
        return False
    if (parts.scheme not in ("http", "https") or parts.path != "/oidc" or parts.query or parts.fragment
            or "@" in parts.netloc or not parts.hostname):
        return False
    try:
        ipaddress.ip_address(parts.hostname)
        return True
    except ValueError:
        return any(fnmatchcase(parts.hostname, pattern) for pattern in caller.own_hosts)


class Issued(NamedTuple):
    """A signed token and its claims."""
    token: str
    claims: Dict[str, Any]


class Presented(NamedTuple):
    """A user as the v2 API and GraphQL return it to its own client: with a token."""
    user: Record
    token: Optional[str]
    expires_at: Optional[float]


class TokenSet(NamedTuple):
    """What the v3 sign-in answers."""
    access_token: str
    id_token: str
    expires_in: int
    scope: str = V3_SCOPE
    refresh_token: Optional[str] = None


class Granted(NamedTuple):
    """What the OIDC token endpoint issues a user: an access token, an id token (scope ``openid``)
    and a refresh token (when asked and allowed)."""
    access: Issued
    id_token: Optional[Issued]
    refresh_token: Optional[str]


def noted(kind: str, claims: Dict[str, Any]) -> Record:
    """How ``authing.tokens`` notes an issued JWT (``kind`` id_token or access_token)."""
    return {"jti": claims["jti"], "kind": kind, "appId": claims["aud"], "issuedAt": claims["iat"],
            "expiresAt": claims["exp"]}


def refresh_id(token: str) -> str:
    """A refresh token's id on the control plane (it has no ``jti``; its string is a secret)."""
    return "rt-" + hashlib.sha256(token.encode()).hexdigest()[:24]


class Pending(NamedTuple):
    """A user's id token drawn before the login that issues it is written: its claims' ``jti``,
    ``iat`` and ``exp``, so the login's own write notes it (``note``)."""
    jti: str
    iat: int
    exp: int
    app_id: str

    @property
    def note(self) -> Record:
        return noted("id_token", {"jti": self.jti, "aud": self.app_id, "iat": self.iat, "exp": self.exp})


class LoginStatus(NamedTuple):
    code: int
    message: str
    claims: Optional[Dict[str, Any]] = None
    user: Optional[Record] = None


def claims_of(user: Record, app: Record, issuer: str, now: int, lifetime: int, jti: str) -> Dict[str, Any]:
    """The claims Authing puts in a user's id token (``user.token``)."""
    return {
        "sub": user["id"], "aud": app["id"], "iss": issuer, "iat": now, "exp": now + lifetime, "jti": jti,
        "name": user.get("name"), "nickname": user.get("nickname"), "picture": user.get("photo"),
        "gender": user.get("gender") or "U", "phone_number": user.get("phone"),
        "phone_number_verified": bool(user.get("phoneVerified")), "email": user.get("email"),
        "email_verified": bool(user.get("emailVerified")), "preferred_username": user.get("preferredUsername"),
        "given_name": user.get("givenName"), "family_name": user.get("familyName"),
        "birthdate": user.get("birthdate"), "locale": user.get("locale"), "updated_at": user.get("updatedAt"),
        "userpool_id": user["userPoolId"],
        "data": {"type": "user", "userPoolId": user["userPoolId"], "appId": app["id"], "id": user["id"],
                 "userId": user["id"], "_id": user["id"], "phone": user.get("phone"),
                 "email": user.get("email"), "username": user.get("username"),
                 "unionid": user.get("unionid"), "openid": user.get("openid"), "clientId": app["id"]},
    }


class Tokens:
    def __init__(self, repo: AuthingRepository, apps: Apps, users: Users, clock: Clock, random: RandomSource,
                 signing_key: SigningKey):
        self.repo = repo
        self.apps = apps
        self.users = users
        self.clock = clock
        self.random = random
        self.codec = TokenCodec(signing_key, clock.now, repo.app, repo.is_revoked)

    # --- issuing ------------------------------------------------------------------------------
    def issue(self, user: Record, app: Record, issuer: str, lifetime: Optional[int] = None,
              extra: Optional[Dict[str, Any]] = None) -> Issued:
        """A user's id token, with the claims Authing puts in it (and ``extra`` ones, e.g. a nonce)."""
        claims = claims_of(user, app, issuer, self.clock.now_int(), lifetime or app["tokenLifetime"],
                           self.random.hex(24))
        claims.update(extra or {})
        return Issued(self.codec.sign(claims, app), claims)

    def pending(self, app: Record) -> Pending:
        """The id token a login is about to issue (``presented_pending`` signs it)."""
        now = self.clock.now_int()
        return Pending(self.random.hex(24), now, now + app["tokenLifetime"], app["id"])

    def presented_pending(self, user: Record, app: Record, caller: Caller, pending: Pending) -> Presented:
        """A user with the token ``pending`` drew, which the login's write already noted."""
        claims = claims_of(user, app, caller.issuer, pending.iat, pending.exp - pending.iat, pending.jti)
        return Presented(user, self.codec.sign(claims, app), pending.exp)

    def access_token(self, user: Record, app: Record, issuer: str, scope: str = V3_SCOPE,
                     lifetime: Optional[int] = None) -> Issued:
        now = self.clock.now_int()
        claims = {"jti": self.random.hex(24), "sub": user["id"], "iat": now,
                  "exp": now + (lifetime or app["tokenLifetime"]), "scope": scope, "iss": issuer, "aud": app["id"]}
        return Issued(self.codec.sign(claims, app), claims)

    def client_token(self, app: Record, issuer: str, scope: str, lifetime: int) -> Issued:
        """The client-credentials grant's access token: the app's own (``sub`` is its id), no user."""
        now = self.clock.now_int()
        claims = {"jti": self.random.hex(24), "sub": app["id"], "iat": now, "exp": now + lifetime, "scope": scope,
                  "iss": issuer, "aud": app["id"], "azp": app["id"], "gty": "client_credentials"}
        return Issued(self.codec.sign(claims, app), claims)

    def _note(self, user: Record, *issued: Tuple[str, Issued], refresh: Optional[Tuple[str, Record]] = None) -> None:
        """Note the tokens just issued to ``user`` ((kind, token) pairs; and the refresh token's
        string and record, which this writes) in one write."""
        entries = [noted(kind, token.claims) for kind, token in issued]
        if refresh is not None:
            token, record = refresh
            entries.append({"jti": refresh_id(token), "kind": "refresh_token", "appId": record["appId"],
                            "issuedAt": record["issuedAt"], "expiresAt": record["expiresAt"], "refreshToken": token})
        self.repo.record_issued(user["id"], entries, self.clock.now(), refresh)

    def presented_with_new(self, user: Record, app: Record, caller: Caller) -> Presented:
        issued = self.issue(user, app, caller.issuer)
        self._note(user, ("id_token", issued))
        return Presented(user, issued.token, issued.claims["exp"])

    def token_set(self, user: Record, app: Record, caller: Caller, requested_scope: Optional[str] = None) -> TokenSet:
        """A v3 sign-in's tokens, for the scope asked (the known scopes of it; default
        ``V3_SCOPE``), with a refresh token when it has ``offline_access``."""
        scope = granted_scope(requested_scope) if requested_scope else V3_SCOPE
        id_token = self.issue(user, app, caller.issuer)
        access = self.access_token(user, app, caller.issuer, scope)
        refresh = self._new_refresh_token(user, app, scope)
        self._note(user, ("id_token", id_token), ("access_token", access), refresh=refresh)
        return TokenSet(access.token, id_token.token, id_token.claims["exp"] - id_token.claims["iat"], scope,
                        refresh[0] if refresh else None)

    def grant(self, user: Record, app: Record, issuer: str, scope: str, nonce: Optional[str],
              with_refresh: bool) -> Granted:
        """The OIDC token endpoint's tokens for ``scope``, with the app's OIDC lifetimes."""
        access = self.access_token(user, app, issuer, scope, app["accessTokenLifetime"])
        id_token = None
        if "openid" in scope.split():
            extra = {"nonce": nonce} if nonce is not None else {}
            id_token = self.issue(user, app, issuer, app["idTokenLifetime"], extra)
        refresh = self._new_refresh_token(user, app, scope) if with_refresh else None
        self._note(user, ("access_token", access), *([("id_token", id_token)] if id_token else []), refresh=refresh)
        return Granted(access, id_token, refresh[0] if refresh else None)

    def _new_refresh_token(self, user: Record, app: Record, scope: str) -> Optional[Tuple[str, Record]]:
        """A new refresh token and its record (for ``_note`` to write) when ``scope`` has
        ``offline_access`` and the app allows the grant."""
        if "offline_access" not in scope.split() or "refresh_token" not in app["grantTypes"]:
            return None
        now = self.clock.now()
        return self.random.chars(43, URLSAFE), {"appId": app["id"], "userId": user["id"], "scope": scope,
                                                "issuedAt": now, "expiresAt": now + app["refreshTokenLifetime"]}

    # --- checking: every call that accepts a token comes through _checked, and live -------------------
    def _checked(self, token: Any, caller: Caller, check_expiry: bool = True) -> Verified:
        """A token the caller may present (else ``TokenRejected``): signed by the mock, for the app the
        request names (for an app of the user pool it names), issued under one of the mock's own
        names, valid by the mock's clock (``nbf``, ``exp`` unless not asked) and not logged out."""
        return self.codec.verify(token, audience=caller.app_id, pool=caller.pool_id,
                                 issuer=lambda issuer: issued_here(issuer, caller), check_expiry=check_expiry)

    def live(self, token: Optional[str], caller: Caller) -> Tuple[Record, Verified]:
        """The user of a live login: a good token (``_checked``) of a user who exists and is not
        blocked. Each call that acts on a login, or tells whether one is live, asks this."""
        if not token:
            raise AuthingError(E.NOT_LOGGED_IN, "尚未登录，无权限访问此请求")
        try:
            verified = self._checked(token, caller)
        except TokenRejected as exc:
            raise rejection(exc) from None
        user = self.repo.user(verified.claims["sub"])
        if user is None:
            raise AuthingError(E.USER_NOT_FOUND, "用户不存在", oidc_error="invalid_token")
        refuse_blocked(user, oidc_error="invalid_token")
        return user, verified

    def authenticated(self, caller: Caller) -> Tuple[Record, Verified]:
        """The logged-in user of a request (its bearer token)."""
        return self.live(caller.token, caller)

    def check_login_status(self, caller: Caller, token: Optional[str]) -> LoginStatus:
        """GraphQL ``checkLoginStatus``: why a token is no live login (code, message), or its claims."""
        try:
            user, verified = self.live(token or caller.token, caller)
        except AuthingError as exc:
            return LoginStatus(exc.code, exc.message)
        return LoginStatus(200, "已登录", verified.claims, user)

    def validate(self, caller: Caller, id_token: Any, access_token: Any) -> Dict[str, Any]:
        """``/api/v2/oidc/validate_token``: the claims of a live login's token."""
        token = id_token or access_token
        if not isinstance(token, str) or not token:
            raise bad_request("请传入 id_token 或 access_token")
        try:
            return self.live(token, caller)[1].claims
        except AuthingError as exc:
            raise bad_request(f"token 校验失败：{exc.message}") from None

    def introspect(self, caller: Caller, token: str) -> Optional[Dict[str, Any]]:
        """The claims of an active token (RFC 7662), None when it is not; ``caller`` names the client."""
        try:
            return self.live(token, caller)[1].claims
        except AuthingError:
            return None

    def live_client(self, token: Any, caller: Caller) -> Optional[Verified]:
        """A live client-credentials token (``_checked``, and the app's own: no user), or None."""
        try:
            verified = self._checked(token, caller)
        except TokenRejected:
            return None
        claims = verified.claims
        return verified if claims.get("gty") == "client_credentials" and claims["sub"] == claims["aud"] else None

    def hinted(self, token: Any, caller: Caller) -> Optional[Verified]:
        """An ``id_token_hint``: a token of the mock's for the app the caller names (expired or not,
        not logged out), or None."""
        try:
            return self._checked(token, caller, check_expiry=False)
        except TokenRejected:
            return None

    # --- refreshing and revoking ------------------------------------------------------------------
    def refresh(self, caller: Caller, user_id: Optional[str]) -> Issued:
        user, verified = self.authenticated(caller)
        if user_id and user_id != user["id"]:
            raise AuthingError(E.NO_PERMISSION, "无权限执行此项操作")
        issued = self.issue(user, verified.app, caller.issuer)
        self._note(user, ("id_token", issued))
        return issued

    def logout(self, caller: Caller) -> None:
        """Revoke the caller's token (logging out twice is fine; so is an expired token or a blocked user)."""
        if not caller.token:
            raise AuthingError(E.NOT_LOGGED_IN, "尚未登录，无权限访问此请求")
        try:
            verified = self._checked(caller.token, caller, check_expiry=False)
        except TokenRejected as exc:
            if exc.reason == "revoked":
                return
            raise rejection(exc) from None
        self.repo.revoke(verified.claims["jti"], verified.claims["exp"])

    def revoke(self, token: Any, caller: Caller) -> bool:
        """RFC 7009: revoke a JWT of the mock's for the app ``caller`` names; False when it is none
        (not a JWT of the mock's, another app's, already revoked) — which the endpoint does not tell."""
        try:
            verified = self._checked(token, caller, check_expiry=False)
        except TokenRejected:
            return False
        self.repo.revoke(verified.claims["jti"], verified.claims["exp"])
        return True

    # --- the control plane ------------------------------------------------------------------------
    def mint(self, body: Dict[str, Any], base_url: str) -> Tuple[Issued, Issued, Record, Record]:
        """A token for an existing user, without a login: (id token, access token, user, app)."""
        user = self.users.record(body.get("userId"))
        app_id = body.get("appId")
        if app_id is not None and not isinstance(app_id, str):
            raise ControlError("appId must be a string (an Authing app id)")
        app = self.apps.find(app_id) if app_id else self.apps.first_of_pool(user["userPoolId"])
        if app is None or app["userPoolId"] != user["userPoolId"]:
            raise ControlError("appId must be an app of the user's pool")
        lifetime = body.get("expiresIn")
        if lifetime is not None and (not isinstance(lifetime, int) or isinstance(lifetime, bool)
                                     or not 0 < lifetime <= MAX_TOKEN_LIFETIME):
            raise ControlError("expiresIn must be a positive number of seconds, "
                               f"at most {MAX_TOKEN_LIFETIME} (100 years)")
        issuer = f"{base_url}/oidc"
        id_token, access = self.issue(user, app, issuer, lifetime), self.access_token(user, app, issuer)
        self._note(user, ("id_token", id_token), ("access_token", access))
        return id_token, access, user, app

    def live_of(self, user_id: Any) -> List[Record]:
        """The live tokens issued to a user, oldest first: not expired by the clock, not revoked
        (``{jti, kind, appId, issuedAt, expiresAt}``; never the token)."""
        return self._live(self.repo.issued(self.users.record(user_id)["id"]))

    def holders(self, limit: int) -> Tuple[int, List[Tuple[str, List[Record]]]]:
        """How many users hold unexpired tokens, and the live tokens of the ``limit`` whose last
        expires soonest: (user id, tokens) pairs (one read for the revocations of all)."""
        total, entries = self.repo.holders(self.clock.now(), limit)
        live = self._live([token for entry in entries for token in entry["tokens"]])
        owners = {token["jti"]: entry["userId"] for entry in entries for token in entry["tokens"]}
        held: Dict[str, List[Record]] = {entry["userId"]: [] for entry in entries}
        for token in live:  # grouped in one pass: linear in the tokens shown
            held[owners[token["jti"]]].append(token)
        return total, [(entry["userId"], held[entry["userId"]]) for entry in entries]

    def _live(self, tokens: List[Record]) -> List[Record]:
        now = self.clock.now()
        unexpired = [token for token in tokens if token["expiresAt"] > now]
        return [{key: value for key, value in token.items() if key != "refreshToken"}
                for token, held in zip(unexpired, self.repo.still_held(unexpired)) if held]

    def revoke_issued(self, user_id: Any, jti: str) -> Record:
        """Revoke one of a user's live tokens, as a logout (a JWT) or RFC 7009 (a refresh token) does."""
        user = self.users.record(user_id)
        now = self.clock.now()
        for token in self.repo.issued(user["id"]):
            if token["jti"] == jti and token["expiresAt"] > now and self.repo.still_held([token])[0]:
                if "refreshToken" in token:
                    self.repo.delete_refresh_token(token["refreshToken"])
                else:
                    self.repo.revoke(jti, token["expiresAt"])
                return {"userId": user["id"], "jti": jti, "kind": token["kind"], "revoked": True}
        raise NotFound(f"Authing user {user['id']} has no live token {jti!r}")
