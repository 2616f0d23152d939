"""The Authing emulation's state: the only code that names its store namespaces.

==================  ====================  ============================================
namespace           key                   value
==================  ====================  ============================================
authing.pools       pool id               {id, name}
authing.apps        app id                {id, userPoolId, secret, name, connection, algorithm, tokenLifetime,
                                          redirectUris, postLogoutRedirectUris, grantTypes, authMethods,
                                          accessTokenLifetime, idTokenLifetime, refreshTokenLifetime, codeLifetime,
                                          skipConsent}
authing.conns       poolId:identifier     {id, identifier, userPoolId, type, name, appid, secret}
authing.users       user id               the user (Authing's v2 field names, no token)
authing.links       poolId:kind:value     user id; kind unionid, openid (value appid:openid), phone, username or email
authing.sms         message id            {id, userPoolId, phone, channel, code, sentAt, expiresAt, usedAt}
authing.sms.latest  poolId:phone          {id, expiresAt}
authing.revoked     jti                   exp of a token a logout revoked
authing.files       folder/<24 hex><ext>  {key, folder, filename, contentType, size, sha256, data (base64), uploadedAt}
authing.files.use   all                   {count, bytes}
authing.oidc.codes  authorization code    {appId, userId, redirectUri, scope, nonce, codeChallenge,
                                          codeChallengeMethod, issuedAt, expiresAt, usedAt}
authing.oidc.rt     refresh token         {appId, userId, scope, issuedAt, expiresAt}
authing.passwords   user id               the hash of the user's password (never part of the user)
authing.emails      message id            {id, userPoolId, email, channel, code, subject, text, sentAt, expiresAt,
                                          usedAt}
authing.emails.latest  poolId:email       {id, expiresAt}
authing.codes.sent  poolId:kind:to:chan   when the last code went there (kind phone or email): one per 60 s
authing.consents    userId:appId          {scope, grantedAt}
authing.consent.asked  ticket             {appId, userId, redirectUri, scope, expiresAt}
authing.tokens      user id               {userId, expiresAt, tokens}
==================  ====================  ============================================

A value too long for its row goes on over the next lines. ``authing.files.use`` counts the files
kept and their bytes (the upload caps read it). ``authing.sms.latest`` names the newest message to
a phone: the one a code must match.
``<ext>`` is the uploaded file name's extension (letters, digits and dots, at most 10, lowercased), or nothing.
A new user and the link it is found by are written in one atomic step, and so are an SMS and the
"newest code to this phone" pointer, and a file and the count of files kept. SMS codes, their
pointers, revocations, OIDC authorization codes and refresh tokens are indexed by expiry and pruned
as new ones are written (``core/pruning.py``).
A code (SMS or email), its "newest" pointer and the note of when one last went to that phone or
address on that channel are written in one atomic step, which refuses a second within 60 s.
``authing.consents`` holds the scopes a user allowed an app at the hosted login (added up);
``authing.consent.asked`` the consent pages shown, each ticket taken once by its decision, indexed
by expiry and pruned.

``authing.tokens`` records what was issued to a user, newest last, each token
``{jti, kind, appId, issuedAt, expiresAt, refreshToken?}`` (never the JWT itself; a refresh token's
string, the key it is revoked by, stays inside the mock): at most ``TOKENS_KEPT`` per user, the
newest, written in one atomic step with the refresh token it issues (or with the user's login, for
a mini-program login's token: no write of its own), expired ones dropped as new
ones come and the whole entry indexed by its last expiry, so a user whose tokens all expired is pruned.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..core.clock import Clock
from ..core.pruning import Pruner
from ..core.store import UNCHANGED, State, Store

POOLS, APPS, CONNS, USERS, LINKS = "authing.pools", "authing.apps", "authing.conns", "authing.users", "authing.links"
SMS, SMS_LATEST, REVOKED, FILES = "authing.sms", "authing.sms.latest", "authing.revoked", "authing.files"
FILE_USE = "authing.files.use"
OIDC_CODES, REFRESH_TOKENS, PASSWORDS = "authing.oidc.codes", "authing.oidc.rt", "authing.passwords"
EMAILS, EMAILS_LATEST, CODES_SENT = "authing.emails", "authing.emails.latest", "authing.codes.sent"
CONSENTS, CONSENT_ASKED = "authing.consents", "authing.consent.asked"
ISSUED = "authing.tokens"
NAMESPACES = (POOLS, APPS, CONNS, USERS, LINKS, SMS, SMS_LATEST, REVOKED, FILES, FILE_USE, OIDC_CODES, REFRESH_TOKENS,
              PASSWORDS, EMAILS, EMAILS_LATEST, CODES_SENT, CONSENTS, CONSENT_ASKED, ISSUED)
#: The tokens of one user ``authing.tokens`` keeps (the newest): its entry stays small however often they log in.
TOKENS_KEPT = 50
#: Where the codes of each kind go: (outbox, newest-code pointers).
CODE_NAMESPACES = {"phone": (SMS, SMS_LATEST), "email": (EMAILS, EMAILS_LATEST)}
#: Seconds before another code may go to the same phone or address on the same channel.
CODE_INTERVAL = 60

Record = Dict[str, Any]


def _link_key(pool_id: str, kind: str, value: str) -> str:
    return f"{pool_id}:{kind}:{value}"


def _with_issued(user_id: str, entry: Optional[Record], issued: List[Record], now: float) -> Record:
    """A user's ``authing.tokens`` entry with ``issued`` noted: the expired dropped, the newest
    ``TOKENS_KEPT`` kept."""
    kept = [token for token in (entry or {}).get("tokens", []) if token["expiresAt"] > now]
    tokens = (kept + issued)[-TOKENS_KEPT:]
    return {"userId": user_id, "expiresAt": max(token["expiresAt"] for token in tokens), "tokens": tokens}


class AuthingRepository:
    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.pruner = Pruner(store, clock)
        store.index_expiry(SMS, lambda record: record["expiresAt"])
        store.index_expiry(SMS_LATEST, lambda pointer: pointer["expiresAt"])
        store.index_expiry(REVOKED, lambda exp: exp)
        store.index_expiry(EMAILS, lambda record: record["expiresAt"])
        store.index_expiry(EMAILS_LATEST, lambda pointer: pointer["expiresAt"])
        store.index_expiry(CODES_SENT, lambda sent_at: sent_at + CODE_INTERVAL)
        store.index_expiry(CONSENT_ASKED, lambda asked: asked["expiresAt"])
        store.index_expiry(ISSUED, lambda entry: entry["expiresAt"])
        store.index_expiry(OIDC_CODES, lambda record: record["expiresAt"])
        store.index_expiry(REFRESH_TOKENS, lambda record: record["expiresAt"])

    # --- the fixture ----------------------------------------------------------------------
    @staticmethod
    def state(pools: Dict[str, Record], apps: Dict[str, Record], connections: Dict[Tuple[str, str], Record],
              users: Sequence[Tuple[Record, List[Tuple[str, str]], Optional[str]]] = ()) -> State:
        """``users``: (user, its links (kind, value), its password hash or None)."""
        state: State = {POOLS: pools, APPS: apps, CONNS: {f"{pool}:{identifier}": conn
                                                          for (pool, identifier), conn in connections.items()}}
        if users:
            state[USERS] = {user["id"]: user for user, _, _ in users}
            state[LINKS] = {_link_key(user["userPoolId"], kind, value): user["id"]
                            for user, links, _ in users for kind, value in links}
            state[PASSWORDS] = {user["id"]: hashed for user, _, hashed in users if hashed}
        return state

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

    def add_user(self, user: Record, links: Sequence[Tuple[str, str]], password_hash: Optional[str] = None) -> str:
        """A new user, the ``links`` (``(kind, value)``) to it and its password's hash, at once —
        unless one of the links points at a user already: then nothing is written, and that user's
        id is the answer (of the first such link); else the new user's."""
        keys = [(USERS, user["id"])] + [(LINKS, _link_key(user["userPoolId"], kind, value)) for kind, value in links]
        if password_hash is not None:
            keys.append((PASSWORDS, user["id"]))

        def add(current):
            holder = next((held for held in current[1:len(links) + 1] if held), None)
            if holder:
                return [UNCHANGED] * len(keys), holder
            hashes = [password_hash] if password_hash is not None else []
            return [user] + [user["id"]] * len(links) + hashes, user["id"]
        return self.store.update_many(keys, add)

    # --- codes sent by SMS or email (kind phone or email) ----------------------------------------
    def add_code(self, kind: str, target: str, record: Record, channel: str, now: float) -> bool:
        """A code sent to ``target`` (a phone or an address), the pointer that makes it the newest
        there, and the note of when one last went there on ``channel``, at once — unless one went
        there on that channel less than ``CODE_INTERVAL`` seconds ago: then nothing is written.
        Whether it was written."""
        outbox, latest = CODE_NAMESPACES[kind]
        pool = record["userPoolId"]
        keys = [(outbox, record["id"]), (latest, f"{pool}:{target}"), (CODES_SENT, f"{pool}:{kind}:{target}:{channel}")]
        pointer = {"id": record["id"], "expiresAt": record["expiresAt"]}

        def add(current):
            last = current[2]
            if last is not None and now < last + CODE_INTERVAL:
                return [UNCHANGED] * 3, False
            return [record, pointer, now], True
        added = self.store.update_many(keys, add)
        if added:
            for namespace in (outbox, latest, CODES_SENT):
                self.pruner.wrote(namespace)
        return added

    def newest_code(self, kind: str, pool_id: str, target: str) -> Optional[str]:
        pointer = self.store.get(CODE_NAMESPACES[kind][1], f"{pool_id}:{target}")
        return pointer["id"] if pointer else None

    def update_code(self, kind: str, code_id: str, change: Callable[[Optional[Record]], Tuple[Any, Any]]) -> Any:
        return self.store.update(CODE_NAMESPACES[kind][0], code_id, change)

    def codes(self, kind: str) -> List[Record]:
        return self.store.values(CODE_NAMESPACES[kind][0])

    # --- revoked tokens and files ------------------------------------------------------------
    def revoke(self, jti: str, exp: float) -> None:
        self.store.put(REVOKED, jti, exp)
        self.pruner.wrote(REVOKED)

    def is_revoked(self, jti: str) -> bool:
        return self.store.get(REVOKED, jti) is not None

    # --- the tokens issued to each user -----------------------------------------------------------
    def record_issued(self, user_id: str, issued: List[Record], now: float,
                      refresh: Optional[Tuple[str, Record]] = None) -> None:
        """Note ``issued`` (``{jti, kind, appId, issuedAt, expiresAt}``) among the user's tokens
        (``_with_issued``) and keep the refresh token ``refresh`` (its string, its record) in the
        same atomic step."""
        keys = [(ISSUED, user_id)] + ([(REFRESH_TOKENS, refresh[0])] if refresh else [])

        def add(current: List[Any]) -> Tuple[List[Any], None]:
            return [_with_issued(user_id, current[0], issued, now)] + ([refresh[1]] if refresh else []), None
        self.store.update_many(keys, add)
        self.pruner.wrote(ISSUED)
        if refresh:
            self.pruner.wrote(REFRESH_TOKENS)

    def update_user_noting(self, user_id: str, change: Callable[[Optional[Record]], Tuple[Any, Any]],
                           issued: List[Record], now: float) -> Any:
        """``update_user`` that also notes ``issued`` among the user's tokens, in the same atomic
        step (a login and the token it issues: no write of its own for the token)."""
        def both(current: List[Any]) -> Tuple[List[Any], Any]:
            saved, result = change(current[0])
            return [saved, _with_issued(user_id, current[1], issued, now)], result
        result = self.store.update_many([(USERS, user_id), (ISSUED, user_id)], both)
        self.pruner.wrote(ISSUED)
        return result

    def issued(self, user_id: str) -> List[Record]:
        """The tokens noted as issued to a user (expired, revoked or not), oldest first."""
        entry = self.store.get(ISSUED, user_id)
        return entry["tokens"] if entry else []

    def holders(self, now: float, limit: int) -> Tuple[int, List[Record]]:
        """How many users hold a token that has not expired, and the ``limit`` whose last expires soonest."""
        live = self.store.expiring(ISSUED, now, limit)
        return live.total, [entry for _, entry in live.entries]

    def still_held(self, tokens: List[Record]) -> List[bool]:
        """For each token noted as issued, whether no revocation stopped it (one read for all):
        a JWT's id is not among the revoked, a refresh token is still kept."""
        keys = [(REFRESH_TOKENS, token["refreshToken"]) if "refreshToken" in token else (REVOKED, token["jti"])
                for token in tokens]
        return [(value is not None) == (key[0] == REFRESH_TOKENS)
                for key, value in zip(keys, self.store.get_many(keys))]

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
        self.pruner.wrote(OIDC_CODES)

    def take_authorization_code(self, code: str, change: Callable[[Optional[Record]], Tuple[Any, Any]]) -> Any:
        """Read-modify-write one code atomically: what makes a code usable once under racing exchanges."""
        return self.store.update(OIDC_CODES, code, change)

    def refresh_token(self, token: Any) -> Optional[Record]:
        return self.store.get(REFRESH_TOKENS, token) if isinstance(token, str) and token else None

    def delete_refresh_token(self, token: str) -> None:
        self.store.delete(REFRESH_TOKENS, token)

    def password_hash(self, user_id: str) -> Optional[str]:
        return self.store.get(PASSWORDS, user_id)

    def set_password_hash(self, user_id: str, hashed: str) -> None:
        self.store.put(PASSWORDS, user_id, hashed)

    # --- consent at the hosted login: what a user allowed, and the consent pages shown ----------
    def consent(self, user_id: str, app_id: str) -> Optional[Record]:
        return self.store.get(CONSENTS, f"{user_id}:{app_id}")

    def grant_consent(self, user_id: str, app_id: str, change: Callable[[Optional[Record]], Tuple[Any, Any]]) -> Any:
        return self.store.update(CONSENTS, f"{user_id}:{app_id}", change)

    def put_consent_asked(self, ticket: str, record: Record) -> None:
        self.store.put(CONSENT_ASKED, ticket, record)
        self.pruner.wrote(CONSENT_ASKED)

    def consent_asked(self, ticket: Any) -> Optional[Record]:
        return self.store.get(CONSENT_ASKED, ticket) if isinstance(ticket, str) and ticket else None

    def take_consent_asked(self, ticket: str, change: Callable[[Optional[Record]], Tuple[Any, Any]]) -> Any:
        """Read-modify-write one consent page's ticket atomically: a decision counts once."""
        return self.store.update(CONSENT_ASKED, ticket, change)
