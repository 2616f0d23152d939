"""Customer-service messages: a user writes to the mini program (``POST /__mock__/wechat/push``),
which opens a window in which the backend may answer (``/cgi-bin/message/custom/send``) and show
"typing" (``/cgi-bin/message/custom/business/typing``).

WeChat's rules, by the mock clock: a user's message lets the backend send 5 messages within 48
hours (45015 outside it, 45047 past the count), a user entering the chat 2 within a minute; each
action raises the count and the end of the window to at least its own (they do not add up). "Typing" needs a
message between the two in the last ``TYPING_SECONDS`` (45080) and is refused while already shown
(45081); a message sent ends it. The mini program sends four kinds of message: text, image (an
uploaded ``media_id``), link and miniprogrampage (with a ``thumb_media_id``).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ..core.clock import Clock
from ..core.errors import ControlError
from ..core.ids import RandomSource
from ..core.store import UNCHANGED
from . import push as wire
from .delivery import Deliveries
from .errors import WeChatError
from .media import TempMedia
from .repo import Record, WeChatRepository
from .users import Directory

#: What each user action allows: (messages, seconds).
AFTER_MESSAGE = (5, 48 * 3600)
AFTER_ENTERING = (2, 60)
TYPING_SECONDS = 30
MAX_USER_MESSAGE = 2048  # characters of a user's text message the control plane accepts
#: msgtype → the fields its object must carry as non-empty strings.
MESSAGE_FIELDS = {
    "text": ("content",),
    "image": ("media_id",),
    "link": ("title", "description", "url", "thumb_url"),
    "miniprogrampage": ("title", "pagepath", "thumb_media_id"),
}
MEDIA_FIELDS = ("media_id", "thumb_media_id")


class CustomerService:
    def __init__(self, repo: WeChatRepository, directory: Directory, media: TempMedia, deliveries: Deliveries,
                 clock: Clock, random: RandomSource):
        self.repo = repo
        self.directory = directory
        self.media = media
        self.deliveries = deliveries
        self.clock = clock
        self.random = random

    def user_acts(self, appid: Any, ref: Any, content: Any, event: Any, session_from: Any) -> Dict[str, Any]:
        """The control plane's "user ``ref`` sends ``content`` to app ``appid``" (or, with ``event``
        ``user_enter_tempsession``, enters its chat): pushed to the app's backend, and the
        customer-service window opens."""
        if event is not None:
            if content is not None:
                raise ControlError("give 'message' (the user writes) or 'event' (the user enters the chat), not both")
            if event != "user_enter_tempsession":
                raise ControlError("'event' can be 'user_enter_tempsession'")
            if not isinstance(session_from if session_from is not None else "", str):
                raise ControlError("'session_from' must be a string")
        elif not isinstance(content, str) or not content.strip() or len(content) > MAX_USER_MESSAGE:
            raise ControlError(f"'message' must be a non-empty text of at most {MAX_USER_MESSAGE} characters")
        app, user = self.directory.app_and_user(appid, ref)
        openid, now, to = self.directory.openid(user, app["appid"]), self.clock.now(), self.original_id(app["appid"])
        if event is None:
            message = wire.user_text(to, openid, int(now), content, self.random.msgid())
        else:
            message = wire.enter_session(to, openid, int(now), session_from or "")
        allowed, seconds = AFTER_MESSAGE if event is None else AFTER_ENTERING

        def open_window(current: Optional[Record]):
            window = {"expires_at": now + seconds, "remaining": allowed, "interacted_at": now, "typing": False}
            if current is not None and current["expires_at"] > now:  # the larger of each
                window.update(expires_at=max(current["expires_at"], window["expires_at"]),
                              remaining=max(current["remaining"], allowed))
            return window, window
        window = self.repo.update_cs_window(app["appid"], openid, open_window)
        delivery = self.deliveries.push(app, message, user=user["alias"])
        return {"openid": openid, "message": message, "window": window, "delivery": delivery}

    def original_id(self, appid: str) -> str:
        return wire.original_id(self.random.derive, appid)

    def send(self, app: Record, body: Dict[str, Any]) -> None:
        """``/cgi-bin/message/custom/send``: checked, counted against the window, recorded."""
        openid = body.get("touser")
        self.directory.user_in_app(app["appid"], openid)
        kind = body.get("msgtype")
        if not isinstance(kind, str) or kind not in MESSAGE_FIELDS:
            raise WeChatError(40008)
        content = body.get(kind)
        if not isinstance(content, dict):
            raise WeChatError(47001)
        for field in MESSAGE_FIELDS[kind]:
            value = content.get(field)
            if not isinstance(value, str) or not value:
                raise WeChatError(44004 if field == "content" else 47001)
            if field in MEDIA_FIELDS and not self.media.usable(app["appid"], value):
                raise WeChatError(40007)
        now = self.clock.now()
        self._use_window(app["appid"], openid, now, self._sending)
        number = self.repo.next_number("custom")
        self.repo.put_custom_message(number, {"id": number, "appid": app["appid"], "touser": openid,
                                              "msgtype": kind, kind: content, "sent_at": now})

    def typing(self, app: Record, openid: Any, command: Any) -> None:
        """``/cgi-bin/message/custom/business/typing``."""
        self.directory.user_in_app(app["appid"], openid)  # a known openid: a string
        if command not in ("Typing", "CancelTyping"):
            raise WeChatError(45072)
        self._use_window(app["appid"], openid, self.clock.now(),
                         self._start_typing if command == "Typing" else self._cancel_typing)

    def sent(self, offset: int, limit: int) -> Tuple[int, List[Record]]:
        return self.repo.custom_messages_page(offset, limit)

    # --- the window, changed atomically: (window, now) → (new window, errcode or None) ----------
    def _use_window(self, appid: str, openid: Any, now: float, rule) -> None:
        def change(current: Optional[Record]):
            errcode, updated = rule(current, now)
            return (UNCHANGED, errcode) if errcode else (updated, None)
        errcode = self.repo.update_cs_window(appid, openid, change)
        if errcode:
            raise WeChatError(errcode)

    @staticmethod
    def _sending(window: Optional[Record], now: float) -> Tuple[Optional[int], Optional[Record]]:
        if window is None or window["expires_at"] <= now:
            return 45015, None
        if window["remaining"] <= 0:
            return 45047, None
        return None, {**window, "remaining": window["remaining"] - 1, "interacted_at": now, "typing": False}

    @staticmethod
    def _start_typing(window: Optional[Record], now: float) -> Tuple[Optional[int], Optional[Record]]:
        if window is None or window["interacted_at"] < now - TYPING_SECONDS:
            return 45080, None
        if window["typing"]:
            return 45081, None
        return None, {**window, "typing": True}

    @staticmethod
    def _cancel_typing(window: Optional[Record], now: float) -> Tuple[Optional[int], Optional[Record]]:
        if window is None or window["interacted_at"] < now - TYPING_SECONDS:
            return 45080, None
        return None, {**window, "typing": False}
