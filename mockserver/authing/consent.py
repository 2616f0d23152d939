"""Consent at the hosted login: whether a logged-in user must allow the app the scopes it asks
for, the consent page's ticket, and the consents remembered per (user, app).

- Consent is needed when ``prompt`` has ``consent``, or the app does not skip it (``skipConsent``
  false) and the user has not yet allowed it every scope now granted.
- The page carries a ticket (single use, ``TICKET_LIFETIME`` seconds of the mock's clock) naming
  who logged in, for which app, redirect URI and scope; its Allow or Deny posts it back.
- Allow remembers the scopes (added to those allowed before); a later login with the same or fewer
  scopes is not asked again, unless ``prompt=consent``.
"""
from __future__ import annotations

from typing import Any, List, NamedTuple, Optional, Set, Tuple

from ..core.clock import Clock
from ..core.ids import URLSAFE, RandomSource
from ..core.store import UNCHANGED
from .repo import AuthingRepository, Record

#: How the consent page names each scope; an unknown scope is shown as given.
SCOPE_LABELS = {
    "openid": "确认你的身份（用户 ID）",
    "profile": "获取你的基本资料（昵称、头像、性别等）",
    "email": "获取你的邮箱地址",
    "phone": "获取你的手机号",
    "address": "获取你的地址",
    "offline_access": "在你离线时保持访问（刷新令牌）",
}
TICKET_LIFETIME = 600
DECISIONS = ("allow", "deny")


class ScopeLine(NamedTuple):
    scope: str
    label: str


class ConsentPage(NamedTuple):
    """The consent page: the scopes asked for, the ticket its forms post back, the request's params."""
    app: Record
    user: Record
    scopes: List[ScopeLine]
    ticket: str
    params: Any
    error: Optional[str] = None


def requested_lines(requested: str) -> List[ScopeLine]:
    """The scopes a request names, in order, once each, with their labels."""
    seen: List[str] = []
    for scope in requested.split():
        if scope not in seen:
            seen.append(scope)
    return [ScopeLine(scope, SCOPE_LABELS.get(scope, scope)) for scope in seen]


class Consents:
    def __init__(self, repo: AuthingRepository, clock: Clock, random: RandomSource):
        self.repo = repo
        self.clock = clock
        self.random = random

    def needed(self, app: Record, user: Record, scope: str, prompts: Set[str]) -> bool:
        if "consent" in prompts:
            return True
        if app.get("skipConsent", True):
            return False
        allowed = self.repo.consent(user["id"], app["id"])
        return allowed is None or not set(scope.split()) <= set(allowed["scope"].split())

    def remember(self, user: Record, app: Record, scope: str) -> None:
        """Add ``scope`` to what ``user`` allowed ``app``."""
        now = self.clock.now()

        def grant(current: Optional[Record]) -> Tuple[Any, None]:
            scopes = (current["scope"].split() if current else [])
            scopes += [s for s in scope.split() if s not in scopes]
            return {"scope": " ".join(scopes), "grantedAt": now}, None
        self.repo.grant_consent(user["id"], app["id"], grant)

    def ask(self, app: Record, user: Record, redirect_uri: str, scope: str, params: Any) -> ConsentPage:
        ticket = self.random.chars(43, URLSAFE)
        self.repo.put_consent_asked(ticket, {"appId": app["id"], "userId": user["id"], "redirectUri": redirect_uri,
                                             "scope": scope, "expiresAt": self.clock.now() + TICKET_LIFETIME})
        return ConsentPage(app, user, requested_lines(params.get("scope", "")), ticket, params)

    def asked(self, ticket: Any, app: Record, redirect_uri: str, scope: str) -> Optional[Record]:
        """The live ticket of a consent page shown for this very request, or None."""
        record = self.repo.consent_asked(ticket)
        now = self.clock.now()
        return record if record is not None and matches(record, app, redirect_uri, scope, now) else None

    def take(self, ticket: str, app: Record, redirect_uri: str, scope: str) -> Optional[Record]:
        """Use a ticket up (None when it is gone, expired, or for another request)."""
        now = self.clock.now()

        def take(current: Optional[Record]) -> Tuple[Any, Optional[Record]]:
            if current is None or not matches(current, app, redirect_uri, scope, now):
                return UNCHANGED, None
            return None, current
        return self.repo.take_consent_asked(ticket, take)


def matches(record: Record, app: Record, redirect_uri: str, scope: str, now: float) -> bool:
    """Whether a ticket is live and was given for this app, redirect URI and scope."""
    return (record["appId"] == app["id"] and record["redirectUri"] == redirect_uri and record["scope"] == scope
            and now < record["expiresAt"])
