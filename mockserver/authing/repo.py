"""The Authing emulation's state: the only code that names its store namespaces.

==================  ====================  ============================================
namespace           key                   value
==================  ====================  ============================================
authing.pools       pool id               {id, name}
authing.apps        app id                {id, userPoolId, secret, name, connection, algorithm, tokenLifetime,
                                          redirectUris, postLogoutRedirectUris, grantTypes, authMethods,
                                          accessTokenLifetime, idTokenLifetime, refreshTokenLifetime, codeLifetime}
authing.conns       poolId:identifier     {id, identifier, userPoolId, type, name, appid, secret}
authing.users       user id               the user (Authing's v2 field names, no token)
authing.links       poolId:kind:value     user id; kind unionid, openid (value appid:openid), phone or username
authing.sms         message id            {id, userPoolId, phone, code, sentAt, expiresAt, usedAt}
authing.sms.latest  poolId:phone          {id, expiresAt}
authing.revoked     jti                   exp of a token a logout revoked
authing.files       folder/<24 hex><ext>  {key, folder, filename, contentType, size, sha256, data (base64), uploadedAt}
authing.files.use   all                   {count, bytes}
authing.oidc.codes  authorization code    {appId, userId, redirectUri, scope, nonce, codeChallenge,
                                          codeChallengeMethod, issuedAt, expiresAt, usedAt}
authing.oidc.rt     refresh token         {appId, userId, scope, issuedAt, expiresAt}
authing.passwords   user id               the hash of the user's password (never part of the user)
==================  ====================  ============================================

A value too long for its row goes on over the next lines. ``authing.files.use`` counts the files
kept and their bytes (the upload caps read it). ``authing.sms.latest`` names the newest message to
a phone: the one a code must match.
``<ext>`` is the uploaded file name's extension (letters, digits and dots, at most 10, lowercased), or nothing.
A new user and the link it is found by are written in one atomic step, and so are an SMS and the
"newest code to this phone" pointer, and a file and the count of files kept. SMS codes, their
pointers and revocations are indexed by expiry and pruned as new ones are written (``core/pruning.py``).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from ..core.clock import Clock
from ..core.pruning import Pruner
from ..core.store import UNCHANGED, State, Store

POOLS, APPS, CONNS, USERS, LINKS = "authing.pools", "authing.apps", "authing.conns", "authing.users", "authing.links"
SMS, SMS_LATEST, REVOKED, FILES = "authing.sms", "authing.sms.latest", "authing.revoked", "authing.files"
FILE_USE = "authing.files.use"
OIDC_CODES, REFRESH_TOKENS, PASSWORDS = "authing.oidc.codes", "authing.oidc.rt", "authing.passwords"
NAMESPACES = (POOLS, APPS, CONNS, USERS, LINKS, SMS, SMS_LATEST, REVOKED, FILES, FILE_USE, OIDC_CODES, REFRESH_TOKENS,
              PASSWORDS)

Record = Dict[str, Any]


def _link_key(pool_id: str, kind: str, value: str) -> str:
    return f"{pool_id}:{kind}:{value}"


class AuthingRepository:
    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.pruner = Pruner(store, clock)
        store.index_expiry(SMS, lambda record: record["expiresAt"])
        store.index_expiry(SMS_LATEST, lambda pointer: pointer["expiresAt"])
        store.index_expiry(REVOKED, lambda exp: exp)

    # --- the fixture ----------------------------------------------------------------------
    @staticmethod
    def state(pools: Dict[str, Record], apps: Dict[str, Record], connections: Dict[Tuple[str, str], Record]) -> State:
        return {POOLS: pools, APPS: apps, CONNS: {f"{pool}:{identifier}": conn
                                                  for (pool, identifier), conn in connections.items()}}

    def snapshot(self) -> State:
        """Everything the Authing emulation holds (for tests that check a request changed nothing)."""
        return {namespace: dict(self.store.items(namespace)) for namespace in NAMESPACES}

    # --- pools, apps, connections --------------------------------------------------------------
    def pool(self, pool_id: Any) -> Optional[Record]:
        return self.store.get(POOLS, pool_id) if isinstance(pool_id, str) else None

    def pools(self) -> List[Record]:
        return self.store.values(POOLS)

    def app(self, app_id: Any) -> Optional[Record]:
        """The app of an id a client sent (anything JSON can hold: only a string can name one)."""
        return self.store.get(APPS, app_id) if isinstance(app_id, str) else None

    def apps(self) -> List[Record]:
        return self.store.values(APPS)

    def put_app(self, app: Record) -> None:
        self.store.put(APPS, app["id"], app)

    def connection(self, pool_id: str, identifier: Any) -> Optional[Record]:
        return self.store.get(CONNS, f"{pool_id}:{identifier}") if isinstance(identifier, str) else None

    def connections(self) -> List[Record]:
        return self.store.values(CONNS)

    # --- users and the links that find them ----------------------------------------------------
    def user(self, user_id: Any) -> Optional[Record]:
        return self.store.get(USERS, user_id) if isinstance(user_id, str) and user_id else None

    def users(self) -> List[Record]:
        return self.store.values(USERS)

    def users_page(self, offset: int, limit: int) -> List[Record]:
        return [user for _, user in self.store.page(USERS, offset, limit)]

    def user_count(self) -> int:
        return self.store.count(USERS)

    def update_user(self, user_id: str, change: Callable[[Optional[Record]], Tuple[Any, Any]]) -> Any:
        return self.store.update(USERS, user_id, change)

    def linked(self, pool_id: str, kind: str, value: str) -> Optional[str]:
        """The id of the user a link points at."""
        return self.store.get(LINKS, _link_key(pool_id, kind, value))

    def links(self) -> List[Tuple[str, str]]:
        return self.store.items(LINKS)

    def claim(self, pool_id: str, kind: str, value: str, user_id: str) -> str:
        """Point a link at ``user_id`` unless it points elsewhere; who holds it afterwards."""
        return self.store.update(LINKS, _link_key(pool_id, kind, value),
                                 lambda cur: (UNCHANGED, cur) if cur else (user_id, user_id))

    def release(self, pool_id: str, kind: str, value: str, user_id: str) -> None:
        """Drop a link if it still points at ``user_id``."""
        self.store.update(LINKS, _link_key(pool_id, kind, value),
                          lambda cur: (None, None) if cur == user_id else (UNCHANGED, None))

    def add_user(self, user: Record, kind: str, value: str) -> str:
        """A new user and the link ``kind:value`` to it, at once — unless the link points at a
        user already: then nothing is written. The id of the user the link points at."""
        keys = [(USERS, user["id"]), (LINKS, _link_key(user["userPoolId"], kind, value))]

        def add(current):
            if current[1]:
                return [UNCHANGED, UNCHANGED], current[1]
            return [user, user["id"]], user["id"]
        return self.store.update_many(keys, add)

    # --- SMS codes --------------------------------------------------------------------------
    def add_sms(self, record: Record) -> None:
        """A message sent, and the pointer that makes it the newest to its phone, at once."""
        pointer = {"id": record["id"], "expiresAt": record["expiresAt"]}
        self.store.put_many([(SMS, record["id"], record),
                             (SMS_LATEST, f"{record['userPoolId']}:{record['phone']}", pointer)])
        self.pruner.wrote(SMS)
        self.pruner.wrote(SMS_LATEST)

    def newest_sms(self, pool_id: str, phone: str) -> Optional[str]:
        pointer = self.store.get(SMS_LATEST, f"{pool_id}:{phone}")
        return pointer["id"] if pointer else None

    def update_sms(self, sms_id: str, change: Callable[[Optional[Record]], Tuple[Any, Any]]) -> Any:
        return self.store.update(SMS, sms_id, change)

    def sms(self) -> List[Record]:
        return self.store.values(SMS)

    # --- revoked tokens and files ------------------------------------------------------------
    def revoke(self, jti: str, exp: float) -> None:
        self.store.put(REVOKED, jti, exp)
        self.pruner.wrote(REVOKED)

    def is_revoked(self, jti: str) -> bool:
        return self.store.get(REVOKED, jti) is not None

    def file_use(self) -> Record:
        """How many files are kept, and their bytes: ``{count, bytes}``."""
        return self.store.get(FILE_USE, "all") or {"count": 0, "bytes": 0}

    def add_file(self, record: Record, fits: Callable[[Record], bool]) -> bool:
        """Keep a file if ``fits(use)`` says the files kept (``{count, bytes}``) have room for it,
        in one atomic step with their count; whether it was kept."""
        def change(values: List[Any]) -> Tuple[List[Any], bool]:
            use = values[1] or {"count": 0, "bytes": 0}  # as file_use() says
            if not fits(use):
                return [UNCHANGED, UNCHANGED], False
            return [record, {"count": use["count"] + 1, "bytes": use["bytes"] + record["size"]}], True
        return self.store.update_many([(FILES, record["key"]), (FILE_USE, "all")], change)

    def file(self, key: str) -> Optional[Record]:
        return self.store.get(FILES, key)

    # --- the OIDC provider: authorization codes, refresh tokens, passwords -----------------------
    def put_authorization_code(self, code: str, record: Record) -> None:
        self.store.put(OIDC_CODES, code, record)

    def take_authorization_code(self, code: str, change: Callable[[Optional[Record]], Tuple[Any, Any]]) -> Any:
        """Read-modify-write one code atomically: what makes a code usable once under racing exchanges."""
        return self.store.update(OIDC_CODES, code, change)

    def put_refresh_token(self, token: str, record: Record) -> None:
        self.store.put(REFRESH_TOKENS, token, record)

    def refresh_token(self, token: Any) -> Optional[Record]:
        return self.store.get(REFRESH_TOKENS, token) if isinstance(token, str) and token else None

    def delete_refresh_token(self, token: str) -> None:
        self.store.delete(REFRESH_TOKENS, token)

    def password_hash(self, user_id: str) -> Optional[str]:
        return self.store.get(PASSWORDS, user_id)

    def set_password_hash(self, user_id: str, hashed: str) -> None:
        self.store.put(PASSWORDS, user_id, hashed)
