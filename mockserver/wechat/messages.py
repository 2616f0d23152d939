"""Messages: subscribe messages sent to users (each spends a consent), and the record the control
plane lists."""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

from ..core.clock import Clock
from ..core.ids import RandomSource
from .errors import WeChatError
from .repo import Record, WeChatRepository
from .subscribe_templates import SubscribeTemplates, app_template, check_values
from .subscriptions import spend_one
from .users import Directory

MINIPROGRAM_STATES = ("developer", "trial", "formal")


class Messages:
    def __init__(self, repo: WeChatRepository, directory: Directory, templates: SubscribeTemplates, clock: Clock,
                 random: RandomSource):
        self.repo = repo
        self.directory = directory
        self.templates = templates
        self.clock = clock
        self.random = random

    def send_subscribe_message(self, app: Record, body: Dict[str, Any]) -> int:
        """``/cgi-bin/message/subscribe/send``: the msgid of the message sent. Checked in turn:
        the user (40003), the template (40037), the data (47001, then 47003 per keyword), the page
        (41030), the mini program's state (47001), then the user's consent (43101)."""
        touser, template_id, data, page = (body.get(k) for k in ("touser", "template_id", "data", "page"))
        user = self.directory.user_in_app(app["appid"], touser)
        known = self.templates.of_app(app["appid"])
        if not isinstance(template_id, str) or not template_id or (known and template_id not in known):
            raise WeChatError(40037)
        if not isinstance(data, dict):
            raise WeChatError(47001)
        check_values(known.get(template_id) or app_template(template_id), data)
        if page is not None and not self._page_exists(app, page):
            raise WeChatError(41030)
        if body.get("miniprogram_state", "formal") not in MINIPROGRAM_STATES:
            raise WeChatError(47001)
        if user.get("rejects_subscribe_messages"):
            raise WeChatError(43101)
        msgid = self.random.msgid()
        record = {"msgid": msgid, "appid": app["appid"], "touser": touser, "template_id": template_id,
                  "page": page, "data": data, "miniprogram_state": body.get("miniprogram_state", "formal"),
                  "lang": body.get("lang", "zh_CN"), "sent_at": self.clock.now()}
        openid = self.directory.openid(user, app["appid"])
        if not self.repo.take_consent_and_send(app["appid"], openid, record, spend_one(template_id)):
            raise WeChatError(43101)
        return msgid

    @staticmethod
    def _page_exists(app: Record, page: Any) -> bool:
        """A page the mini program has (its query aside), when the app lists its pages."""
        if not isinstance(page, str) or not page:
            return False
        path = page.split("?", 1)[0]
        return not app["pages"] or path in app["pages"]

    def sent(self, offset: int, limit: int) -> Tuple[int, List[Record]]:
        """How many messages were sent, and a page of them in the order sent."""
        return self.repo.messages_page(offset, limit)
