"""``AuthingService``: the Authing emulation's domain, one part per capability over one repository.

Parts take plain values and a ``Caller`` (what the request said about itself), never
``flask.request``; they return domain values (views shape them per API family) and raise
``AuthingError``, or ``ControlError`` for control-plane misuse. WeChat is reached only through
the WeChat service's public parts.
"""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, Dict, List

from ..core.store import State
from ..emulation import BuildContext
from . import models
from .apps import Apps
from .repo import AuthingRepository, Record
from .signing import SigningKey
from .tokens import Tokens
from .users import Users

if TYPE_CHECKING:
    from .account import Account
    from .email import Emails
    from .files import Files
    from .hosted_login import HostedLogin
    from .logins.passcode import PasscodeLogin
    from .logins.password import PasswordLogin
    from .logins.v3 import V3Credentials
    from .logins.wechat_miniprogram import WeChatMiniProgramLogin
    from .oidc import Oidc
    from .passcodes import Passcodes
    from .passwords import Passwords
    from .signup import Registration
    from .sms import Sms


class AuthingService:
    def __init__(self, context: BuildContext):
        if "wechat" not in context.peers:
            raise ValueError("the authing service logs users in through WeChat: register mockserver.wechat before it")
        self.wechat = context.peers["wechat"]
        self.clock, self.random = context.clock, context.random
        self.repo = AuthingRepository(context.store, context.clock)
        self.applications = Apps(self.repo)
        self.directory = Users(self.repo, context.clock, context.random)
        self.tokens = Tokens(self.repo, self.applications, self.directory, context.clock, context.random,
                             SigningKey.load(context.config.signing_key))

    # The parts below are made, and their modules imported, on first use: importing them all at
    # start-up cost 2 ms of the server's ~140 ms (each module ~0.3 ms), which the benchmark sees.
    @cached_property
    def passcodes(self) -> "Passcodes":
        from .passcodes import Passcodes

        return Passcodes(self.repo, self.clock, self.random)

    @cached_property
    def sms(self) -> "Sms":
        from .sms import Sms

        return Sms(self.applications, self.passcodes)

    @cached_property
    def emails(self) -> "Emails":
        from .email import Emails

        return Emails(self.applications, self.passcodes)

    @cached_property
    def account(self) -> "Account":
        from .account import Account

        return Account(self.directory, self.tokens, self.sms, self.emails, self.passwords, self.clock)

    @cached_property
    def password_login(self) -> "PasswordLogin":
        from .logins.password import PasswordLogin

        return PasswordLogin(self.directory, self.passwords)

    @cached_property
    def passcode_login(self) -> "PasscodeLogin":
        from .logins.passcode import PasscodeLogin

        return PasscodeLogin(self.directory, self.passcodes)

    @cached_property
    def registration(self) -> "Registration":
        from .signup import Registration

        return Registration(self.directory, self.passwords, self.passcodes, self.clock)

    @cached_property
    def v3_credentials(self) -> "V3Credentials":
        from .logins.v3 import V3Credentials

        return V3Credentials(self.applications, self.tokens, self.password_login, self.passcode_login,
                             self.registration)

    @cached_property
    def files(self) -> "Files":
        from .files import Files

        return Files(self.repo, self.clock, self.random)

    @cached_property
    def passwords(self) -> "Passwords":
        from .passwords import Passwords

        return Passwords(self.repo, self.random)

    @cached_property
    def oidc(self) -> "Oidc":
        from .authorize import Authorization
        from .oidc import Oidc
        from .oidc_grants import Grants

        authorization = Authorization(self.repo, self.applications, self.directory, self.wechat, self.clock,
                                      self.random, lambda: self.wechat_miniprogram, lambda: self.hosted_login)
        grants = Grants(self.repo, self.directory, self.tokens, self.passwords, self.clock, self.random)
        return Oidc(self.repo, self.applications, self.tokens, self.clock, authorization, grants)

    @cached_property
    def hosted_login(self) -> "HostedLogin":
        from .hosted_login import HostedLogin

        return HostedLogin(self.directory, self.password_login, self.passcode_login, self.registration, self.sms,
                           self.emails)

    @cached_property
    def wechat_miniprogram(self) -> "WeChatMiniProgramLogin":
        from .logins.wechat_miniprogram import WeChatMiniProgramLogin

        return WeChatMiniProgramLogin(self.wechat, self.applications, self.directory, self.tokens)

    def initial_state(self, section: Any, where: str, earlier: State) -> State:
        return models.initial_state(section, where, self.wechat.appids_in(earlier), self.random)

    # --- the look-ups most callers need ---------------------------------------------------------
    def pools(self) -> List[Record]:
        return self.applications.pools()

    def apps(self) -> List[Record]:
        return self.applications.apps()

    def connections(self) -> List[Record]:
        return self.applications.connections()

    def users(self) -> List[Record]:
        return self.directory.all()

    def user_record(self, user_id: Any) -> Record:
        return self.directory.record(user_id)

    def sms_outbox(self) -> List[Dict[str, Any]]:
        return self.sms.outbox()

    def email_outbox(self) -> List[Dict[str, Any]]:
        return self.emails.outbox()
