"""The hosted login page's forms: what a person typed into ``<form name="login">`` or
``<form name="register">`` at the authorization step, posted back to ``/oidc/auth`` with the
authorization request in hidden fields.

Actions (the ``mock_action`` button pressed):

- ``password``: the first of ``email``, ``username``, ``phone`` given, and ``password``;
- ``send_code``: a code to ``phone`` (SMS) or else ``email``, then the page again, with a notice;
- ``code``: ``phone`` or else ``email``, and ``code`` (the newest code sent there); an unknown
  phone or address gets a new user ("用户不存在会自动创建账号", Authing's guide to its hosted page);
- ``register``: ``email`` or ``username`` with ``password``, or ``phone``/``email`` with ``code``;
  the new user is then logged in;
- ``consent`` (the consent page's ``<form name="consent">``): ``mock_consent`` (the page's ticket)
  and ``decision`` ``allow`` or ``deny``; decided in ``authorize`` (see ``consent``).

A submission whose CSRF token does not match the page's cookie (checked by the route) is refused
before anything is read. A refusal is an ``AuthingError``: the page shows its message again.
"""
from __future__ import annotations

from typing import Dict, NamedTuple, Optional

from . import errors as E
from .caller import Caller
from .credentials import checked_password
from .email import Emails
from .errors import AuthingError, bad_request
from .logins.passcode import PasscodeLogin
from .logins.password import PasswordLogin
from .repo import Record
from .signup import Registration
from .sms import Sms
from .users import Users

ACTIONS = ("password", "send_code", "code", "register")
#: The page's own fields (never part of the authorization request, never shown back but the contact ones).
FIELDS = ("mock_action", "csrf_token", "email", "username", "phone", "password", "code", "mock_consent", "decision")
REFILLED = ("email", "username", "phone")
LOGIN_CHANNEL = "CHANNEL_LOGIN"


class Submission(NamedTuple):
    action: str
    fields: Dict[str, str]
    #: Whether the request carried the page's CSRF token (the route compares it with the cookie).
    trusted: bool


class CodeSent(Exception):
    """Not an error: the page is shown again, saying where the code went."""

    def __init__(self, notice: str):
        super().__init__(notice)
        self.notice = notice


def first_of(fields: Dict[str, str], *names: str) -> Optional[str]:
    return next((name for name in names if fields.get(name)), None)


class HostedLogin:
    def __init__(self, users: Users, passwords: PasswordLogin, passcodes: PasscodeLogin, registration: Registration,
                 sms: Sms, emails: Emails):
        self.users = users
        self.passwords = passwords
        self.passcodes = passcodes
        self.registration = registration
        self.sms = sms
        self.emails = emails

    def submit(self, caller: Caller, app: Record, submission: Submission) -> Record:
        """The user the submission logs in (``CodeSent`` after a send, ``AuthingError`` if refused)."""
        if not submission.trusted:
            raise AuthingError(E.NO_PERMISSION, "页面已失效，请刷新后重试")
        fields, pool_id = submission.fields, app["userPoolId"]
        caller = caller._replace(app_id=app["id"])
        action = submission.action
        if action == "password":
            kind = first_of(fields, "email", "username", "phone")
            if kind is None:
                raise bad_request("请填写邮箱、用户名或手机号")
            return self.passwords.login(caller, pool_id, kind, fields[kind], checked_password(fields.get("password")),
                                        E.WRONG_PASSWORD)
        if action == "send_code":
            kind = first_of(fields, "phone", "email")
            if kind == "phone":
                self.sms.send(caller, fields["phone"], LOGIN_CHANNEL)
            elif kind == "email":
                self.emails.send(caller, fields["email"], LOGIN_CHANNEL)
            else:
                raise bad_request("请填写手机号或邮箱")
            raise CodeSent(f"验证码已发送至 {fields[kind]}")
        if action == "code":
            kind = first_of(fields, "phone", "email")
            if kind is None:
                raise bad_request("请填写手机号或邮箱")
            return self.passcodes.login(caller, pool_id, kind, fields[kind], fields.get("code"), auto_register=True)
        if action == "register":
            return self.users.logged_in(self._register(pool_id, fields), caller, lambda current: {})
        raise bad_request("mock_action 必须是 " + "、".join(ACTIONS) + " 之一")

    def _register(self, pool_id: str, fields: Dict[str, str]) -> Record:
        if fields.get("password"):
            kind = first_of(fields, "email", "username")
            if kind is not None:
                password = checked_password(fields["password"])
                return self.registration.with_password(pool_id, kind, fields[kind], password, {})
        kind = first_of(fields, "phone", "email")
        if kind is None or not fields.get("code"):
            raise bad_request("请填写邮箱或用户名与密码，或手机号或邮箱与验证码")
        return self.registration.with_code(pool_id, kind, fields[kind], fields["code"], {},
                                           checked_password(fields["password"]) if fields.get("password") else None)
