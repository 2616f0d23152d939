"""Password logins: a user of the pool found by email, username, phone or any of them (``account``),
their password checked against its hash. An unknown user is 2004; a wrong password is v2's 2006
(密码不正确) or v3's 2333 (用户名或密码错误) — the caller says which; a user without a password
fails as a wrong password does."""
from __future__ import annotations

from typing import Any, Optional

from .. import errors as E
from ..caller import Caller
from ..email import checked_email
from ..errors import AuthingError, bad_request
from ..passwords import Passwords
from ..repo import Record
from ..users import Users

IDENTIFIERS = ("email", "username", "phone")


def link_value(kind: str, value: Any) -> str:
    """How a link of ``kind`` stores ``value`` (emails lowercased)."""
    if not isinstance(value, str) or not value:
        raise bad_request(f"{kind} 不能为空")
    return checked_email(value) if kind == "email" else value


class PasswordLogin:
    def __init__(self, users: Users, passwords: Passwords):
        self.users = users
        self.passwords = passwords

    def find(self, pool_id: str, kind: str, value: Any) -> Optional[Record]:
        """The user ``kind`` (``email``, ``username``, ``phone`` or ``account``: each of them in turn) names."""
        if kind == "account":
            if not isinstance(value, str) or not value:
                raise bad_request("account 不能为空")
            return next((user for each in IDENTIFIERS
                         if (user := self.users.linked(pool_id, each, value.lower() if each == "email" else value))),
                        None)
        return self.users.linked(pool_id, kind, link_value(kind, value))

    def login(self, caller: Caller, pool_id: str, kind: str, value: Any, password: str, wrong: int) -> Record:
        """The user, logged in; ``wrong`` is the code of a wrong password."""
        user = self.find(pool_id, kind, value)
        if user is None:
            raise AuthingError(E.USER_NOT_FOUND, "用户不存在")
        if not self.passwords.check(user["id"], password):
            raise AuthingError(wrong, "密码不正确" if wrong == E.WRONG_PASSWORD else "用户名或密码错误")
        return self.users.logged_in(user, caller, lambda current: {})
