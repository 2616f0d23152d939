"""Registration: a new user of the pool by email, username or phone with a password, or by a phone
or an address with the code sent there (and, for a phone, an optional password).

The user, the link that finds them and their password's hash are written in one atomic step: of two
racing registrations one gets the user, the other 2026. An existing user is refused (2026) before a
code is taken.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from ..core.clock import Clock
from . import errors as E
from .errors import AuthingError, bad_request
from .logins.passcode import checked_target, contact_fields
from .logins.password import link_value
from .models import PROFILE_FIELDS, iso
from .passcodes import Passcodes
from .passwords import Passwords
from .repo import Record
from .users import Users

MAX_USERNAME_LENGTH = 64
SOURCES = {"email": "basic:email", "username": "basic:username-password", "phone": "basic:phone-code"}
#: Profile fields a registration takes (the contact fields come from the registration itself).
REGISTER_PROFILE_FIELDS = PROFILE_FIELDS - {"username"}


def registration_profile(profile: Any) -> Dict[str, Any]:
    """The profile fields of a registration (others — ``ip``, ``oauth``, the contact fields — are
    ignored); ``udf`` (v2's ``[{key, value}]``) and ``customData`` become custom data."""
    if profile is None:
        return {}
    if not isinstance(profile, dict):
        raise bad_request("profile 必须是对象")
    chosen: Dict[str, Any] = {}
    for key, value in profile.items():
        if value is None:
            continue
        if key in REGISTER_PROFILE_FIELDS:
            if not isinstance(value, str):
                raise bad_request(f"{key} 必须是字符串")
            chosen[key] = value
    if chosen.get("gender", "U") not in ("M", "F", "U"):
        raise bad_request("gender 只能是 M、F 或 U")
    custom = dict(profile.get("customData") or {}) if isinstance(profile.get("customData"), dict) else {}
    udf = profile.get("udf")
    if isinstance(udf, list):
        custom.update({item["key"]: item["value"] for item in udf
                       if isinstance(item, dict) and isinstance(item.get("key"), str) and "value" in item})
    if custom:
        chosen["customData"] = custom
    return chosen


class Registration:
    def __init__(self, users: Users, passwords: Passwords, passcodes: Passcodes, clock: Clock):
        self.users = users
        self.passwords = passwords
        self.passcodes = passcodes
        self.clock = clock

    def with_password(self, pool_id: str, kind: str, value: Any, password: str, profile: Dict[str, Any]) -> Record:
        """``kind`` email or username (v3 and v2), or phone (v2 only, with a code: ``with_code``)."""
        value = link_value(kind, value)
        if kind == "username" and len(value) > MAX_USERNAME_LENGTH:
            raise bad_request(f"用户名不能超过 {MAX_USERNAME_LENGTH} 个字符")
        fields = {"email": value} if kind == "email" else {"username": value}
        self._refuse_existing(pool_id, kind, value)  # before the hash is worked out
        return self._create(pool_id, kind, value, {**profile, **fields}, password)

    def with_code(self, pool_id: str, kind: str, target: Any, code: Any, profile: Dict[str, Any],
                  password: Optional[str] = None, country_code: str = "86") -> Record:
        target = checked_target(kind, target)
        self._refuse_existing(pool_id, kind, target)
        self.passcodes.take(kind, pool_id, target, code)
        return self._create(pool_id, kind, target, {**profile, **contact_fields(kind, target, country_code)}, password)

    def _refuse_existing(self, pool_id: str, kind: str, value: str) -> None:
        if self.users.linked(pool_id, kind, value) is not None:
            raise AuthingError(E.USER_EXISTS, "用户已存在，请不要重复注册")

    def _create(self, pool_id: str, kind: str, value: str, fields: Dict[str, Any], password: Optional[str]) -> Record:
        """The new user; a concurrent registration that got there first is refused (2026) atomically."""
        hashed = None
        if password is not None:
            hashed = self.passwords.hashed(password)
            fields = {**fields, "passwordLastSetAt": iso(self.clock.now())}
        source = SOURCES[kind] if kind != "email" or password is not None else "basic:email-code"
        return self.users.create(pool_id, fields, kind, value, source, hashed, exclusive=True)
