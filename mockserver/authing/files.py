"""Uploads (``/api/v2/upload``) and the files they are served back as (``/files/<key>``).

The mock keeps uploads in its store, so they are capped: a file of more than ``MAX_FILE_BYTES`` is
refused with code 413 (as a body over the size limit is), and once ``MAX_FILES`` files or
``MAX_TOTAL_BYTES`` are kept a new upload is refused (code 400) until ``POST /__mock__/reset``:
files already handed out keep working. A refused upload changes nothing. Authing documents no
limit of its own; these are the mock's.
"""
from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
from typing import Any, Dict, Tuple

from ..core.clock import Clock
from ..core.ids import RandomSource
from . import errors as E
from .errors import AuthingError, bad_request
from .repo import AuthingRepository

FOLDER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 100
MAX_TOTAL_BYTES = 64 * 1024 * 1024
TOO_LARGE = 413  # the code Authing's v2 envelope carries for a body over the size limit


class Files:
    def __init__(self, repo: AuthingRepository, clock: Clock, random: RandomSource):
        self.repo = repo
        self.clock = clock
        self.random = random

    def upload(self, folder: Any, filename: Any, content_type: Any, data: bytes) -> str:
        """Keep an upload; its key (``folder/<24 hex><ext>``). ``data`` may be cut one byte past
        ``MAX_FILE_BYTES``: that is enough to refuse it."""
        folder = folder or "default"
        if not isinstance(folder, str) or not FOLDER.match(folder):
            raise bad_request("folder 只能包含字母、数字、'_' 和 '-'")
        if not data:
            raise bad_request("请上传文件（multipart 字段 file）")
        if len(data) > MAX_FILE_BYTES:
            raise AuthingError(TOO_LARGE, f"文件不能超过 {MAX_FILE_BYTES // (1024 * 1024)} MB")
        if not self._fits(self.repo.file_use(), len(data)):  # refused before a random id is drawn
            raise self._full()
        name = filename if isinstance(filename, str) else ""
        ext = re.sub(r"[^A-Za-z0-9.]", "", name[name.rfind("."):])[:10] if "." in name else ""
        key = f"{folder}/{self.random.hex(24)}{ext.lower()}"
        kind = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        record = {"key": key, "folder": folder, "filename": name, "contentType": kind, "size": len(data),
                  "sha256": hashlib.sha256(data).hexdigest(), "data": base64.b64encode(data).decode(),
                  "uploadedAt": self.clock.now()}
        if not self.repo.add_file(record, lambda use: self._fits(use, len(data))):  # another upload took the room
            raise self._full()
        return key

    @staticmethod
    def _fits(use: Dict[str, int], size: int) -> bool:
        return use["count"] < MAX_FILES and use["bytes"] + size <= MAX_TOTAL_BYTES

    @staticmethod
    def _full() -> AuthingError:
        return bad_request(f"上传的文件已达上限（{MAX_FILES} 个或 {MAX_TOTAL_BYTES // (1024 * 1024)} MB），"
                           "POST /__mock__/reset 可清空")

    def get(self, key: str) -> Tuple[bytes, str]:
        """The bytes of a file and its content type."""
        record = self.repo.file(key)
        if record is None:
            raise AuthingError(E.BAD_REQUEST, "文件不存在")
        return base64.b64decode(record["data"]), record["contentType"]
