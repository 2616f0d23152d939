"""Resolvers of ``schema/logins.graphql``: v2's password, code and registration mutations, email
codes, password changes and resets, binding an email, unbinding, and custom data (udv).
``loginByPhoneCode`` registers an unknown phone, as Authing's SMS guide says.

v2 SDKs encrypt every password with the key of ``/api/v2/.well-known``, so each one is decrypted
here (``credentials.decrypted``: 2016 when it is not such a ciphertext). Logins and registrations
with ``forceLogin``/``generateToken`` answer the user with a new token; other registrations answer
it without one, as Authing does.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Tuple

from . import errors as E, views
from .caller import Caller
from .credentials import checked_password, decrypted
from .repo import Record
from .service import AuthingService
from .signup import registration_profile
from .tokens import Presented

Resolver = Callable[[AuthingService, Caller, Dict[str, Any]], Any]


def password_of(value: Any) -> str:
    return checked_password(decrypted(value))


def logged_in(service: AuthingService, caller: Caller, user: Record) -> Dict[str, Any]:
    return views.graphql_user(service.tokens.presented_with_new(user, service.applications.app_for(caller), caller))


def password_login(kind: str) -> Resolver:
    def resolve(service: AuthingService, caller: Caller, args: Dict[str, Any]) -> Dict[str, Any]:
        given = args["input"]
        pool_id = service.applications.pool_for(caller)
        user = service.password_login.login(caller, pool_id, kind, given[kind], password_of(given["password"]),
                                            E.WRONG_PASSWORD)
        return logged_in(service, caller, user)
    return resolve


def login_by_phone_code(service: AuthingService, caller: Caller, args: Dict[str, Any]) -> Dict[str, Any]:
    """An unknown phone gets a new user (Authing's SMS guide: "用户不存在会自动创建账号"; the v2
    SDKs send no ``autoRegister``), unless ``autoRegister`` is false."""
    given = args["input"]
    user = service.passcode_login.login(caller, service.applications.pool_for(caller), "phone", given["phone"],
                                        given["code"], given.get("autoRegister") is not False)
    return logged_in(service, caller, user)


def registered(service: AuthingService, caller: Caller, given: Dict[str, Any], user: Record) -> Dict[str, Any]:
    if given.get("forceLogin"):
        user = service.directory.logged_in(user, caller, lambda current: {})
    if given.get("forceLogin") or given.get("generateToken"):
        return logged_in(service, caller, user)
    return views.graphql_user(Presented(user, None, None))


def register_with_password(kind: str) -> Resolver:
    def resolve(service: AuthingService, caller: Caller, args: Dict[str, Any]) -> Dict[str, Any]:
        given = args["input"]
        user = service.registration.with_password(service.applications.pool_for(caller), kind, given[kind],
                                                  password_of(given["password"]),
                                                  registration_profile(given.get("profile")))
        return registered(service, caller, given, user)
    return resolve


def register_by_phone_code(service: AuthingService, caller: Caller, args: Dict[str, Any]) -> Dict[str, Any]:
    given = args["input"]
    password = password_of(given["password"]) if given.get("password") else None
    user = service.registration.with_code(service.applications.pool_for(caller), "phone", given["phone"],
                                          given["code"], registration_profile(given.get("profile")), password)
    return registered(service, caller, given, user)


def send_email(service: AuthingService, caller: Caller, args: Dict[str, Any]) -> Dict[str, Any]:
    service.emails.send(caller, args["email"], args["scene"])
    return {"code": 200, "message": "发送成功"}


def update_password(service: AuthingService, caller: Caller, args: Dict[str, Any]) -> Dict[str, Any]:
    old = args.get("oldPassword")
    return views.graphql_user(service.account.update_password(
        caller, password_of(args["newPassword"]), decrypted(old) if old else None))


def reset_password(service: AuthingService, caller: Caller, args: Dict[str, Any]) -> Dict[str, Any]:
    kind = "phone" if args.get("phone") else "email"
    service.account.reset_password(service.applications.pool_for(caller), kind, args.get(kind), args["code"],
                                   password_of(args["newPassword"]))
    return {"code": 200, "message": "重置密码成功"}


def udv_target(args: Dict[str, Any]) -> Tuple[str, Any]:
    return args["targetType"], args["targetId"]


def set_udv_batch(service: AuthingService, caller: Caller, args: Dict[str, Any]) -> Any:
    from .account import udv_value

    values = {item["key"]: udv_value(item.get("value") or "") for item in args.get("udvList") or []}
    return service.account.set_udv(caller, *udv_target(args), values)


def set_udv(service: AuthingService, caller: Caller, args: Dict[str, Any]) -> Any:
    from .account import udv_value

    return service.account.set_udv(caller, *udv_target(args), {args["key"]: udv_value(args["value"])})


RESOLVERS: Dict[Tuple[str, str], Resolver] = {
    ("Mutation", "loginByEmail"): password_login("email"),
    ("Mutation", "loginByUsername"): password_login("username"),
    ("Mutation", "loginByPhonePassword"): password_login("phone"),
    ("Mutation", "loginByPhoneCode"): login_by_phone_code,
    ("Mutation", "registerByEmail"): register_with_password("email"),
    ("Mutation", "registerByUsername"): register_with_password("username"),
    ("Mutation", "registerByPhoneCode"): register_by_phone_code,
    ("Mutation", "sendEmail"): send_email,
    ("Mutation", "updatePassword"): update_password,
    ("Mutation", "resetPassword"): reset_password,
    ("Mutation", "bindEmail"): lambda service, caller, args: views.graphql_user(
        service.account.bind_email(caller, args["email"], args["emailCode"])),
    ("Mutation", "unbindEmail"): lambda service, caller, args: views.graphql_user(
        service.account.unbind(caller, "email")),
    ("Mutation", "unbindPhone"): lambda service, caller, args: views.graphql_user(
        service.account.unbind(caller, "phone")),
    ("Mutation", "setUdv"): set_udv,
    ("Mutation", "setUdvBatch"): set_udv_batch,
    ("Mutation", "removeUdv"): lambda service, caller, args: service.account.remove_udv(
        caller, *udv_target(args), args["key"]),
    ("Query", "udv"): lambda service, caller, args: service.account.udv(caller, *udv_target(args)),
}
