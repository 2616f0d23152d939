"""SMS codes: sent to a phone of the caller's user pool (listed by the control plane), then taken
once (``passcodes.py`` holds the rules they share with email codes)."""
from __future__ import annotations

from typing import Any, Dict, List

from . import errors as E
from .apps import Apps
from .caller import Caller
from .errors import AuthingError
from .models import PHONE
from .passcodes import V2_CHANNEL, Passcodes


def checked_phone(phone: Any) -> str:
    if not isinstance(phone, str) or not PHONE.match(phone):
        raise AuthingError(E.BAD_PHONE, "请提供正确的手机号")
    return phone


class Sms:
    def __init__(self, apps: Apps, passcodes: Passcodes):
        self.apps = apps
        self.passcodes = passcodes

    def send(self, caller: Caller, phone: Any, channel: str = V2_CHANNEL) -> None:
        """A code to ``phone``, in the caller's user pool (named, or its app's)."""
        pool_id = self.apps.pool_for(caller)
        self.passcodes.send("phone", pool_id, checked_phone(phone), channel)

    def take(self, pool_id: str, phone: str, code: Any) -> None:
        self.passcodes.take("phone", pool_id, phone, code)

    def outbox(self) -> List[Dict[str, Any]]:
        return self.passcodes.outbox("phone")
