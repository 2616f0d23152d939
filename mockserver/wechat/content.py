"""Content security: the text check (``msg_sec_check`` v1 and v2) and the image check
(``img_sec_check``). What the mock flags: WeChat's documented test string, and the markers
``MOCK_RISKY`` (risky) and ``MOCK_REVIEW`` (needs review) in a text or an image's bytes."""
from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Optional

from ..core.clock import Clock
from ..core.ids import RandomSource
from .errors import WeChatError
from .images import image_info
from .login import require_recent_visit
from .repo import Record, WeChatRepository
from .users import Directory

RISKY_MARKER, REVIEW_MARKER = "MOCK_RISKY", "MOCK_REVIEW"
#: The string WeChat's documentation gives for testing the check: always risky.
TEST_STRING = "特3456书yuuo莞6543李zxcz蒜7782法fgnv级"
SCENES = (1, 2, 3, 4)
#: img_sec_check's limits: 1 MB, 750 × 1334 px, PNG, JPEG or GIF.
MAX_IMAGE_BYTES, MAX_IMAGE_WIDTH, MAX_IMAGE_HEIGHT = 1024 * 1024, 750, 1334
LABELS = {"pass": 100, "review": 21000, "risky": 20006}


class Verdict(NamedTuple):
    """What ``msg_sec_check`` v2 answers: ``detail`` per strategy, the ``result``, a ``trace_id``."""
    suggest: str
    label: int
    detail: List[Dict[str, Any]]
    trace_id: str


def _flagged(text: str) -> Optional[str]:
    """The keyword that makes a text risky or worth a review, if any."""
    for keyword in (TEST_STRING, RISKY_MARKER, REVIEW_MARKER):
        if keyword in text:
            return keyword
    return None


def _suggestion(keyword: Optional[str]) -> str:
    return "pass" if keyword is None else "review" if keyword == REVIEW_MARKER else "risky"


class Content:
    def __init__(self, repo: WeChatRepository, directory: Directory, clock: Clock, random: RandomSource):
        self.repo = repo
        self.directory = directory
        self.clock = clock
        self.random = random

    def text_check_v1(self, content: Any) -> None:
        """``/wxa/msg_sec_check`` v1: 87014 for a risky text, else nothing to say."""
        if not isinstance(content, str) or not content:
            raise WeChatError(47001)
        if _suggestion(_flagged(content)) == "risky":
            raise WeChatError(87014)

    def text_check(self, app: Record, content: Any, scene: Any, openid: Any) -> Verdict:
        """``/wxa/msg_sec_check`` v2: a verdict for a user who used the mini program lately."""
        if not isinstance(content, str) or not content:
            raise WeChatError(47001)
        if scene not in SCENES or isinstance(scene, bool):
            raise WeChatError(40097)
        self.directory.user_in_app(app["appid"], openid)
        require_recent_visit(self.repo, self.clock, app["appid"], openid)
        keyword = _flagged(content)
        suggest = _suggestion(keyword)
        label = LABELS[suggest]
        by_keyword: Dict[str, Any] = {"strategy": "keyword", "errcode": 0}
        if keyword is not None:
            by_keyword.update(suggest=suggest, label=label, level=90, keyword=keyword)
        by_model = {"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label, "prob": 90}
        return Verdict(suggest, label, [by_keyword, by_model], self.random.rid(self.clock.now()))

    def image_check(self, image: Optional[bytes]) -> None:
        """``/wxa/img_sec_check``: an image within WeChat's limits, risky if its bytes hold
        ``MOCK_RISKY`` (87014)."""
        if not image:
            raise WeChatError(41005)
        info = image_info(image)
        if info is None:
            raise WeChatError(40004)
        if len(image) > MAX_IMAGE_BYTES or info.width > MAX_IMAGE_WIDTH or info.height > MAX_IMAGE_HEIGHT:
            raise WeChatError(40006)
        if RISKY_MARKER.encode() in image:
            raise WeChatError(87014)
