"""Mini-program codes: ``getwxacodeunlimit`` (by scene, unlimited), ``getwxacode`` and
``createwxaqrcode`` (by path, 100,000 per app between them), each a JPEG QR code of what it
opens, and WeChat's checks of their parameters."""
from __future__ import annotations

import re
from typing import Any, Dict, List

from ..core.digits import ascii_digits
from ..core.json_reading import is_integer
from .errors import WeChatError
from .jpeg import encode_blocks
from .repo import Record, WeChatRepository

SCENE_CHARS = re.compile(r"^[A-Za-z0-9!#$&'()*+,/:;=?@\-._~]+$")
ENV_VERSIONS = ("release", "trial", "develop")
MIN_WIDTH, MAX_WIDTH, DEFAULT_WIDTH = 280, 1280, 430
MAX_CODE_PATH, MAX_QRCODE_PATH = 1024, 128
#: How many codes ``getwxacode`` and ``createwxaqrcode`` make for one app in all (45029 after).
DEFAULT_CODE_LIMIT = 100_000
BORDER_MODULES = 4
DARK, LIGHT = 0, 255


def _checked_width(body: Dict[str, Any]) -> int:
    """The width, a number (47001 otherwise), clamped to 280-1280 px."""
    width = body.get("width", DEFAULT_WIDTH)
    if not is_integer(width):
        raise WeChatError(47001)
    return min(MAX_WIDTH, max(MIN_WIDTH, width))


def _check_style(body: Dict[str, Any]) -> int:
    """The width and the style parameters of the mini-program codes, by type (47001 for a wrong
    one): ``auto_color``, ``is_hyaline`` and ``line_color`` ({r, g, b}, numbers or decimal strings:
    wechatpy sends ``"0"``)."""
    width = _checked_width(body)
    for key in ("auto_color", "is_hyaline"):
        if key in body and not isinstance(body[key], bool):
            raise WeChatError(47001)
    color = body.get("line_color", {"r": 0, "g": 0, "b": 0})
    if not isinstance(color, dict) or not all(
            is_integer(color.get(c)) or (ascii_digits(color.get(c))) for c in "rgb"):
        raise WeChatError(47001)
    return width


def _check_env_version(body: Dict[str, Any]) -> None:
    if body.get("env_version", "release") not in ENV_VERSIONS:
        raise WeChatError(40097)


def draw(text: str, width: int) -> bytes:
    """A JPEG QR code of ``text``, about ``width`` pixels square (a whole number of 8-pixel blocks)."""
    import segno  # imported on first use: most runs never draw a QR code

    matrix: List[List[int]] = [list(row) for row in segno.make_qr(text, error="m").matrix]
    modules = len(matrix)
    blocks = width // 8
    scale = max(1, blocks // (modules + 2 * BORDER_MODULES))
    blocks = max(blocks, modules * scale + 2 * BORDER_MODULES * scale)
    before = (blocks - modules * scale) // 2
    light_row = [LIGHT] * blocks
    levels = [light_row] * before
    for row in matrix:
        line = [LIGHT] * before + [DARK if dark else LIGHT for dark in row for _ in range(scale)]
        line += [LIGHT] * (blocks - len(line))
        levels += [line] * scale
    levels += [light_row] * (blocks - len(levels))
    return encode_blocks(levels)


class WxaCodes:
    def __init__(self, repo: WeChatRepository):
        self.repo = repo

    def unlimited(self, app: Record, body: Dict[str, Any]) -> bytes:
        """``/wxa/getwxacodeunlimit``: a code of the scene (at most 32 of the allowed characters)."""
        scene, page, check_path = body.get("scene"), body.get("page"), body.get("check_path", True)
        if not isinstance(scene, str) or not 0 < len(scene) <= 32:
            raise WeChatError(40169)
        if not SCENE_CHARS.match(scene):
            raise WeChatError(40129)
        if not isinstance(check_path, bool):
            raise WeChatError(47001)
        if page is not None:
            if not isinstance(page, str) or page.startswith("/") or "?" in page:
                raise WeChatError(41030)
            if check_path and app["pages"] and page not in app["pages"]:
                raise WeChatError(41030)
        _check_env_version(body)
        return draw(scene, _check_style(body))

    def limited(self, app: Record, body: Dict[str, Any]) -> bytes:
        """``/wxa/getwxacode``: a code of a path (≤ 1024 characters, its query included)."""
        path = self._checked_path(body, MAX_CODE_PATH)
        _check_env_version(body)
        width = _check_style(body)
        self._count(app)
        return draw(path, width)

    def square(self, app: Record, body: Dict[str, Any]) -> bytes:
        """``/cgi-bin/wxaapp/createwxaqrcode``: a square QR code of a path (≤ 128 characters)."""
        path = self._checked_path(body, MAX_QRCODE_PATH)
        width = _checked_width(body)
        self._count(app)
        return draw(path, width)

    @staticmethod
    def _checked_path(body: Dict[str, Any], limit: int) -> str:
        path = body.get("path")
        if not isinstance(path, str) or not 0 < len(path) <= limit:
            raise WeChatError(40159)
        return path

    def _count(self, app: Record) -> None:
        """One more code of the app's limited ones, or 45029 when they are all made (nothing counted)."""
        limit = app.get("wxacode_limit") or DEFAULT_CODE_LIMIT
        if not self.repo.count_within(f"{app['appid']}:wxacodes", limit):
            raise WeChatError(45029)
