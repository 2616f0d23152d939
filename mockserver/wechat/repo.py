"""The WeChat emulation's state: the only code that names its store namespaces.

=================  =====================  ==================================================
namespace          key                    value
=================  =====================  ==================================================
wx.apps            appid                  app: appid, secret, name, open_platform, ...
wx.users           alias                  user profile (nickname, avatar_url, phone, ...)
wx.openids         openid                 {alias, appid}: who an openid belongs to
wx.codes           login code             {appid, alias, session_key, issued_at, used_at}
wx.phone_codes     phone code             {appid, alias, issued_at, used_at}
wx.sessions        appid:openid           {session_key, created_at}: the latest login
wx.tokens          access token           {appid, kind, issued_at, expires_at, superseded}
wx.app_tokens      appid                  {"token": ..., "stable": ...}: the current ones
wx.quota           appid:day              calls of /cgi-bin/token that day
                   appid:login:minute     jscode2session calls that minute (login_minute_quota)
wx.messages        msgid                  subscribe messages sent
=================  =====================  ==================================================

A user and the openid entries that point at it, and an app and the openids of every user in it,
are written in one atomic step (``update_many``), so no crash leaves one without the other.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from ..core.store import UNCHANGED, State, Store

APPS, USERS, OPENIDS = "wx.apps", "wx.users", "wx.openids"
CODES, PHONE_CODES, SESSIONS = "wx.codes", "wx.phone_codes", "wx.sessions"
TOKENS, APP_TOKENS, QUOTA, MESSAGES = "wx.tokens", "wx.app_tokens", "wx.quota", "wx.messages"
NAMESPACES = (APPS, USERS, OPENIDS, CODES, PHONE_CODES, SESSIONS, TOKENS, APP_TOKENS, QUOTA, MESSAGES)

Record = Dict[str, Any]
Change = Callable[[Optional[Record]], Tuple[Any, Any]]


def _session_key(appid: str, openid: str) -> str:
    return f"{appid}:{openid}"


def _get(store: Store, namespace: str, key: Any) -> Optional[Record]:
    """The entry under ``key``; None for a key that is not a non-empty string (clients send anything)."""
    return store.get(namespace, key) if isinstance(key, str) and key else None


class WeChatRepository:
    def __init__(self, store: Store):
        self.store = store

    # --- the fixture ----------------------------------------------------------------------
    @staticmethod
    def state(apps: Dict[str, Record], users: Dict[str, Record], openids: Dict[str, Record]) -> State:
        return {APPS: apps, USERS: users, OPENIDS: openids}

    @staticmethod
    def appids_in(state: State) -> List[str]:
        return list(state.get(APPS, {}))

    def snapshot(self) -> State:
        """Everything the WeChat emulation holds (for tests that check a request changed nothing)."""
        return {namespace: dict(self.store.items(namespace)) for namespace in NAMESPACES}

    # --- apps -----------------------------------------------------------------------------
    def app(self, appid: Any) -> Optional[Record]:
        return _get(self.store, APPS, appid)

    def apps(self) -> List[Record]:
        return self.store.values(APPS)

    def add_app(self, app: Record, openids: List[Tuple[str, Record]]) -> bool:
        """The app and the openid of every user in it, at once; False (and nothing written) when
        the appid exists."""
        keys = [(APPS, app["appid"])] + [(OPENIDS, openid) for openid, _ in openids]

        def add(current):
            if current[0] is not None:
                return [UNCHANGED] * len(keys), False
            return [app, *(owner for _, owner in openids)], True
        return self.store.update_many(keys, add)

    # --- users ----------------------------------------------------------------------------
    def user(self, alias: Any) -> Optional[Record]:
        return _get(self.store, USERS, alias)

    def users(self) -> List[Record]:
        return self.store.values(USERS)

    def openid_owner(self, openid: Any) -> Optional[Record]:
        """``{alias, appid}`` of an openid."""
        return _get(self.store, OPENIDS, openid)

    def add_user(self, user: Record, openids: List[Tuple[str, Record]]) -> Optional[str]:
        """The user and its openid entries, at once. Nothing is written when the alias or one of
        the openids is taken (or given twice): the answer is then ``"alias"`` or that openid, else None."""
        keys = [(USERS, user["alias"])] + [(OPENIDS, openid) for openid, _ in openids]

        def add(current):
            if current[0] is not None:
                return [UNCHANGED] * len(keys), "alias"
            seen = set()
            for (openid, _), held in zip(openids, current[1:]):
                if held is not None or openid in seen:
                    return [UNCHANGED] * len(keys), openid
                seen.add(openid)
            return [user, *(owner for _, owner in openids)], None
        return self.store.update_many(keys, add)

    def merge_user(self, alias: str, changes: Record) -> Optional[Record]:
        """``changes`` merged into the stored user atomically (concurrent changes of other fields
        survive); None when there is no such user."""
        def merge(current):
            if current is None:
                return UNCHANGED, None
            updated = {**current, **changes}
            return updated, updated
        return self.store.update(USERS, alias, merge)

    def remove_user(self, alias: str, openids: List[str]) -> None:
        """The user and its openid entries, at once."""
        keys = [(USERS, alias)] + [(OPENIDS, openid) for openid in openids]
        self.store.update_many(keys, lambda current: ([None] * len(keys), None))

    # --- login codes, phone codes and sessions ----------------------------------------------
    def code(self, code: Any) -> Optional[Record]:
        return _get(self.store, CODES, code)

    def codes(self) -> List[Tuple[str, Record]]:
        return self.store.items(CODES)

    def update_code(self, code: str, change: Change) -> Any:
        return self.store.update(CODES, code, change)

    def put_code_and_session(self, code: str, record: Record, openid: str) -> None:
        """A minted login code and the session key it renews, at once (as ``wx.login()`` does)."""
        session = {"session_key": record["session_key"], "created_at": record["issued_at"]}
        keys = [(CODES, code), (SESSIONS, _session_key(record["appid"], openid))]
        self.store.update_many(keys, lambda current: ([record, session], None))

    def adopt_code(self, code: str, record: Record, openid: str) -> bool:
        """An unknown code taken as ``record`` with its session, unless someone took it first."""
        session = {"session_key": record["session_key"], "created_at": record["issued_at"]}
        keys = [(CODES, code), (SESSIONS, _session_key(record["appid"], openid))]

        def adopt(current):
            if current[0] is not None:
                return [UNCHANGED, UNCHANGED], False
            return [record, session], True
        return self.store.update_many(keys, adopt)

    def phone_code(self, code: Any) -> Optional[Record]:
        return _get(self.store, PHONE_CODES, code)

    def put_phone_code(self, code: str, record: Record) -> None:
        self.store.put(PHONE_CODES, code, record)

    def update_phone_code(self, code: str, change: Change) -> Any:
        return self.store.update(PHONE_CODES, code, change)

    def session(self, appid: str, openid: str) -> Optional[Record]:
        return self.store.get(SESSIONS, _session_key(appid, openid))

    def put_session(self, appid: str, openid: str, session_key: str, created_at: float) -> None:
        self.store.put(SESSIONS, _session_key(appid, openid), {"session_key": session_key, "created_at": created_at})

    # --- access tokens and quotas ------------------------------------------------------------
    def token(self, token: Any) -> Optional[Record]:
        return _get(self.store, TOKENS, token)

    def tokens(self) -> List[Tuple[str, Record]]:
        return self.store.items(TOKENS)

    def put_token(self, token: str, record: Record) -> None:
        self.store.put(TOKENS, token, record)

    def delete_token(self, token: str) -> None:
        self.store.delete(TOKENS, token)

    def update_token(self, token: str, change: Change) -> Any:
        return self.store.update(TOKENS, token, change)

    def current_tokens(self, appid: str) -> Record:
        """``{"token": ..., "stable": ...}``: the app's current tokens of each kind."""
        return self.store.get(APP_TOKENS, appid) or {}

    def update_current_tokens(self, appid: str, change: Change) -> Any:
        return self.store.update(APP_TOKENS, appid, change)

    def count_call(self, counter: str, period: int) -> int:
        """Calls counted against ``counter`` in this period (a day, a minute) so far, this one
        included; the first call of a period drops the last period's count, so counters do not
        pile up."""
        calls = self.store.incr(QUOTA, f"{counter}:{period}")
        if calls == 1:
            self.store.delete(QUOTA, f"{counter}:{period - 1}")
        return calls

    # --- messages ---------------------------------------------------------------------------
    def put_message(self, record: Record) -> None:
        self.store.put(MESSAGES, str(record["msgid"]), record)

    def messages(self) -> List[Record]:
        return self.store.values(MESSAGES)
