"""What a logged-in user does with their own account: read it, change their profile, bind or unbind
a phone or an email, change their password, keep custom data; and a password reset by code."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from ..core.clock import Clock
from ..core.json_reading import INVALID_JSON, parse_json
from . import errors as E
from .caller import Caller
from .email import Emails, checked_email
from .errors import AuthingError, bad_request
from .logins.passcode import checked_target
from .models import iso
from .passwords import Passwords
from .repo import Record
from .sms import Sms, checked_phone
from .tokens import Presented, Tokens
from .users import Users

#: The types of custom data values (GraphQL ``UDFDataType``), by the JSON type of the value.
UDV_TYPES = ((bool, "BOOLEAN"), ((int, float), "NUMBER"), (str, "STRING"))
UDF_TARGET_USER = "USER"

#: The fields v3 ``update-profile`` takes (``identityNumber`` is accepted and ignored).
V3_PROFILE_FIELDS = {"streetAddress", "postalCode", "externalId", "customData", "name", "nickname", "photo",
                     "birthdate", "country", "province", "city", "address", "gender", "username", "company"}


def udv_list(custom: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Custom data as v2's ``UserDefinedData`` list: each value a string, typed by ``dataType``."""
    shown = []
    for key, value in custom.items():
        kind = next((name for types, name in UDV_TYPES if isinstance(value, types)), "OBJECT")
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        shown.append({"key": key, "dataType": kind, "value": text, "label": key})
    return shown


def udv_value(value: Any) -> Any:
    """A value ``setUdv`` was given (a string; JSON for numbers, booleans and objects, as the SDKs send them)."""
    if not isinstance(value, str):
        raise bad_request("value 必须是字符串")
    parsed = parse_json(value)
    return value if parsed is INVALID_JSON else parsed


class Account:
    def __init__(self, users: Users, tokens: Tokens, sms: Sms, emails: Emails, passwords: Passwords, clock: Clock):
        self.users = users
        self.tokens = tokens
        self.sms = sms
        self.emails = emails
        self.passwords = passwords
        self.clock = clock

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

    def bind_email(self, caller: Caller, email: Any, code: Any) -> Presented:
        """Bind a verified address (the code sent there); 2026 when another user holds it."""
        user, verified = self.tokens.authenticated(caller)
        email = checked_email(email)
        if user.get("email"):
            raise AuthingError(E.EMAIL_BOUND, "用户已绑定邮箱")
        holder = self.users.linked(user["userPoolId"], "email", email)
        if holder is not None and holder["id"] != user["id"]:
            raise AuthingError(E.EMAIL_BOUND, "邮箱已被绑定")
        self.emails.take(user["userPoolId"], email, code)
        if self.users.claim(user["userPoolId"], "email", email, user["id"]) != user["id"]:
            raise AuthingError(E.EMAIL_BOUND, "邮箱已被绑定")

        def bind(current):
            if current.get("email"):  # a concurrent bind came first
                raise AuthingError(E.EMAIL_BOUND, "用户已绑定邮箱")
            return {"email": email, "emailVerified": True}
        try:
            user = self.users.save(user, bind)
        except AuthingError:
            self.users.release(user["userPoolId"], "email", email, user["id"])
            raise
        return Presented(user, caller.token, verified.claims["exp"])

    def unbind(self, caller: Caller, kind: str) -> Presented:
        """Give up the user's phone or email (400 when they have none)."""
        user, verified = self.tokens.authenticated(caller)
        value = user.get(kind)
        if not value:
            raise bad_request("用户未绑定手机号" if kind == "phone" else "用户未绑定邮箱")
        cleared = ({"phone": None, "phoneVerified": False, "phoneCountryCode": None} if kind == "phone"
                   else {"email": None, "emailVerified": False})
        user = self.users.save(user, cleared)
        self.users.release(user["userPoolId"], kind, value, user["id"])
        return Presented(user, caller.token, verified.claims["exp"])

    def update_password(self, caller: Caller, new_password: str, old_password: Optional[str]) -> Presented:
        """A user with a password must give it (2006 when wrong); a user without one sets one."""
        user, verified = self.tokens.authenticated(caller)
        if not self.passwords.check_if_set(user["id"], old_password):
            raise AuthingError(E.WRONG_PASSWORD, "原密码不正确")
        return Presented(self._set_password(user, new_password), caller.token, verified.claims["exp"])

    def reset_password(self, pool_id: str, kind: str, target: Any, code: Any, new_password: str) -> None:
        """A forgotten password, by the code sent to the user's phone or address (2004: no such user)."""
        target = checked_target(kind, target)
        user = self.users.linked(pool_id, kind, target)
        if user is None:
            raise AuthingError(E.USER_NOT_FOUND, "用户不存在")
        (self.sms if kind == "phone" else self.emails).take(pool_id, target, code)
        self._set_password(user, new_password)

    def _set_password(self, user: Record, password: str) -> Record:
        self.passwords.set(user["id"], password)
        return self.users.save(user, {"passwordLastSetAt": iso(self.clock.now())})

    # --- custom data (v2 udv) ---------------------------------------------------------------------
    def _own_target(self, caller: Caller, target_type: str, target_id: Any) -> Record:
        user, _ = self.tokens.authenticated(caller)
        if target_type != UDF_TARGET_USER or target_id != user["id"]:
            raise AuthingError(E.NO_PERMISSION, "无权限执行此项操作")
        return user

    def udv(self, caller: Caller, target_type: str, target_id: Any) -> List[Dict[str, Any]]:
        return udv_list(self._own_target(caller, target_type, target_id).get("customData") or {})

    def set_udv(self, caller: Caller, target_type: str, target_id: Any, values: Dict[str, Any]) -> List[Dict[str, Any]]:
        user = self._own_target(caller, target_type, target_id)
        saved = self.users.save(user, lambda current: {"customData": {**(current.get("customData") or {}), **values}})
        return udv_list(saved.get("customData") or {})

    def remove_udv(self, caller: Caller, target_type: str, target_id: Any, key: str) -> List[Dict[str, Any]]:
        user = self._own_target(caller, target_type, target_id)
        saved = self.users.save(user, lambda current: {"customData": {
            k: v for k, v in (current.get("customData") or {}).items() if k != key}})
        return udv_list(saved.get("customData") or {})
