"""Messages: subscribe messages sent to users, and the record the control plane lists."""
from __future__ import annotations

from typing import Any, Dict, List

from ..core.clock import Clock
from ..core.ids import RandomSource
from .errors import WeChatError
from .repo import Record, WeChatRepository
from .users import Directory


class Messages:
    def __init__(self, repo: WeChatRepository, directory: Directory, clock: Clock, random: RandomSource):
        self.repo = repo
        self.directory = directory
        self.clock = clock
        self.random = random

    def send_subscribe_message(self, app: Record, touser: Any, template_id: Any, data: Any, page: Any) -> int:
        """``/cgi-bin/message/subscribe/send``: the msgid of the message sent."""
        user = self.directory.user_in_app(app["appid"], touser)
        if not template_id or not isinstance(template_id, str) or (
                app["subscribe_templates"] and template_id not in app["subscribe_templates"]):
            raise WeChatError(40037)
        if not isinstance(data, dict):
            raise WeChatError(47001)
        for key, item in data.items():
            if not isinstance(item, dict) or not str(item.get("value", "")).strip():
                raise WeChatError(47003, f"data.{key}.value is emtpy")
        if user.get("rejects_subscribe_messages"):
            raise WeChatError(43101)
        msgid = self.random.msgid()
        self.repo.put_message({"msgid": msgid, "appid": app["appid"], "touser": touser, "template_id": template_id,
                               "page": page, "data": data, "sent_at": self.clock.now()})
        return msgid

    def sent(self) -> List[Dict[str, Any]]:
        return self.repo.messages()
