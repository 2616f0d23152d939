"""Users' encryption keys for the mini program's encrypted network channel
(``wx.getUserCryptoManager().getLatestUserKey()`` in the mini program,
``/wxa/business/getuserencryptkey`` on the server).

Each (app, user) has a series of keys, numbered from 1: a key lives 3600 s by the mock clock,
and the first request for a key after the newest expired (by either side) makes the next version.
The server API answers the three newest, newest first, each with ``expire_in`` (0 once expired),
and asks for a signature of the user's current session key, as ``checksession`` does.
"""
from __future__ import annotations

import base64
from typing import Any, List, NamedTuple, Optional, Tuple

from ..core.clock import Clock
from ..core.ids import RandomSource
from ..core.store import UNCHANGED
from .login import Login
from .repo import Record, WeChatRepository
from .users import Directory

KEY_TTL = 3600
LISTED = 3


class UserKey(NamedTuple):
    encrypt_key: str  # base64 of 16 bytes
    iv: str  # 16 hex characters, as WeChat sends it
    version: int
    create_time: int


class UserKeys:
    def __init__(self, repo: WeChatRepository, directory: Directory, login: Login, clock: Clock,
                 random: RandomSource):
        self.repo = repo
        self.directory = directory
        self.login = login
        self.clock = clock
        self.random = random

    def server_keys(self, app: Record, openid: Any, signature: Any, sig_method: Any) -> List[Tuple[UserKey, int]]:
        """``getuserencryptkey``: the three newest keys with their ``expire_in``, newest first."""
        self.login.check_session(app, openid, signature, sig_method)
        now = self.clock.now_int()
        return [(key, max(0, key.create_time + KEY_TTL - now)) for key in self._current(app["appid"], openid, now)]

    def latest(self, appid: str, user_ref: str) -> Tuple[UserKey, int]:
        """What ``getLatestUserKey`` resolves in the mini program: the newest key and when it expires."""
        app, user = self.directory.app_and_user(appid, user_ref)
        key = self._current(app["appid"], self.directory.openid(user, app["appid"]), self.clock.now_int())[0]
        return key, key.create_time + KEY_TTL

    def _current(self, appid: str, openid: str, now: int) -> List[UserKey]:
        """The keys, newest first, after making the next one if the newest has expired."""
        fresh = UserKey(base64.b64encode(self.random.bytes(16)).decode(), self.random.hex(16), 0, now)

        def renew(record: Optional[Record]):
            keys = [UserKey(**key) for key in (record or {}).get("keys", [])]
            if keys and now < keys[0].create_time + KEY_TTL:
                return UNCHANGED, keys
            newest = fresh._replace(version=keys[0].version + 1 if keys else 1)
            kept = [newest, *keys][:LISTED]
            return {"keys": [key._asdict() for key in kept]}, kept
        return self.repo.update_user_keys(appid, openid, renew)

