"""Code logins: a phone (SMS) or an address (email) and the newest code sent there. The user is found
before the code is taken, so asking for an unknown user (2004) leaves the code usable; with
``autoRegister`` an unknown phone or address gets a new user instead."""
from __future__ import annotations

from typing import Any, Dict

from .. import errors as E
from ..caller import Caller
from ..email import checked_email
from ..errors import AuthingError
from ..passcodes import Passcodes
from ..repo import Record
from ..sms import checked_phone
from ..users import Users, phone_fields

SOURCES = {"phone": "basic:phone-code", "email": "basic:email-code"}


def contact_fields(kind: str, target: str, country_code: str = "86") -> Dict[str, Any]:
    """The fields a verified phone or address gives a user."""
    if kind == "phone":
        return phone_fields(target, country_code)
    return {"email": target, "emailVerified": True}


def checked_target(kind: str, value: Any) -> str:
    return checked_phone(value) if kind == "phone" else checked_email(value)


class PasscodeLogin:
    def __init__(self, users: Users, passcodes: Passcodes):
        self.users = users
        self.passcodes = passcodes

    def login(self, caller: Caller, pool_id: str, kind: str, target: Any, code: Any,
              auto_register: bool = False, country_code: str = "86") -> Record:
        target = checked_target(kind, target)
        user = self.users.linked(pool_id, kind, target)
        if user is None and not auto_register:
            raise AuthingError(E.USER_NOT_FOUND, "用户不存在")
        self.passcodes.take(kind, pool_id, target, code)
        if user is None:
            user = self.users.create(pool_id, contact_fields(kind, target, country_code), kind, target, SOURCES[kind])
        return self.users.logged_in(user, caller, lambda current: {})
