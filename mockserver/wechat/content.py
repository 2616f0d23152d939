"""Content: the text security check and the mini-program QR codes."""
from __future__ import annotations

import io
import re
from typing import Any, NamedTuple, Optional

from ..core.ids import RandomSource
from .errors import WeChatError
from .repo import Record
from .users import Directory

SCENE_CHARS = re.compile(r"^[A-Za-z0-9!#$&'()*+,/:;=?@\-._~]+$")
RISKY_MARKER, REVIEW_MARKER = "MOCK_RISKY", "MOCK_REVIEW"
ENV_VERSIONS = ("release", "trial", "develop")


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

    def unlimited_qr_code(self, app: Record, scene: Any, page: Any, check_path: Any, env_version: Any,
                          width: Any) -> bytes:
        """``/wxa/getwxacodeunlimit``: a PNG QR code that decodes to the scene."""
        if not isinstance(scene, str) or not 0 < len(scene) <= 32:
            raise WeChatError(40169)
        if not SCENE_CHARS.match(scene):
            raise WeChatError(40129)
        if page is not None:
            if not isinstance(page, str) or page.startswith("/") or "?" in page:
                raise WeChatError(41030)
            if check_path and app["pages"] and page not in app["pages"]:
                raise WeChatError(41030)
        if env_version not in ENV_VERSIONS:
            raise WeChatError(40097)
        if not isinstance(width, int) or isinstance(width, bool):
            raise WeChatError(47001)
        import segno  # imported on first use: most runs never draw a QR code

        qr = segno.make_qr(scene, error="m")
        scale = max(2, min(1280, max(280, width)) // (qr.symbol_size()[0]))
        out = io.BytesIO()
        qr.save(out, kind="png", scale=scale, border=4)
        return out.getvalue()
