"""Authing users: the directory, the links that find a user (unionid, openid, phone, username),
saving changes atomically, and the rules of what a user may change about themself.

Links are claimed atomically, and a new user is written together with the link it is found by, so
whoever reads a link finds its user. Every check that can refuse a request runs before its first
write, and a write whose request still fails is undone.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from ..core.clock import Clock
from ..core.errors import ControlError, NotFound
from ..core.ids import RandomSource
from . import errors as E
from .caller import Caller
from .errors import AuthingError, bad_request
from .models import PROFILE_FIELDS, PROTECTED_FIELDS, iso, new_user
from .repo import AuthingRepository, Record

Changes = Union[Dict[str, Any], Callable[[Record], Dict[str, Any]]]


def phone_fields(phone: str, country_code: str) -> Dict[str, Any]:
    return {"phone": phone, "phoneVerified": True, "phoneCountryCode": country_code}


def refuse_blocked(user: Record, oidc_error: Optional[str] = None) -> None:
    if user.get("blocked"):
        raise AuthingError(E.USER_LOCKED, "用户已被锁定", oidc_error=oidc_error)


class Users:
    def __init__(self, repo: AuthingRepository, clock: Clock, random: RandomSource):
        self.repo = repo
        self.clock = clock
        self.random = random

    # --- the directory ----------------------------------------------------------------------
    def all(self) -> List[Record]:
        return self.repo.users()

    def page(self, offset: int, limit: int) -> Tuple[int, List[Record]]:
        """How many users there are, and ``limit`` of them from the ``offset``-th on (creation order)."""
        return self.repo.user_count(), self.repo.users_page(offset, limit)

    def linked(self, pool_id: str, kind: str, value: Optional[str]) -> Optional[Record]:
        """The user a link points at (None for no value or no link)."""
        if not value:
            return None
        user_id = self.repo.linked(pool_id, kind, value)
        return self.repo.user(user_id) if user_id else None

    def claim(self, pool_id: str, kind: str, value: str, user_id: str) -> str:
        return self.repo.claim(pool_id, kind, value, user_id)

    def release(self, pool_id: str, kind: str, value: str, user_id: str) -> None:
        self.repo.release(pool_id, kind, value, user_id)

    def create(self, pool_id: str, fields: Dict[str, Any], kind: str, value: str, source: str,
               password_hash: Optional[str] = None, exclusive: bool = False,
               also: Sequence[Tuple[str, str]] = ()) -> Record:
        """A new user holding the link ``kind:value`` and the links ``also`` (with
        ``password_hash``, all written with it) — or, when a concurrent request claimed one of those
        links first, the user holding it (ours is never written: two requests, one user);
        ``exclusive``: 2026 then instead."""
        user = new_user(self.random.object_id(), pool_id, self.clock.now(), source)
        user.update(fields)
        holder = self.repo.add_user(user, [(kind, value), *also], password_hash)
        if holder == user["id"]:
            return user
        if exclusive:
            raise AuthingError(E.USER_EXISTS, "用户已存在，请不要重复注册")
        winner = self.repo.user(holder)
        if winner is None:  # only a reset of the state between two steps gets here
            raise AuthingError(E.USER_NOT_FOUND, "用户不存在")
        return winner

    # --- saving -------------------------------------------------------------------------------
    def save(self, user: Record, changes: Changes, counters: Tuple[str, ...] = (),
             issuing: Optional[List[Record]] = None) -> Record:
        """Apply ``changes`` (or ``changes(stored user)``, and +1 to each of ``counters``) to the
        stored user in one atomic step, so that concurrent saves of the same user lose nothing.
        ``changes`` may raise ``AuthingError``: nothing is written then. ``issuing``: the tokens
        (as ``authing.tokens`` notes them) this save issues, noted in the same step."""
        now = iso(self.clock.now())

        def apply(current):
            if current is None:
                raise AuthingError(E.USER_NOT_FOUND, "用户不存在")
            fields = changes(current) if callable(changes) else changes
            counted = {name: (current.get(name) or 0) + 1 for name in counters}
            saved = {**current, **fields, **counted, "updatedAt": now}
            return saved, saved
        if issuing:
            return self.repo.update_user_noting(user["id"], apply, issuing, self.clock.now())
        return self.repo.update_user(user["id"], apply)

    def logged_in(self, user: Record, caller: Caller, changes: Callable[[Record], Dict[str, Any]],
                  issuing: Optional[List[Record]] = None) -> Record:
        """Record a login: ``changes(stored user)``, the time, the address and the count; a user
        the control plane blocked is refused (checked again atomically). ``issuing`` as for ``save``."""
        now = iso(self.clock.now())

        def login(current):
            refuse_blocked(current)
            return {**changes(current), "lastLogin": now, "lastIP": caller.ip}
        return self.save(user, login, counters=("loginsCount",), issuing=issuing)

    def set_phone(self, user: Record, phone: str, country_code: str) -> Dict[str, Any]:
        """Claim ``phone`` for ``user`` (2035 if another user holds it); the fields to save."""
        holder = self.repo.claim(user["userPoolId"], "phone", phone, user["id"])
        if holder != user["id"]:
            raise AuthingError(E.PHONE_BOUND, "手机号已被绑定")
        return phone_fields(phone, country_code)

    # --- what a user may change about themself ------------------------------------------------------
    @staticmethod
    def checked_profile(changes: Any, where: str) -> Dict[str, Any]:
        """Profile changes a user may make, checked; writes nothing."""
        if not isinstance(changes, dict):
            raise bad_request(f"{where} 必须是对象")
        changes = {k: v for k, v in changes.items() if v is not None}
        protected = sorted(set(changes) & PROTECTED_FIELDS)
        if protected:
            raise AuthingError(E.NOT_ALLOWED_FIELD, f"用户无权限修改此项内容：{', '.join(protected)}")
        unknown = sorted(set(changes) - PROFILE_FIELDS - {"customData"})
        if unknown:
            raise bad_request(f"不支持的字段：{', '.join(unknown)}")
        for key, value in changes.items():
            if key == "customData":
                if not isinstance(value, dict):
                    raise bad_request("customData 必须是对象")
            elif not isinstance(value, str):
                raise bad_request(f"{key} 必须是字符串")
        if "gender" in changes and changes["gender"] not in ("M", "F", "U"):
            raise bad_request("gender 只能是 M、F 或 U")
        return changes

    def save_profile(self, user: Record, changes: Dict[str, Any]) -> Record:
        """Save checked profile changes. A new username is claimed first (2034 when another user
        holds it; released again if the save fails); the old one is given up once saved, also when
        the new one is empty."""
        pool, old_name, new_name = user["userPoolId"], user.get("username"), changes.get("username")
        renamed = "username" in changes and new_name != old_name
        if renamed and new_name and self.repo.claim(pool, "username", new_name, user["id"]) != user["id"]:
            raise AuthingError(E.USERNAME_TAKEN, "用户名已存在")

        def merged(current):
            if "customData" not in changes:
                return changes
            return {**changes, "customData": {**(current.get("customData") or {}), **changes["customData"]}}
        try:
            saved = self.save(user, merged)
        except AuthingError:
            if renamed and new_name:
                self.repo.release(pool, "username", new_name, user["id"])
            raise
        if renamed and old_name:
            self.repo.release(pool, "username", old_name, user["id"])
        return saved

    # --- the control plane ------------------------------------------------------------------------
    def record(self, user_id: Any) -> Record:
        if not isinstance(user_id, str):
            raise ControlError("userId must be a string (an Authing user id)")
        user = self.repo.user(user_id)
        if user is None:
            raise NotFound(f"no Authing user with id {user_id!r}")
        return user

    def update_record(self, user_id: Any, body: Dict[str, Any]) -> Record:
        """What an administrator changes: ``{"blocked": true}`` locks a user out — logins and every
        token-authenticated call answer 2005 (用户已被锁定) — and ``false`` lets them back in."""
        self.record(user_id)
        unknown = sorted(set(body) - {"blocked"})
        if unknown:
            raise ControlError(f"unknown fields {unknown}: only 'blocked' can be changed")
        if "blocked" in body and not isinstance(body["blocked"], bool):
            raise ControlError("blocked must be true or false")
        now = iso(self.clock.now())

        def apply(current):
            if current is None:
                raise NotFound(f"no Authing user with id {user_id!r}")
            saved = {**current, **body, "updatedAt": now}
            return saved, saved
        return self.repo.update_user(user_id, apply)
