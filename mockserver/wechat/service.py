"""``WeChatService``: the WeChat emulation's domain, one part per capability over one repository.

Other services and the control plane reach WeChat only through this object's parts and the few
look-ups below; none of it sees Flask.
"""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ..core.store import State
from ..emulation import BuildContext
from .login import Login
from .repo import Record, WeChatRepository
from .tokens import AccessTokens
from .users import Directory

if TYPE_CHECKING:
    from .content import Content
    from .customer_service import CustomerService
    from .delivery import Deliveries
    from .links import Links
    from .media import TempMedia
    from .media_check import MediaCheck
    from .messages import Messages
    from .quotas import Quotas
    from .risk import Risk
    from .shipping import Shipping
    from .subscribe_templates import SubscribeTemplates
    from .subscriptions import ConsentChange, Subscriptions
    from .user_keys import UserKeys
    from .wxacodes import WxaCodes


class WeChatService:
    def __init__(self, context: BuildContext):
        self.repo = WeChatRepository(context.store, context.clock)
        self.directory = Directory(self.repo, context.random)
        self.login = Login(self.repo, self.directory, context.clock, context.random,
                           accept_unknown_codes=context.config.accept_unknown_codes)
        self.tokens = AccessTokens(self.repo, context.clock, context.random)
        self.clock, self.random = context.clock, context.random
        self.journal = context.journal
        context.clock.on_move(self._clock_moved)

    def _clock_moved(self) -> None:
        """A move of the clock may make queued pushes due. The sender (made on first use, with a
        thread) is woken if it exists or a push is queued (maybe by another process): a run that
        never pushes does not start one at each move."""
        if "push" in self.__dict__ or self.repo.next_due(1):
            self.push.wake()

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

    @cached_property
    def push(self) -> "Deliveries":
        """Message push to the apps' backends: ``push.push(app, message, due_at)`` sends an event."""
        from .delivery import Deliveries

        return Deliveries(self.repo, self.clock, self.random, self.journal)

    @cached_property
    def media(self) -> "TempMedia":
        from .media import TempMedia

        return TempMedia(self.repo, self.clock, self.random)

    @cached_property
    def customer_service(self) -> "CustomerService":
        from .customer_service import CustomerService

        return CustomerService(self.repo, self.directory, self.media, self.push, self.clock, self.random)

    @cached_property
    def media_check(self) -> "MediaCheck":
        from .media_check import MediaCheck

        return MediaCheck(self.directory, self.push, self.clock, self.random)

    def create_app(self, fields: Any) -> Record:
        """A new app (the control plane's), its push URL verified as WeChat does."""
        return self.directory.create_app(fields, verify_push=lambda appid, push: self.push.verify(appid, push))

    def push_event(self, appid: Any, message: Dict[str, Any], due_at: Optional[float] = None,
                   user: Optional[str] = None) -> Record:
        """Push an event (built by ``push.py``: ``subscribe_popup``, ``subscribe_change``, ...) to
        the app's backend, now or when the clock passes ``due_at``; the delivery's record."""
        return self.push.push(self.app(appid), message, due_at=due_at, user=user)

    def answer_subscription(self, appid: Any, ref: Any, template_ids: Any, accept: Any = None,
                            in_settings: bool = False) -> Tuple[str, List["ConsentChange"]]:
        """A user's consent to subscribe messages, recorded (``Subscriptions.record_consent``)
        and pushed to the app's backend as WeChat does: the pop-up's answer, or (``in_settings``)
        a change made in the mini program's settings."""
        openid, changes = self.subscriptions.record_consent(appid, ref, template_ids, accept)
        self.push_consent(appid, ref, [(change.template_id, change.status) for change in changes],
                          withdrawn=in_settings)
        return openid, changes

    def push_consent(self, appid: Any, ref: Any, choices: List[Tuple[str, str]], withdrawn: bool = False) -> Record:
        """Push the user's subscribe-message consent to the app's backend: ``choices`` are
        (template id, ``accept``/``reject``) pairs, given in the pop-up
        (``subscribe_msg_popup_event``) or, ``withdrawn``, changed in the settings
        (``subscribe_msg_change_event``)."""
        from . import push as wire

        app, user = self.directory.app_and_user(appid, ref)
        openid = self.directory.openid(user, app["appid"])
        build = wire.subscribe_change if withdrawn else wire.subscribe_popup
        message = build(wire.original_id(self.random.derive, app["appid"]), openid, self.clock.now_int(), choices)
        return self.push.push(app, message, user=user["alias"])

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

        return Risk(self.repo, self.directory, self.clock, self.random)

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
