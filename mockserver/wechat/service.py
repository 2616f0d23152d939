"""``WeChatService``: the WeChat emulation's domain, one part per capability over one repository.

Other services and the control plane reach WeChat only through this object's parts and the few
look-ups below; none of it sees Flask.
"""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ..core.store import State
from ..emulation import BuildContext
from .login import Login
from .repo import Record, WeChatRepository
from .tokens import AccessTokens
from .users import Directory

if TYPE_CHECKING:
    from .content import Content
    from .links import Links
    from .messages import Messages
    from .quotas import Quotas
    from .risk import Risk
    from .shipping import Shipping
    from .user_keys import UserKeys


class WeChatService:
    def __init__(self, context: BuildContext):
        self.repo = WeChatRepository(context.store, context.clock)
        self.directory = Directory(self.repo, context.random)
        self.login = Login(self.repo, self.directory, context.clock, context.random,
                           accept_unknown_codes=context.config.accept_unknown_codes)
        self.tokens = AccessTokens(self.repo, self.login, context.clock, context.random)
        self.clock, self.random = context.clock, context.random

    # Made, and their modules imported, on first use: each module costs ~0.3 ms of start-up.
    @cached_property
    def content(self) -> "Content":
        from .content import Content

        return Content(self.directory, self.random)

    @cached_property
    def messages(self) -> "Messages":
        from .messages import Messages

        return Messages(self.repo, self.directory, self.clock, self.random)

    @cached_property
    def quotas(self) -> "Quotas":
        from .quotas import Quotas

        return Quotas(self.repo, self.clock)

    @cached_property
    def links(self) -> "Links":
        from .links import Links

        return Links(self.repo, self.directory, self.quotas, self.clock, self.random)

    @cached_property
    def risk(self) -> "Risk":
        from .risk import Risk

        return Risk(self.directory, self.random)

    @cached_property
    def user_keys(self) -> "UserKeys":
        from .user_keys import UserKeys

        return UserKeys(self.repo, self.directory, self.login, self.clock, self.random)

    @cached_property
    def shipping(self) -> "Shipping":
        from .shipping import Shipping

        return Shipping(self.repo, self.directory, self.clock, self.random)

    def initial_state(self, section: Any, where: str) -> State:
        return self.directory.identities.initial_state(section, where)

    @staticmethod
    def appids_in(state: State) -> List[str]:
        """The mini programs a (fixture's) state holds: what another service's fixture may name."""
        return WeChatRepository.appids_in(state)

    # --- the look-ups most callers need ---------------------------------------------------------
    def app(self, appid: Any) -> Record:
        return self.directory.app(appid)

    def find_app(self, appid: Any) -> Optional[Record]:
        """The app, or None (no error)."""
        return self.repo.app(appid)

    def apps(self) -> List[Record]:
        return self.directory.apps()

    def user(self, ref: Any) -> Record:
        return self.directory.user(ref)

    def users(self) -> List[Record]:
        return self.directory.users()

    def describe_user(self, user: Record) -> Dict[str, Any]:
        return self.directory.describe(user)

    def describe_users(self, users: List[Record]) -> List[Dict[str, Any]]:
        return self.directory.describe_all(users)

    def openid(self, user: Record, appid: str) -> str:
        return self.directory.openid(user, appid)

    def session_key(self, appid: str, openid: str) -> Optional[str]:
        return self.login.session_key(appid, openid)
