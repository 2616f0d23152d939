"""The OIDC authorization endpoint (``/oidc/auth``): checks an authorization request, logs the user
in, and answers with where the browser goes next.

- Errors before the redirect URI is known good (no or unknown ``client_id``, a ``redirect_uri`` the
  app does not accept) are shown to the user and never redirected (RFC 6749 §4.1.2.1): an
  ``AuthingError`` rendered as an OIDC error. Every later error goes back to the client, with
  ``state``, in the requested response mode: a ``Redirect`` whose params hold ``error``.
- ``login_hint`` (an alias or openid of a WeChat person, an Authing username, email or phone, or a
  person's phone) logs that user in at once, whatever ``prompt`` says. Without it the answer is a
  ``Picker``: the page that logs a fixture person in with one click — the place where a hosted
  login page plugs in: the Picker also carries the hosted page's login and register forms, whose
  posts (a ``Submission``, see ``hosted_login``) log a user in with a password or a code, or
  register one; a refused one gives the page again with its message. ``prompt=none`` without a
  hint is ``login_required``.
- Consent (``consent``): once the page's user is identified (a persona clicked, a form's login or
  registration), an app that does not skip consent, or ``prompt=consent``, gets a ``ConsentPage``
  (unless the user allowed these scopes before); its Allow (a ``Submission`` with action
  ``consent``) gives the code, Deny ``access_denied``. A bare ``login_hint`` stands for the user
  clicking through every page: it allows on their behalf — but with ``prompt=none`` no consent may be
  implied: ``consent_required`` when one is needed.
- A person logs in as the Authing user of their mini-program login (``login_person``): one person,
  one Authing user in a pool.
- The code is single use, lives ``codeLifetime`` seconds of the mock's clock, and is bound to the
  client, the redirect URI, the scope, the nonce and the PKCE challenge (see ``oidc_grants``).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, Dict, List, NamedTuple, Optional

from ..core.clock import Clock
from ..core.errors import NotFound
from ..core.ids import URLSAFE, RandomSource
from ..wechat.service import WeChatService
from .apps import Apps
from .caller import Caller
from .consent import DECISIONS, ConsentPage, Consents, requested_lines
from .errors import AuthingError
from .oidc_clients import invalid_request, uri_allowed
from .repo import AuthingRepository, Record
from .scopes import granted_scope
from .users import Users

if TYPE_CHECKING:
    from .hosted_login import HostedLogin, Submission
    from .logins.wechat_miniprogram import WeChatMiniProgramLogin

RESPONSE_MODES = ("query", "fragment", "form_post")
PROMPTS = {"none", "login", "consent", "select_account"}
CODE_CHALLENGE_METHODS = ("S256", "plain")
CODE_CHALLENGE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
#: Where a login_hint is looked for among the pool's Authing users, in this order.
HINT_LINKS = ("username", "email", "phone")
#: The hidden field the picker's persona buttons add to ``login_hint``: a click on the page, not a CI hint.
PICKED = "mock_picked"
CONSENT_ACTION = "consent"


class Redirect(NamedTuple):
    """Send the browser to ``uri`` with ``params``, in ``mode`` (query, fragment or form_post)."""
    uri: str
    mode: str
    params: Dict[str, str]


class Persona(NamedTuple):
    alias: str
    nickname: str


class Picker(NamedTuple):
    """The login page: one button per person (each sends the request again with their login_hint),
    and the login and register forms; ``error`` or ``notice`` after a submission, whose contact
    fields ``refill`` gives back."""
    app: Record
    personas: List[Persona]
    params: Dict[str, str]
    error: Optional[str] = None
    notice: Optional[str] = None
    refill: Dict[str, str] = {}


class Refused(Exception):
    """An authorization error that goes back to the client (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6)."""

    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error = error
        self.description = description


class Authorization:
    def __init__(self, repo: AuthingRepository, apps: Apps, users: Users, wechat: WeChatService, clock: Clock,
                 random: RandomSource, miniprogram: Callable[[], "WeChatMiniProgramLogin"],
                 hosted: Callable[[], "HostedLogin"]):
        self.repo = repo
        self.apps = apps
        self.users = users
        self.wechat = wechat
        self.clock = clock
        self.random = random
        self.miniprogram = miniprogram
        self.hosted = hosted
        self.consents = Consents(repo, clock, random)

    def authorize(self, caller: Caller, params: Dict[str, str], repeated: List[str],
                  prefixed_app: Optional[str] = None, submission: Optional["Submission"] = None) -> Any:
        """A ``Redirect`` (code or error) or a ``Picker``; ``AuthingError`` when not redirectable.
        ``submission``: what the hosted page's forms posted."""
        app = self._client(params, repeated, prefixed_app)
        params = dict(params)
        picked = params.pop(PICKED, None) is not None
        repeated = [name for name in repeated if name != PICKED]
        redirect_uri = params["redirect_uri"]
        mode = params.get("response_mode", "query")
        state = {"state": params["state"]} if "state" in params and "state" not in repeated else {}
        try:
            if mode not in RESPONSE_MODES:
                mode = "query"
                raise Refused("invalid_request", "response_mode must be query, fragment or form_post")
            if repeated:
                raise Refused("invalid_request", f"parameters must not be provided twice: {', '.join(repeated)}")
            scope = self._checked(app, params)
            prompts = set(params.get("prompt", "").split())
            hint = params.get("login_hint")
            decided = True  # whether consent is settled once the user is known
            if submission is not None and submission.action == CONSENT_ACTION:
                user = self._decided(app, params, scope, submission)
            elif submission is not None:
                user, decided = self._submitted(caller, app, params, submission), False
            elif hint is None:
                if "none" in prompts:
                    raise Refused("login_required", "prompt=none: the user must log in, and no login_hint was given")
                return Picker(app, self.personas(), params)
            else:
                user, decided = self._login(app, hint, caller), not picked
                if decided:
                    self._implied_consent(app, user, scope, prompts)
            if not isinstance(user, dict):
                return user  # a page again
            if not decided and self.consents.needed(app, user, scope, prompts):
                return self.consents.ask(app, user, redirect_uri, scope, params)
        except Refused as refused:
            return Redirect(redirect_uri, mode, {"error": refused.error, "error_description": refused.description,
                                                 **state})
        return Redirect(redirect_uri, mode, {"code": self._code(app, user, redirect_uri, scope, params), **state})

    def personas(self) -> List[Persona]:
        """Every WeChat person, those the control plane created later too."""
        return [Persona(user["alias"], user.get("nickname") or "") for user in self.wechat.users()]

    # --- the checks ---------------------------------------------------------------------------
    def _client(self, params: Dict[str, str], repeated: List[str], prefixed_app: Optional[str]) -> Record:
        """The app and redirect URI, checked before anything may be redirected."""
        for name in ("client_id", "redirect_uri"):
            if name in repeated:
                raise invalid_request(f"'{name}' parameter must not be provided twice")
            if name not in params:
                raise invalid_request(f"missing required parameter '{name}'")
        app = self.apps.find(params["client_id"])
        if app is None or (prefixed_app is not None and app["id"] != prefixed_app):
            raise invalid_request("client_id names no app here")
        if not uri_allowed(params["redirect_uri"], app["redirectUris"]):
            raise invalid_request("redirect_uri is not one of the app's redirect URIs")
        return app

    @staticmethod
    def _checked(app: Record, params: Dict[str, str]) -> str:
        """The request's other parameters (errors go back by redirect); the scope granted."""
        response_type = params.get("response_type")
        if response_type is None:
            raise Refused("invalid_request", "missing required parameter 'response_type'")
        if response_type != "code":
            raise Refused("unsupported_response_type", "only response_type=code is supported")
        if "authorization_code" not in app["grantTypes"]:
            raise Refused("unauthorized_client", "the app does not allow the authorization_code grant")
        scope = granted_scope(params.get("scope", ""))
        if "openid" not in scope.split():
            raise Refused("invalid_scope", "openid scope must be requested")
        if not set(params.get("prompt", "").split()) <= PROMPTS:
            raise Refused("invalid_request", "prompt must be none, login, consent or select_account")
        challenge, method = params.get("code_challenge"), params.get("code_challenge_method")
        if method is not None and challenge is None:
            raise Refused("invalid_request", "code_challenge_method given without code_challenge")
        if method is not None and method not in CODE_CHALLENGE_METHODS:
            raise Refused("invalid_request", "code_challenge_method must be S256 or plain")
        if challenge is not None and not CODE_CHALLENGE.match(challenge):
            raise Refused("invalid_request", "code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]")
        return scope

    # --- who logs in ------------------------------------------------------------------------------
    def _login(self, app: Record, hint: str, caller: Caller) -> Record:
        try:
            person = self._person(hint)
            if person is not None:
                return self.miniprogram().login_person(caller, app, person)
            user = next((found for kind in HINT_LINKS
                         if (found := self.users.linked(app["userPoolId"], kind, hint)) is not None), None)
            if user is None:
                person = next((p for p in self.wechat.users() if p.get("phone") == hint), None)
                if person is None:
                    raise Refused("access_denied", "login_hint names no user of this user pool")
                return self.miniprogram().login_person(caller, app, person)
            return self.users.logged_in(user, caller, lambda current: {})
        except AuthingError as exc:
            raise Refused("access_denied", exc.message) from None

    def _submitted(self, caller: Caller, app: Record, params: Dict[str, str], submission: "Submission") -> Any:
        """The user the hosted page's submission logs in, or the page again (with why, or a notice)."""
        from .hosted_login import REFILLED, CodeSent

        refill = {name: submission.fields[name] for name in REFILLED if submission.fields.get(name)}
        try:
            return self.hosted().submit(caller, app, submission)
        except CodeSent as sent:
            return Picker(app, self.personas(), params, notice=sent.notice, refill=refill)
        except AuthingError as exc:
            return Picker(app, self.personas(), params, error=exc.message, refill=refill)

    def _implied_consent(self, app: Record, user: Record, scope: str, prompts: set) -> None:
        """A bare login_hint allows what is asked on the user's behalf; prompt=none implies nothing."""
        if not self.consents.needed(app, user, scope, prompts):
            return
        if "none" in prompts:
            raise Refused("consent_required", "prompt=none: the user has not allowed this app these scopes")
        self.consents.remember(user, app, scope)

    def _decided(self, app: Record, params: Dict[str, str], scope: str, submission: "Submission") -> Any:
        """The consent page's decision: the user (Allow), ``access_denied`` (Deny), or a page again."""
        ticket, decision = submission.fields.get("mock_consent", ""), submission.fields.get("decision")
        redirect_uri = params["redirect_uri"]
        if not submission.trusted:
            return Picker(app, self.personas(), params, error="页面已失效，请刷新后重试")
        asked = self.consents.asked(ticket, app, redirect_uri, scope)
        if asked is None:
            return Picker(app, self.personas(), params, error="授权页面已过期，请重新登录")
        user = self.repo.user(asked["userId"])
        if user is None:
            return Picker(app, self.personas(), params, error="用户不存在，请重新登录")
        if decision not in DECISIONS:
            return ConsentPage(app, user, requested_lines(params.get("scope", "")), ticket, params,
                               error="请选择允许或拒绝")
        if self.consents.take(ticket, app, redirect_uri, scope) is None:
            return Picker(app, self.personas(), params, error="授权页面已过期，请重新登录")
        if decision == "deny":
            raise Refused("access_denied", "the user denied the authorization request")
        self.consents.remember(user, app, scope)
        return user

    def _person(self, hint: str) -> Optional[Record]:
        try:
            return self.wechat.user(hint)  # an alias, or any of the person's openids
        except NotFound:
            return None

    def _code(self, app: Record, user: Record, redirect_uri: str, scope: str, params: Dict[str, str]) -> str:
        code = self.random.chars(43, URLSAFE)
        now = self.clock.now()
        challenge = params.get("code_challenge")
        self.repo.put_authorization_code(code, {
            "appId": app["id"], "userId": user["id"], "redirectUri": redirect_uri, "scope": scope,
            "nonce": params.get("nonce"), "codeChallenge": challenge,
            "codeChallengeMethod": params.get("code_challenge_method", "plain") if challenge else None,
            "issuedAt": now, "expiresAt": now + app["codeLifetime"], "usedAt": None})
        return code
