"""How WeChat routes may be stubbed (``EmulatedService.stubs``; the rules: ``control/stubs.py``).

WeChat answers HTTP 200 whatever happened, with a JSON object whose ``errcode``, when there is one,
is an integer (0: success) and ``errmsg`` a string; the QR-code routes answer the image itself
(PNG or JPEG) on success and such an object on failure.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from ..core.errors import ControlError
from ..emulation import CallerFacts, StubFormat
from .routes import IMAGE_ROUTES
from .service import WeChatService
from .views import JSON_TYPE

IMAGE_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def check(route: str, status: int, body: Any, raw: Optional[bytes]) -> str:
    if status != 200:
        raise ControlError("WeChat answers HTTP 200, errors included (the errcode is in the body): "
                           "leave 'status' out or give 200")
    if raw is not None:
        kind = next((kind for magic, kind in IMAGE_TYPES if raw.startswith(magic)), None)
        if route not in IMAGE_ROUTES or kind is None:
            raise ControlError("WeChat answers bytes only on the QR-code routes, as a PNG or JPEG image"
                               if route in IMAGE_ROUTES else f"{route} answers JSON: give 'body', an object")
        return kind
    if not isinstance(body, dict):
        raise ControlError("a WeChat answer is a JSON object")
    errcode = body.get("errcode", 0)
    if not isinstance(errcode, int) or isinstance(errcode, bool):
        raise ControlError("a WeChat answer's 'errcode' is an integer")
    if "errmsg" in body and not isinstance(body["errmsg"], str):
        raise ControlError("a WeChat answer's 'errmsg' is a string")
    if route in IMAGE_ROUTES and errcode == 0:
        raise ControlError("the QR-code routes answer an image on success: give 'body_base64', or a "
                           "JSON body with a non-zero errcode")
    return JSON_TYPE


def values(wechat: WeChatService, facts: CallerFacts) -> Dict[str, str]:
    """``{{openid}}`` and ``{{unionid}}`` of the calling user in the calling app."""
    user = wechat.directory.repo.user(facts.user) if facts.user else None
    app = wechat.find_app(facts.appid) if facts.appid else None
    if user is None or app is None:
        return {}
    unionid = wechat.directory.unionid(user, app)
    return {"openid": wechat.openid(user, app["appid"]), **({"unionid": unionid} if unionid else {})}


STUBS = StubFormat(check, ("openid", "unionid"), values)
