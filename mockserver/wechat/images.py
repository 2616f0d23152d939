"""What an uploaded image is, read from its first bytes (no imaging library): format and size."""
from __future__ import annotations

import struct
from typing import NamedTuple, Optional

#: JPEG start-of-frame markers (they carry the size); C4, C8 and CC are other segments.
JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


class ImageInfo(NamedTuple):
    format: str  # png, jpeg or gif
    width: int
    height: int


def image_info(data: bytes) -> Optional[ImageInfo]:
    """The format and size of a PNG, JPEG or GIF; None for anything else (or a truncated file)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return ImageInfo("png", width, height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return ImageInfo("gif", width, height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_info(data)
    return None


def _jpeg_info(data: bytes) -> Optional[ImageInfo]:
    """Walks the segments to the first start-of-frame; each step skips a whole segment."""
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header came
            return None
        (length,) = struct.unpack(">H", data[at + 2:at + 4])
        if marker in JPEG_FRAMES:
            if at + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return ImageInfo("jpeg", width, height)
        at += 2 + length
    return None
