"""The v3 API's own sign-in and registration bodies: ``/api/v3/signin`` (``SigninByCredentialsDto``:
the ``PASSWORD`` and ``PASSCODE`` connections) and ``/api/v3/signup`` (``SignUpDto``), as
authing-node-sdk 4.x and PyPI authing 5.x send them.

- ``passwordPayload``: ``password`` and one of ``email``, ``username``, ``phone``, ``account``.
  The password is in clear unless ``options.passwordEncryptType`` is ``rsa`` (``credentials.py``).
- ``passCodePayload``: ``passCode`` and ``phone`` (with ``phoneCountryCode``) or ``email``.
- ``options.scope`` chooses the token's scope; ``offline_access`` adds a refresh token;
  ``options.autoRegister`` makes a code login of an unknown phone or address register it.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from .. import errors as E
from ..apps import Apps
from ..caller import Caller
from ..credentials import password_given
from ..errors import bad_request
from ..repo import Record
from ..signup import Registration, registration_profile
from ..tokens import Tokens, TokenSet
from .passcode import PasscodeLogin
from .password import IDENTIFIERS, PasswordLogin

SIGNIN_CONNECTIONS = ("PASSWORD", "PASSCODE")
SIGNUP_IDENTIFIERS = ("email", "username")


def section(body: Dict[str, Any], name: str, required: bool = True) -> Dict[str, Any]:
    value = body.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"{name} 不能为空" if value is None else f"{name} 必须是对象")
    return value


def requested_scope(body: Dict[str, Any]) -> Optional[str]:
    """``options.scope`` of a v3 sign-in body (None: the default scope)."""
    scope = section(body, "options", required=False).get("scope")
    if scope is not None and not isinstance(scope, str):
        raise bad_request("options.scope 必须是字符串")
    return scope or None


def one_of(payload: Dict[str, Any], names: Tuple[str, ...], where: str) -> Tuple[str, Any]:
    given = [name for name in names if payload.get(name) not in (None, "")]
    if len(given) != 1:
        raise bad_request(f"{where} 须且只须提供 {'、'.join(names)} 之一")
    return given[0], payload[given[0]]


def country_code(payload: Dict[str, Any]) -> str:
    code = payload.get("phoneCountryCode") or "86"
    if not isinstance(code, str):
        raise bad_request("phoneCountryCode 必须是字符串")
    return code.lstrip("+")


class V3Credentials:
    def __init__(self, apps: Apps, tokens: Tokens, passwords: PasswordLogin, passcodes: PasscodeLogin,
                 registration: Registration):
        self.apps = apps
        self.tokens = tokens
        self.passwords = passwords
        self.passcodes = passcodes
        self.registration = registration

    def signin(self, caller: Caller, body: Dict[str, Any]) -> TokenSet:
        app = self.apps.v3_client(caller, body)
        options = section(body, "options", required=False)
        scope = requested_scope(body)
        connection = body.get("connection")
        if connection == "PASSWORD":
            payload = section(body, "passwordPayload")
            kind, value = one_of(payload, IDENTIFIERS + ("account",), "passwordPayload")
            password = password_given(payload.get("password"), options.get("passwordEncryptType"))
            user = self.passwords.login(caller, app["userPoolId"], kind, value, password, E.WRONG_CREDENTIALS)
        elif connection == "PASSCODE":
            payload = section(body, "passCodePayload")
            kind, target = one_of(payload, ("phone", "email"), "passCodePayload")
            user = self.passcodes.login(caller, app["userPoolId"], kind, target, payload.get("passCode"),
                                        options.get("autoRegister") is True, country_code(payload))
        else:
            raise bad_request(f"connection 必须是 {' 或 '.join(SIGNIN_CONNECTIONS)}")
        return self.tokens.token_set(user, app, caller, scope)

    def signup(self, caller: Caller, body: Dict[str, Any]) -> Record:
        pool_id = self.apps.app_for(caller)["userPoolId"]
        options = section(body, "options", required=False)
        profile = registration_profile(body.get("profile"))
        connection = body.get("connection")
        if connection == "PASSWORD":
            payload = section(body, "passwordPayload")
            kind, value = one_of(payload, SIGNUP_IDENTIFIERS, "passwordPayload")
            password = password_given(payload.get("password"), options.get("passwordEncryptType"))
            return self.registration.with_password(pool_id, kind, value, password, profile)
        if connection == "PASSCODE":
            payload = section(body, "passCodePayload")
            kind, target = one_of(payload, ("phone", "email"), "passCodePayload")
            return self.registration.with_code(pool_id, kind, target, payload.get("passCode"), profile,
                                               country_code=country_code(payload))
        raise bad_request(f"connection 必须是 {' 或 '.join(SIGNIN_CONNECTIONS)}")
