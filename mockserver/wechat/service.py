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
    from .messages import Messages
    from .subscribe_templates import SubscribeTemplates
    from .subscriptions import Subscriptions
    from .wxacodes import WxaCodes


class WeChatService:
    def __init__(self, context: BuildContext):
        self.repo = WeChatRepository(context.store, context.clock)
        self.directory = Directory(self.repo, context.random)
        self.login = Login(self.repo, self.directory, context.clock, context.random,
                           accept_unknown_codes=context.config.accept_unknown_codes)
        self.tokens = AccessTokens(self.repo, context.clock, context.random)
        self.clock, self.random = context.clock, context.random

    # Made, and their modules imported, on first use: each module costs ~0.3 ms of start-up.
    @cached_property
    def content(self) -> "Content":
        from .content import Content

        return Content(self.repo, self.directory, self.clock, self.random)

    @cached_property
    def messages(self) -> "Messages":
        from .messages import Messages

        return Messages(self.repo, self.directory, self.templates, self.clock, self.random)

    @cached_property
    def templates(self) -> "SubscribeTemplates":
        from .subscribe_templates import SubscribeTemplates

        return SubscribeTemplates(self.repo, self.random)

    @cached_property
    def subscriptions(self) -> "Subscriptions":
        """Consent to subscribe messages: ``subscriptions.record_consent`` is the one entry point."""
        from .subscriptions import Subscriptions

        return Subscriptions(self.repo, self.directory, self.templates, self.clock)

    @cached_property
    def wxacodes(self) -> "WxaCodes":
        from .wxacodes import WxaCodes

        return WxaCodes(self.repo)

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
