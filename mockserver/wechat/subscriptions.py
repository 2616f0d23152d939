"""Subscription consent: what a user allowed an app to send them, and its use by each message.

``record_consent`` is the one place consent is given or withdrawn — the ``wx`` shim's
``requestSubscribeMessage`` and ``POST /__mock__/wechat/subscriptions`` both come here — and it
answers the changes made (``ConsentChange``), what a push of ``subscribe_msg_popup_event`` /
``subscribe_msg_change_event`` would carry.

A user's consents to one app are one store entry, ``{template id: {status, kind, remaining}}``:
a one-time template (type 2) gains one message per "accept" (they add up) and spends one per
message sent (``remaining``); a long-term one (type 3) allows messages until withdrawn. "reject"
withdraws both.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

from ..core.clock import Clock
from ..core.errors import ControlError
from ..core.store import UNCHANGED
from .repo import Record, WeChatRepository
from .subscribe_templates import LONG_TERM, ONE_TIME, SubscribeTemplates
from .users import Directory

#: How many templates one ``wx.requestSubscribeMessage`` may ask for.
MAX_TEMPLATES_PER_REQUEST = 3
ACCEPT, REJECT = "accept", "reject"


class RequestRefused(ControlError):
    """``requestSubscribeMessage`` fails as in the mini program: ``errCode`` and its text."""

    def __init__(self, err_code: int, message: str):
        super().__init__(message)
        self.err_code = err_code


class ConsentChange(NamedTuple):
    template_id: str
    status: str  # accept or reject
    kind: str  # one-time or long-term


def _kind(template_type: int) -> str:
    return "long-term" if template_type == LONG_TERM else "one-time"


class Subscriptions:
    def __init__(self, repo: WeChatRepository, directory: Directory, templates: SubscribeTemplates, clock: Clock):
        self.repo = repo
        self.directory = directory
        self.templates = templates
        self.clock = clock

    def record_consent(self, appid: Any, user_ref: Any, template_ids: Any, accept: Any = None
                       ) -> Tuple[str, List[ConsentChange]]:
        """A user's answer to a subscription request: ``accept`` true, false, or ``{template id:
        bool}`` (absent: the user's habit — every template, unless ``rejects_subscribe_messages``).
        The user's openid in the app and what changed, in the order asked."""
        app, user = self.directory.app_and_user(appid, user_ref)
        if not isinstance(template_ids, list) or not template_ids:
            raise RequestRefused(10001, "TmplIds can't be empty")
        if not all(isinstance(t, str) and t for t in template_ids):
            raise RequestRefused(10004, "Invalid template id")
        if len(template_ids) > MAX_TEMPLATES_PER_REQUEST:
            raise RequestRefused(20003, "Templates count out of max bounds")
        known = self.templates.of_app(app["appid"])
        if known and not all(t in known for t in template_ids):
            raise RequestRefused(20001, "No template data return, verify the template id exist")
        types = {known[t]["type"] if t in known else ONE_TIME for t in template_ids}
        if len(types) > 1:
            raise RequestRefused(20002, "Templates type must be same")
        answers = self._answers(template_ids, accept, not user.get("rejects_subscribe_messages"))
        kind = _kind(types.pop())
        changes = [ConsentChange(t, ACCEPT if answers[t] else REJECT, kind) for t in dict.fromkeys(template_ids)]
        now = self.clock.now()
        openid = self.directory.openid(user, app["appid"])
        self.repo.update_consents(app["appid"], openid, _applied(changes, now))
        return openid, changes

    @staticmethod
    def _answers(template_ids: List[str], accept: Any, habit: bool) -> Dict[str, bool]:
        if accept is None:
            return {t: habit for t in template_ids}
        if isinstance(accept, bool):
            return {t: accept for t in template_ids}
        if isinstance(accept, dict) and set(accept) <= set(template_ids) and all(
                isinstance(v, bool) for v in accept.values()):
            return {t: accept.get(t, habit) for t in template_ids}
        raise ControlError("'accept' must be true, false or {template id: true/false} for the templates asked")

    def consents(self, appid: Any, user_ref: Any) -> Tuple[str, Record]:
        """A user's consents to an app, by template id (the control plane's view)."""
        app, user = self.directory.app_and_user(appid, user_ref)
        openid = self.directory.openid(user, app["appid"])
        return openid, self.repo.consents(app["appid"], openid)



def spend_one(template_id: str) -> Callable[[Optional[Record]], Tuple[Any, bool]]:
    """The change of a user's consents that spends one for ``template_id``: whether there was one
    (a long-term consent is not used up)."""
    def change(held: Optional[Record]):
        consent = (held or {}).get(template_id)
        if not consent or consent["status"] != ACCEPT:
            return UNCHANGED, False
        if consent["kind"] == "long-term":
            return UNCHANGED, True
        if consent["remaining"] < 1:
            return UNCHANGED, False
        return {**(held or {}), template_id: {**consent, "remaining": consent["remaining"] - 1}}, True
    return change


def _applied(changes: List[ConsentChange], now: float) -> Callable[[Optional[Record]], Tuple[Any, None]]:
    def apply(held: Optional[Record]):
        consents = dict(held or {})
        for change in changes:
            before = consents.get(change.template_id) or {"remaining": 0}
            if change.status == ACCEPT:
                remaining = before["remaining"] + 1 if change.kind == "one-time" else 0
                consents[change.template_id] = {"status": ACCEPT, "kind": change.kind, "remaining": remaining,
                                                "updated_at": now}
            else:
                consents[change.template_id] = {"status": REJECT, "kind": change.kind, "remaining": 0,
                                                "updated_at": now}
        return consents, None
    return apply
