"""Content security: the text and image checks."""
from __future__ import annotations

import re
from typing import Any, NamedTuple, Optional

from ..core.ids import RandomSource
from .errors import WeChatError
from .repo import Record
from .users import Directory

RISKY_MARKER, REVIEW_MARKER = "MOCK_RISKY", "MOCK_REVIEW"


class Verdict(NamedTuple):
    """What ``msg_sec_check`` v2 answers: ``trace_id`` is None for the v1 API."""
    suggest: str
    label: int
    trace_id: Optional[str]


class Content:
    def __init__(self, directory: Directory, random: RandomSource):
        self.directory = directory
        self.random = random

    def security_check(self, app: Record, content: Any, version: Any, scene: Any, openid: Any) -> Verdict:
        """``/wxa/msg_sec_check``: text with MOCK_RISKY is risky, MOCK_REVIEW needs review."""
        if not isinstance(content, str) or not content:
            raise WeChatError(47001)
        suggest, label = ("risky", 20006) if RISKY_MARKER in content else \
            ("review", 21000) if REVIEW_MARKER in content else ("pass", 100)
        if str(version if version is not None else 1) != "2":
            if suggest == "risky":
                raise WeChatError(87014)
            return Verdict(suggest, label, None)
        if scene not in (1, 2, 3, 4):
            raise WeChatError(40097)
        self.directory.user_in_app(app["appid"], openid)
        return Verdict(suggest, label, self.random.hex(24))
