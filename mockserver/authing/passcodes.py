"""One-time codes sent by SMS (kind ``phone``) or email (kind ``email``): sent, listed by the control
plane (as Firebase's emulator lists its codes), then taken once — the newest to a phone or address
only, before it expires.

At most one code goes to a phone or address per channel per 60 s of the mock's clock ("每个手机号同一
Channel 在一分钟内只能发送一次", the v3 SDK's words); v2 sends have one channel of their own.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List

from ..core.clock import Clock
from ..core.ids import RandomSource
from ..core.store import UNCHANGED
from . import errors as E
from .errors import AuthingError
from .repo import AuthingRepository, Record

CODE_TTL = 300
#: The channel of a v2 send (the v2 API names none).
V2_CHANNEL = "v2"


class Passcodes:
    def __init__(self, repo: AuthingRepository, clock: Clock, random: RandomSource):
        self.repo = repo
        self.clock = clock
        self.random = random

    def send(self, kind: str, pool_id: str, target: str, channel: str,
             message: Callable[[str], Dict[str, Any]] = lambda code: {}) -> Record:
        """A new code to ``target`` (429 when one went there on ``channel`` in the last 60 s);
        ``message(code)`` gives the fields of the message that carries it."""
        now = self.clock.now()
        code = f"{self.random.integer(0, 999999):06d}"
        record = {"id": self.random.object_id(), "userPoolId": pool_id, kind: target, "channel": channel,
                  "code": code, **message(code), "sentAt": now, "expiresAt": now + CODE_TTL, "usedAt": None}
        if not self.repo.add_code(kind, target, record, channel, now):
            raise AuthingError(E.TOO_FREQUENT, "发送过于频繁，请稍后再试")
        return record

    def take(self, kind: str, pool_id: str, target: str, code: Any) -> None:
        """The newest code sent to ``target`` must match, be unused and unexpired; it is then used up."""
        newest = self.repo.newest_code(kind, pool_id, target)
        if newest is None or not isinstance(code, str):
            raise AuthingError(E.BAD_VERIFY_CODE, "验证码不正确")
        now = self.clock.now()

        def take(record):
            if record is None or record["usedAt"] is not None or record["code"] != code:
                return UNCHANGED, "bad"
            if now >= record["expiresAt"]:
                return UNCHANGED, "expired"
            return {**record, "usedAt": now}, "ok"

        outcome = self.repo.update_code(kind, newest, take)
        if outcome == "expired":
            raise AuthingError(E.BAD_VERIFY_CODE, "验证码已过期")
        if outcome != "ok":
            raise AuthingError(E.BAD_VERIFY_CODE, "验证码不正确")

    def outbox(self, kind: str) -> List[Dict[str, Any]]:
        return [{**record, "used": record["usedAt"] is not None} for record in self.repo.codes(kind)]
