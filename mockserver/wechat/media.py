"""Temporary media (``/cgi-bin/media/upload``, ``/cgi-bin/media/get``): images a backend uploads
to send in customer-service messages.

As WeChat: a mini program uploads only ``type=image`` (40004 otherwise), PNG, JPEG or GIF (40005)
of at most ``MAX_IMAGE_BYTES`` (2 MB; 40006); the multipart field is ``media`` (41005 without it);
a ``media_id`` is 64 characters and lives ``LIFETIME`` (3 days) by the mock clock, for its own app
only (40007 after). The mock keeps uploads in its store, so it caps them: once ``MAX_MEDIA`` files
or ``MAX_TOTAL_BYTES`` are kept, uploads get 45009 until ``POST /__mock__/reset``; media already
handed out keep working. A refused upload changes nothing.
"""
from __future__ import annotations

import base64
from typing import Any, Dict, List, NamedTuple, Tuple

from ..core.clock import Clock
from ..core.ids import URLSAFE, RandomSource
from .errors import WeChatError
from .repo import Record, WeChatRepository

MAX_IMAGE_BYTES = 2 * 1024 * 1024
LIFETIME = 3 * 24 * 3600
MAX_MEDIA = 100
MAX_TOTAL_BYTES = 64 * 1024 * 1024
#: The first bytes of each image format WeChat takes, and its content type and file extension.
IMAGE_FORMATS = ((b"\x89PNG\r\n\x1a\n", "image/png", "png"), (b"\xff\xd8\xff", "image/jpeg", "jpg"),
                 (b"GIF87a", "image/gif", "gif"), (b"GIF89a", "image/gif", "gif"))


class Uploaded(NamedTuple):
    media_id: str
    type: str
    created_at: int


class Download(NamedTuple):
    data: bytes
    content_type: str
    filename: str


class TempMedia:
    max_bytes = MAX_IMAGE_BYTES

    def __init__(self, repo: WeChatRepository, clock: Clock, random: RandomSource):
        self.repo = repo
        self.clock = clock
        self.random = random

    def upload(self, app: Record, kind: Any, data: Any) -> Uploaded:
        """``data``: the ``media`` part's bytes (None without one), read at most one byte past the limit."""
        if kind != "image":
            raise WeChatError(40004)
        if not data:
            raise WeChatError(41005)
        if len(data) > MAX_IMAGE_BYTES:
            raise WeChatError(40006)
        image = next((fmt for fmt in IMAGE_FORMATS if data.startswith(fmt[0])), None)
        if image is None:
            raise WeChatError(40005)
        if not self._fits(self.repo.media_use(), len(data)):  # refused before a random id is drawn
            raise self._full()
        now = self.clock.now()
        media_id = self.random.chars(64, URLSAFE)
        record = {"media_id": media_id, "appid": app["appid"], "type": "image", "content_type": image[1],
                  "extension": image[2], "size": len(data), "created_at": int(now), "expires_at": now + LIFETIME,
                  "data": base64.b64encode(data).decode()}
        if not self.repo.add_media(record, lambda use: self._fits(use, len(data))):
            raise self._full()
        return Uploaded(media_id, "image", int(now))

    def get(self, app: Record, media_id: Any) -> Download:
        if not isinstance(media_id, str) or not media_id:
            raise WeChatError(41006)
        record = self._live(app["appid"], media_id)
        if record is None:
            raise WeChatError(40007)
        return Download(base64.b64decode(record["data"]), record["content_type"],
                        f"{media_id}.{record['extension']}")

    def usable(self, appid: str, media_id: str) -> bool:
        """Whether a message of ``appid`` may name ``media_id``."""
        return self._live(appid, media_id) is not None

    def listing(self, offset: int, limit: int) -> Tuple[int, List[Dict[str, Any]]]:
        """A page of the media kept (without their bytes), with their total."""
        total, records = self.repo.media_page(offset, limit)
        return total, [{k: v for k, v in record.items() if k != "data"} for record in records]

    def _live(self, appid: str, media_id: str) -> Any:
        record = self.repo.media(media_id)
        if record is None or record["appid"] != appid or record["expires_at"] <= self.clock.now():
            return None
        return record

    @staticmethod
    def _fits(use: Dict[str, int], size: int) -> bool:
        return use["count"] < MAX_MEDIA and use["bytes"] + size <= MAX_TOTAL_BYTES

    @staticmethod
    def _full() -> WeChatError:
        return WeChatError(45009, f"(the mock keeps at most {MAX_MEDIA} media files or "
                                  f"{MAX_TOTAL_BYTES // (1024 * 1024)} MB: POST /__mock__/reset empties it)")
