"""Email codes: a message to an address of the caller's user pool lands in an outbox the control
plane lists (``GET /__mock__/authing/emails``); its code is taken once (``passcodes.py``).
Addresses are compared without case, as Authing does ("邮箱，不区分大小写")."""
from __future__ import annotations

from typing import Any, Dict, List

from . import errors as E
from .apps import Apps
from .caller import Caller
from .errors import AuthingError
from .models import EMAIL
from .passcodes import CODE_TTL, V2_CHANNEL, Passcodes

MAX_EMAIL_LENGTH = 254


def checked_email(email: Any) -> str:
    """An address, lowercased (2003 when it is not one)."""
    if not isinstance(email, str) or len(email) > MAX_EMAIL_LENGTH or not EMAIL.match(email):
        raise AuthingError(E.EMAIL_FORMAT, "邮箱格式不正确")
    return email.lower()


def message(code: str) -> Dict[str, str]:
    return {"subject": "验证码", "text": f"你的验证码是 {code}，{CODE_TTL // 60} 分钟内有效。"}


class Emails:
    def __init__(self, apps: Apps, passcodes: Passcodes):
        self.apps = apps
        self.passcodes = passcodes

    def send(self, caller: Caller, email: Any, channel: str = V2_CHANNEL) -> None:
        pool_id = self.apps.pool_for(caller)
        self.passcodes.send("email", pool_id, checked_email(email), channel, message)

    def take(self, pool_id: str, email: str, code: Any) -> None:
        self.passcodes.take("email", pool_id, email, code)

    def outbox(self) -> List[Dict[str, Any]]:
        return self.passcodes.outbox("email")
