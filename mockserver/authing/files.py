"""Uploads (``/api/v2/upload``) and the files they are served back as (``/files/<key>``)."""
from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
from typing import Any, Tuple

from ..core.clock import Clock
from ..core.ids import RandomSource
from . import errors as E
from .errors import AuthingError, bad_request
from .repo import AuthingRepository

FOLDER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Files:
    def __init__(self, repo: AuthingRepository, clock: Clock, random: RandomSource):
        self.repo = repo
        self.clock = clock
        self.random = random

    def upload(self, folder: Any, filename: Any, content_type: Any, data: bytes) -> str:
        """Keep an upload; its key (``folder/<24 hex><ext>``)."""
        folder = folder or "default"
        if not isinstance(folder, str) or not FOLDER.match(folder):
            raise bad_request("folder 只能包含字母、数字、'_' 和 '-'")
        if not data:
            raise bad_request("请上传文件（multipart 字段 file）")
        name = filename if isinstance(filename, str) else ""
        ext = re.sub(r"[^A-Za-z0-9.]", "", name[name.rfind("."):])[:10] if "." in name else ""
        key = f"{folder}/{self.random.hex(24)}{ext.lower()}"
        kind = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.repo.put_file({
            "key": key, "folder": folder, "filename": name, "contentType": kind, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "data": base64.b64encode(data).decode(),
            "uploadedAt": self.clock.now()})
        return key

    def get(self, key: str) -> Tuple[bytes, str]:
        """The bytes of a file and its content type."""
        record = self.repo.file(key)
        if record is None:
            raise AuthingError(E.BAD_REQUEST, "文件不存在")
        return base64.b64decode(record["data"]), record["contentType"]
