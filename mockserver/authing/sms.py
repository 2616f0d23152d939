"""SMS codes: sent (and listed by the control plane, as Firebase's emulator does), then taken
once, the newest to a phone only, before they expire."""
from __future__ import annotations

import re
from typing import Any, Dict, List

from ..core.clock import Clock
from ..core.ids import RandomSource
from ..core.store import UNCHANGED
from . import errors as E
from .apps import Apps
from .caller import Caller
from .errors import AuthingError
from .repo import AuthingRepository

SMS_CODE_TTL = 300
PHONE = re.compile(r"^\+?\d{5,15}$")


def checked_phone(phone: Any) -> str:
    if not isinstance(phone, str) or not PHONE.match(phone):
        raise AuthingError(E.BAD_PHONE, "请提供正确的手机号")
    return phone


class Sms:
    def __init__(self, repo: AuthingRepository, apps: Apps, clock: Clock, random: RandomSource):
        self.repo = repo
        self.apps = apps
        self.clock = clock
        self.random = random

    def send(self, caller: Caller, phone: Any) -> None:
        """A code to ``phone``, in the caller's user pool (named, or its app's)."""
        pool_id = caller.pool_id or self.apps.app_for(caller)["userPoolId"]
        if self.repo.pool(pool_id) is None:
            raise AuthingError(E.POOL_NOT_FOUND, "用户池不存在")
        phone = checked_phone(phone)
        now = self.clock.now()
        self.repo.add_sms({"id": self.random.object_id(), "userPoolId": pool_id, "phone": phone,
                           "code": f"{self.random.integer(0, 999999):06d}", "sentAt": now,
                           "expiresAt": now + SMS_CODE_TTL, "usedAt": None})

    def take(self, pool_id: str, phone: str, code: Any) -> None:
        """The newest code sent to ``phone`` must match, be unused and unexpired; it is then used up."""
        newest = self.repo.newest_sms(pool_id, phone)
        if newest is None or not isinstance(code, str):
            raise AuthingError(E.BAD_VERIFY_CODE, "验证码不正确")
        now = self.clock.now()

        def take(record):
            if record is None or record["usedAt"] is not None or record["code"] != code:
                return UNCHANGED, "bad"
            if now >= record["expiresAt"]:
                return UNCHANGED, "expired"
            return {**record, "usedAt": now}, "ok"

        outcome = self.repo.update_sms(newest, take)
        if outcome == "expired":
            raise AuthingError(E.BAD_VERIFY_CODE, "验证码已过期")
        if outcome != "ok":
            raise AuthingError(E.BAD_VERIFY_CODE, "验证码不正确")

    def outbox(self) -> List[Dict[str, Any]]:
        return [{**record, "used": record["usedAt"] is not None} for record in self.repo.sms()]
