"""Access tokens: ``/cgi-bin/token`` (a new one each call), ``/cgi-bin/stable_token`` (the same
one until it nears expiry) and the check of the ``access_token`` every other API call carries."""
from __future__ import annotations

import re
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from ..core.clock import Clock
from ..core.ids import RandomSource
from ..core.store import UNCHANGED
from .errors import WeChatError
from .repo import Record, WeChatRepository

TOKEN_TTL = 7200
TOKEN_GRACE = 300
DAILY_TOKEN_QUOTA = 2000
#: ``stable_token``'s ``force_refresh``: 20 a day, 30 s apart; past that the current token is kept.
DAILY_FORCED_REFRESHES, FORCED_REFRESH_INTERVAL = 20, 30
WELL_FORMED_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,512}$")


class AccessToken(NamedTuple):
    token: str
    expires_in: int


class AccessTokens:
    def __init__(self, repo: WeChatRepository, clock: Clock, random: RandomSource):
        self.repo = repo
        self.clock = clock
        self.random = random

    def fetch(self, grant_type: Optional[str], appid: Optional[str], secret: Optional[str]) -> AccessToken:
        """``/cgi-bin/token``: a new token; the previous one keeps working 5 more minutes."""
        app = self._granted_app(grant_type, appid, secret)
        now = self.clock.now()
        if self.repo.count_call(f"{app['appid']}", int(now // 86400)) > DAILY_TOKEN_QUOTA:
            raise WeChatError(45009)
        token = self._new_token(app["appid"], "token", now)
        previous = self.repo.update_current_tokens(
            app["appid"], lambda cur: ({**(cur or {}), "token": token}, (cur or {}).get("token")))
        if previous:
            self._supersede(previous, now + TOKEN_GRACE)
        return AccessToken(token, TOKEN_TTL)

    def fetch_stable(self, grant_type: Any, appid: Any, secret: Any, force_refresh: Any) -> AccessToken:
        """``/cgi-bin/stable_token``: the same token until 5 minutes before it expires; a
        ``force_refresh`` replaces it, within its limits (``_may_force``)."""
        app = self._granted_app(grant_type, appid, secret)
        if type(force_refresh) is not bool:
            raise WeChatError(47001)
        now = self.clock.now()
        held = self.repo.current_tokens(app["appid"])
        current = held.get("stable")
        record = self.repo.token(current)
        fresh = current is not None and record is not None and record["expires_at"] - now > TOKEN_GRACE
        if fresh and (not force_refresh or not _may_force(held.get("forced"), now)):
            assert current is not None and record is not None
            return AccessToken(current, int(record["expires_at"] - now))
        token = self._new_token(app["appid"], "stable", now)

        def swap(cur):  # compare-and-swap: only if no one replaced the token we looked at meanwhile
            cur = cur or {}
            if cur.get("stable") != current:
                return UNCHANGED, cur.get("stable")
            swapped = {**cur, "stable": token}
            if force_refresh:  # every forced call counts, whether or not a token was due anyway
                swapped["forced"] = _counted_force(cur.get("forced"), now)
            return swapped, token

        winner = self.repo.update_current_tokens(app["appid"], swap)
        if winner != token:  # a concurrent call renewed it first: everyone gets that one token
            self.repo.delete_token(token)
            record = self.repo.token(winner)
            assert record is not None  # the winner put its record before it swapped the token in
            return AccessToken(winner, int(record["expires_at"] - now))
        if current and force_refresh:
            self._supersede(current, now)
        return AccessToken(token, TOKEN_TTL)

    def _granted_app(self, grant_type: Any, appid: Any, secret: Any) -> Record:
        """The app both token APIs grant a token, checked in WeChat's order: the appid (missing,
        unknown), the secret's presence, the grant type, then the secret."""
        if not appid:
            raise WeChatError(41002)
        app = self.repo.app(appid)
        if app is None:
            raise WeChatError(40013)
        if not secret:
            raise WeChatError(41004)
        if grant_type != "client_credential":
            raise WeChatError(40002)
        if secret != app["secret"]:
            raise WeChatError(40125)
        return app

    def _new_token(self, appid: str, kind: str, now: float) -> str:
        token = self.random.access_token()
        self.repo.put_token(token, {"appid": appid, "kind": kind, "issued_at": now,
                                    "expires_at": now + TOKEN_TTL, "superseded": False})
        return token

    def _supersede(self, token: str, until: float) -> None:
        def shorten(record):
            if record is None:
                return UNCHANGED, None
            return {**record, "expires_at": min(record["expires_at"], until), "superseded": True}, None
        self.repo.update_token(token, shorten)

    def resolve(self, token: Optional[str]) -> Record:
        """The app an ``access_token`` query parameter belongs to, or the error WeChat gives."""
        if not token:
            raise WeChatError(41001)
        if not WELL_FORMED_TOKEN.match(token):
            raise WeChatError(40014)
        record = self.repo.token(token)
        if record is None:
            raise WeChatError(40001)
        if self.clock.now() >= record["expires_at"]:
            raise WeChatError(40001 if record["superseded"] else 42001)
        app = self.repo.app(record["appid"])
        if app is None:  # only a reset of the state between two steps gets here
            raise WeChatError(40001)
        return app

    def live(self, limit: int) -> Tuple[int, List[Dict[str, Any]]]:
        """Access tokens not expired: how many, and the ``limit`` that expire soonest."""
        now = self.clock.now()
        live = self.repo.live_tokens(now, limit)
        return live.total, [{"token": token, **record, "expires_in": int(record["expires_at"] - now)}
                            for token, record in live.entries]


def _may_force(forced: Optional[Record], now: float) -> bool:
    """Whether a ``force_refresh`` is allowed after the app's earlier ones today (``forced``:
    ``{day, count, at}``)."""
    if not forced or forced["day"] != int(now // 86400):
        return True
    return forced["count"] < DAILY_FORCED_REFRESHES and now - forced["at"] >= FORCED_REFRESH_INTERVAL


def _counted_force(forced: Optional[Record], now: float) -> Record:
    day = int(now // 86400)
    count = forced["count"] + 1 if forced and forced["day"] == day else 1
    return {"day": day, "count": count, "at": now}
