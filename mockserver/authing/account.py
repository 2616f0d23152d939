"""What a logged-in user does with their own account: read it, change their profile, bind a phone."""
from __future__ import annotations

from typing import Any, Dict, Optional

from . import errors as E
from .caller import Caller
from .errors import AuthingError, bad_request
from .repo import Record
from .sms import Sms, checked_phone
from .tokens import Presented, Tokens
from .users import Users

#: The fields v3 ``update-profile`` takes (``identityNumber`` is accepted and ignored).
V3_PROFILE_FIELDS = {"streetAddress", "postalCode", "externalId", "customData", "name", "nickname", "photo",
                     "birthdate", "country", "province", "city", "address", "gender", "username", "company"}


class Account:
    def __init__(self, users: Users, tokens: Tokens, sms: Sms):
        self.users = users
        self.tokens = tokens
        self.sms = sms

    def _own(self, caller: Caller, user_id: Optional[str]) -> Presented:
        """The caller's user, with the token they presented; 1001 when they name another user."""
        user, verified = self.tokens.authenticated(caller)
        if user_id and user_id != user["id"]:
            raise AuthingError(E.NO_PERMISSION, "无权限执行此项操作")
        return Presented(user, caller.token, verified.claims["exp"])

    def me(self, caller: Caller) -> Presented:
        return self._own(caller, None)

    def user(self, caller: Caller, user_id: Optional[str]) -> Presented:
        return self._own(caller, user_id)

    def update_user(self, caller: Caller, user_id: Optional[str], changes: Any) -> Presented:
        """GraphQL ``updateUser``: profile changes the user may make about themself."""
        own = self._own(caller, user_id)
        saved = self.users.save_profile(own.user, self.users.checked_profile(changes, "input"))
        return Presented(saved, own.token, own.expires_at)

    def profile(self, caller: Caller) -> Record:
        user, _ = self.tokens.authenticated(caller)
        return user

    def update_profile(self, caller: Caller, body: Dict[str, Any]) -> Record:
        """v3 ``update-profile``."""
        user, _ = self.tokens.authenticated(caller)
        unknown = sorted(set(body) - V3_PROFILE_FIELDS - {"identityNumber"})
        if unknown:
            raise bad_request(f"不支持的字段：{', '.join(unknown)}")
        changes = {k: v for k, v in body.items() if k != "identityNumber"}
        return self.users.save_profile(user, self.users.checked_profile(changes, "body"))

    def bind_phone(self, caller: Caller, phone: Any, phone_code: Any) -> Presented:
        user, verified = self.tokens.authenticated(caller)
        phone = checked_phone(phone)
        if user.get("phone"):
            raise AuthingError(E.PHONE_BOUND, "用户已绑定手机号")
        holder = self.users.linked(user["userPoolId"], "phone", phone)
        if holder is not None and holder["id"] != user["id"]:
            raise AuthingError(E.PHONE_BOUND, "手机号已被绑定")
        self.sms.take(user["userPoolId"], phone, phone_code)
        fields = self.users.set_phone(user, phone, "86")

        def bind(current):
            if current.get("phone"):  # a concurrent bind came first
                raise AuthingError(E.PHONE_BOUND, "用户已绑定手机号")
            return fields
        try:
            user = self.users.save(user, bind)
        except AuthingError:
            self.users.release(user["userPoolId"], "phone", phone, user["id"])
            raise
        return Presented(user, caller.token, verified.claims["exp"])
