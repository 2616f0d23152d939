"""``/wxa/media_check_async``: an image or audio URL checked later, its result pushed to the app's
backend as the ``wxa_media_check`` event ``DELAY`` seconds of mock clock after the call.

The mock's verdict, as ``msg_sec_check``'s: a ``media_url`` containing ``MOCK_RISKY`` is risky,
``MOCK_REVIEW`` needs review, anything else passes. Version 1 (wechatpy's call) pushes
``isrisky``/``status_code``; version 2 needs ``scene`` (1-4) and the ``openid`` of a user of the
app and pushes ``detail``/``result`` like ``msg_sec_check`` v2.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..core.clock import Clock
from ..core.ids import RandomSource
from . import push as wire
from .content import REVIEW_MARKER, RISKY_MARKER
from .delivery import Deliveries
from .errors import WeChatError
from .repo import Record
from .users import Directory

DELAY = 5
MEDIA_TYPES = (1, 2)  # audio, image
MAX_URL = 2048


class MediaCheck:
    def __init__(self, directory: Directory, deliveries: Deliveries, clock: Clock, random: RandomSource):
        self.directory = directory
        self.deliveries = deliveries
        self.clock = clock
        self.random = random

    def check_async(self, app: Record, media_url: Any, media_type: Any, version: Any, scene: Any,
                    openid: Any) -> str:
        """The ``trace_id`` the pushed result will carry."""
        if not isinstance(media_url, str) or not media_url or len(media_url) > MAX_URL \
                or urlsplit(media_url).scheme not in ("http", "https"):
            raise WeChatError(47001)
        if media_type not in MEDIA_TYPES or isinstance(media_type, bool):
            raise WeChatError(40097)
        v2 = str(version if version is not None else 1) == "2"
        if v2:
            if scene not in (1, 2, 3, 4) or isinstance(scene, bool):
                raise WeChatError(40097)
            self.directory.user_in_app(app["appid"], openid)
        suggest, label = ("risky", 20002) if RISKY_MARKER in media_url else \
            ("review", 21000) if REVIEW_MARKER in media_url else ("pass", 100)
        now = self.clock.now()
        trace_id = self.random.rid(now)
        to = wire.original_id(self.random.derive, app["appid"])
        sender = openid if v2 else "o" + self.random.derive("media-check-sender", app["appid"])
        message = wire.media_check(to, sender, int(now) + DELAY, app["appid"], trace_id, suggest, label, v2)
        owner = self.directory.openid_owner(openid)[1] if v2 else None
        self.deliveries.push(app, message, due_at=now + DELAY, user=owner)
        return trace_id
