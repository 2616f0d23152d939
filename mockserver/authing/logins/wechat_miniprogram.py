"""Logins through a pool's WeChat mini-program connection: the connection API
(authing-wxapp-sdk), v3 ``signin-by-mobile`` and the open-data decryption.

Code exchanges go through the mock's own WeChat service, so every WeChat rule (single use,
expiry, another app's code) holds here too. A WeChat identity finds its user by unionid first (one
per person across the mini programs of an Open Platform account), then by this mini program's
openid; a phone login finds the user by phone first.
"""
from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from ...core.errors import NotFound
from ...wechat import crypto
from ...wechat.errors import WeChatError
from ...wechat.login import Session, public_profile
from ...wechat.service import WeChatService
from .. import errors as E
from ..apps import Apps
from ..caller import Caller
from ..errors import AuthingError, bad_request
from ..models import wechat_gender
from ..repo import Record
from ..sms import PHONE
from ..tokens import Presented, Tokens, TokenSet
from ..users import Users, phone_fields, refuse_blocked
from .v3 import requested_scope

SOURCE = "social:wechat:miniprogram"
PROFILE_FROM_WECHAT = (("nickName", "nickname"), ("avatarUrl", "photo"), ("city", "city"),
                       ("province", "province"), ("country", "country"), ("language", "locale"))


class MiniProgramPhone(NamedTuple):
    """What ``getphone`` tells: the user's phone number and WeChat identity."""
    pure_phone: str
    country_code: str
    phone: str  # as WeChat wrote it (with +country outside China)
    openid: str
    unionid: Optional[str]


def profile_from_wechat(info: Dict[str, Any]) -> Dict[str, Any]:
    """Authing's profile fields from WeChat's user info (rawData or decrypted open data)."""
    profile = {dst: info[src] for src, dst in PROFILE_FROM_WECHAT if isinstance(info.get(src), str) and info[src]}
    if "gender" in info:
        profile["gender"] = wechat_gender(info["gender"])
    return profile


def phone_from(data: Dict[str, Any]) -> Tuple[str, str]:
    phone = data.get("purePhoneNumber") or data.get("phoneNumber")
    if not isinstance(phone, str) or not PHONE.match(phone):
        raise bad_request("微信数据中没有手机号")
    return phone, str(data.get("countryCode") or "86")


def payload(body: Dict[str, Any], name: str) -> Dict[str, Any]:
    value = body.get(name)
    if not isinstance(value, dict):
        raise bad_request(f"{name} 不能为空")
    return value


class WeChatMiniProgramLogin:
    def __init__(self, wechat: WeChatService, apps: Apps, users: Users, tokens: Tokens):
        self.wechat = wechat
        self.apps = apps
        self.users = users
        self.tokens = tokens

    # --- the connection API (authing-wxapp-sdk) ------------------------------------------------
    def login_by_code(self, caller: Caller, code: Any, iv: Any, encrypted_data: Any,
                      raw_data: Optional[Dict[str, Any]]) -> Presented:
        """``raw_data``: ``wx.getUserInfo()``'s rawData, parsed (used when no encryptedData comes)."""
        app = self.apps.app_for(caller)
        conn = self.apps.connection(app)
        session = self._exchange(conn, code)
        profile: Dict[str, Any] = {}
        if encrypted_data or iv:
            profile = profile_from_wechat(self._open_data(conn, session.session_key, iv, encrypted_data))
        elif raw_data is not None:
            profile = profile_from_wechat(raw_data)
        pending = self.tokens.pending(app)  # noted by the login's own write
        user = self._login(conn, session, profile, caller, [pending.note])
        return self.tokens.presented_pending(user, app, caller, pending)

    def login_by_phone(self, caller: Caller, code: Any, iv: Any, encrypted_data: Any) -> Presented:
        app = self.apps.app_for(caller)
        conn = self.apps.connection(app)
        session = self._exchange(conn, code)
        phone, country = phone_from(self._open_data(conn, session.session_key, iv, encrypted_data))
        user = self._login_with_phone(conn, session, phone, country, caller)
        return self.tokens.presented_with_new(user, app, caller)

    def phone(self, caller: Caller, code: Any, iv: Any, encrypted_data: Any) -> MiniProgramPhone:
        """``getphone``: the phone number of the encrypted data, and who sent it."""
        app = self.apps.app_for(caller)
        conn = self.apps.connection(app)
        session = self._exchange(conn, code)
        data = self._open_data(conn, session.session_key, iv, encrypted_data)
        phone, country = phone_from(data)
        return MiniProgramPhone(phone, country, data.get("phoneNumber") or phone, session.openid, session.unionid)

    # --- a person without a code: the OIDC provider's login_hint and persona picker ------------------
    def login_person(self, caller: Caller, app: Record, person: Record) -> Record:
        """The Authing user of a WeChat person, logged in: the one their mini-program login gives
        (found by unionid, then by openid; made on first login), with their WeChat profile."""
        if person.get("blocked"):  # their wx.login() code would be refused (40226)
            raise AuthingError(E.USER_LOCKED, "用户已被锁定")
        conn = self.apps.connection(app)
        wx_app = self.wechat.app(conn["appid"])
        # No code is exchanged, so there is no session key: only the identity is used.
        session = Session("", self.wechat.openid(person, conn["appid"]),
                          self.wechat.directory.unionid(person, wx_app))
        return self._login(conn, session, profile_from_wechat(public_profile(person)), caller)

    # --- v3 --------------------------------------------------------------------------------------
    def signin_by_mobile(self, caller: Caller, body: Dict[str, Any]) -> TokenSet:
        app = self.apps.v3_client(caller, body)
        conn = self.apps.connection(app, self._identifier(body))
        connection = body.get("connection")
        if connection == "wechat_mini_program_code":
            given = payload(body, "wechatMiniProgramCodePayload")
            session = self._exchange(conn, given.get("code"))
            profile = {}
            if given.get("encryptedData") or given.get("iv"):
                profile = profile_from_wechat(
                    self._open_data(conn, session.session_key, given.get("iv"), given.get("encryptedData")))
            user = self._login(conn, session, profile, caller)
        elif connection == "wechat_mini_program_phone":
            given = payload(body, "wechatMiniProgramPhonePayload")
            session = self._exchange(conn, given.get("code"))
            phone, country = phone_from(
                self._open_data(conn, session.session_key, given.get("iv"), given.get("encryptedData")))
            user = self._login_with_phone(conn, session, phone, country, caller)
        elif connection == "wechat_mini_program_code_and_phone":
            given = payload(body, "wechatMiniProgramCodeAndPhonePayload")
            login_info, phone_info = given.get("wxLoginInfo"), given.get("wxPhoneInfo")
            if not isinstance(login_info, dict) or not isinstance(phone_info, dict):
                raise bad_request("wxLoginInfo 和 wxPhoneInfo 不能为空")
            session = self._exchange(conn, login_info.get("code"))
            phone, country = self._phone_by_code(conn, phone_info.get("code"))
            user = self._login_with_phone(conn, session, phone, country, caller)
        else:
            raise bad_request("connection 必须是 wechat_mini_program_code、wechat_mini_program_phone "
                              "或 wechat_mini_program_code_and_phone")
        return self.tokens.token_set(user, app, caller, requested_scope(body))

    def phone_of_code(self, caller: Caller, body: Dict[str, Any]) -> Tuple[str, str]:
        """v3 ``get-wechat-miniprogram-phone``: the phone a getPhoneNumber button's code gives."""
        app = self.apps.app_for(caller)
        return self._phone_by_code(self.apps.connection(app, self._identifier(body)), body.get("code"))

    def decrypt(self, caller: Caller, body: Dict[str, Any]) -> Dict[str, Any]:
        """v3 ``decrypt-wechat-miniprogram-data``."""
        app = self.apps.app_for(caller)
        conn = self.apps.connection(app, self._identifier(body))
        session = self._exchange(conn, body.get("code"))
        return self._open_data(conn, session.session_key, body.get("iv"), body.get("encryptedData"))

    @staticmethod
    def _identifier(body: Dict[str, Any]) -> str:
        identifier = body.get("extIdpConnidentifier")
        if not isinstance(identifier, str) or not identifier:
            raise bad_request("extIdpConnidentifier 不能为空")
        return identifier

    # --- WeChat: code exchange and open data ------------------------------------------------------
    def _exchange(self, conn: Record, code: Any) -> Session:
        if not isinstance(code, str) or not code:
            raise bad_request("code 不能为空")
        wx_app = self.wechat.find_app(conn["appid"])
        secret = conn.get("secret") or (wx_app or {}).get("secret")
        try:
            return self.wechat.login.code_to_session(conn["appid"], secret, code, "authorization_code")
        except WeChatError as exc:
            raise AuthingError(E.BAD_REQUEST, f"微信登录失败：{exc.errmsg}",
                               {"errcode": exc.errcode, "errmsg": exc.errmsg}) from None

    @staticmethod
    def _open_data(conn: Record, session_key: str, iv: Any, encrypted: Any) -> Dict[str, Any]:
        if not isinstance(iv, str) or not iv or not isinstance(encrypted, str) or not encrypted:
            raise bad_request("iv 和 encryptedData 不能为空")
        try:
            data = crypto.decrypt_data(session_key, iv, encrypted)
        except crypto.DecryptError:
            raise bad_request("解密微信数据失败：encryptedData、iv 与 session_key 不匹配") from None
        watermark = data.get("watermark")
        if not isinstance(watermark, dict) or watermark.get("appid") != conn["appid"]:
            raise bad_request("解密微信数据失败：watermark 中的 appid 不是此小程序")
        return data

    def _phone_by_code(self, conn: Record, phone_code: Any) -> Tuple[str, str]:
        """The new flow: a getPhoneNumber button's code, exchanged through the WeChat emulation."""
        if not isinstance(phone_code, str) or not phone_code:
            raise bad_request("wxPhoneInfo.code 不能为空")
        try:
            number = self.wechat.login.phone_number(self.wechat.app(conn["appid"]), phone_code)
        except NotFound:
            raise bad_request("身份源的小程序不存在") from None
        except WeChatError as exc:
            raise AuthingError(E.BAD_REQUEST, f"获取微信手机号失败：{exc.errmsg}",
                               {"errcode": exc.errcode, "errmsg": exc.errmsg}) from None
        return number.phone, number.country_code

    # --- the WeChat identity and its user ------------------------------------------------------------
    @staticmethod
    def _links(conn: Record, session: Session) -> List[Tuple[str, str]]:
        """The links of a WeChat identity, strongest first: the unionid, then this mini program's openid."""
        links = [("unionid", session.unionid)] if session.unionid else []
        return links + [("openid", f"{conn['appid']}:{session.openid}")]

    @staticmethod
    def _identity(user: Record, conn: Record, session: Session) -> Dict[str, Any]:
        """The fields that record a WeChat identity on ``user`` (the stored user, read atomically)."""
        identity = {"openid": session.openid, "userIdInIdp": session.unionid or session.openid,
                    "userId": user["id"], "connectionId": conn["id"], "isSocial": True,
                    "provider": "wechat", "userPoolId": user["userPoolId"]}
        identities = [i for i in user["identities"] if i.get("connectionId") != conn["id"]]
        return {"identities": identities + [identity], "openid": session.openid,
                "unionid": session.unionid or user.get("unionid")}

    def _user_of(self, conn: Record, session: Session) -> Optional[Record]:
        for kind, value in self._links(conn, session):
            user = self.users.linked(conn["userPoolId"], kind, value)
            if user is not None:
                return user
        return None

    def _link(self, user: Record, conn: Record, session: Session) -> bool:
        """Claim the WeChat identity's links for ``user``; whether ``user`` holds them all (a
        link another user holds stays with it)."""
        return all([self.users.claim(conn["userPoolId"], kind, value, user["id"]) == user["id"]
                    for kind, value in self._links(conn, session)])

    def _login(self, conn: Record, session: Session, profile: Dict[str, Any], caller: Caller,
               issuing: Optional[List[Record]] = None) -> Record:
        """A login through the WeChat identity alone: its user (made on first login), logged in
        (``issuing``: the tokens it issues, noted in the same write)."""
        user = self._user_of(conn, session)
        if user is None:  # a concurrent first login of this person (by any route) gives its user instead
            kind, value = self._links(conn, session)[0]
            user = self.users.create(conn["userPoolId"], {}, kind, value, SOURCE)
        refuse_blocked(user)
        self._link(user, conn, session)
        return self.users.logged_in(user, caller, lambda current: {**profile, **self._identity(current, conn, session)},
                                    issuing)

    def _login_with_phone(self, conn: Record, session: Session, phone: str, country: str, caller: Caller) -> Record:
        """The user of a phone number (else of the WeChat identity, else a new one), linked to both."""
        pool = conn["userPoolId"]
        user = self.users.linked(pool, "phone", phone)
        phone_changes: Dict[str, Any] = {}  # set when this login claims the phone for a WeChat user
        if user is None:
            by_wechat = self._user_of(conn, session)
            if by_wechat is None:
                # A new person: one user holding the phone and the WeChat identity at once. A
                # concurrent first login of this person that got there first gives its user instead.
                by_wechat = self.users.create(pool, phone_fields(phone, country), "phone", phone, SOURCE,
                                              also=self._links(conn, session))
            if not by_wechat.get("phone"):  # the WeChat identity's user (maybe just made by a code login)
                user = by_wechat
                refuse_blocked(user)
                phone_changes = self.users.set_phone(user, phone, country)
            else:  # a user of this phone: the one just made, or one of its own (the WeChat user has another)
                user = self.users.create(pool, phone_fields(phone, country), "phone", phone, SOURCE)
        refuse_blocked(user)
        owner = self._user_of(conn, session)
        link = (owner is None or owner["id"] == user["id"]) and self._link(user, conn, session)

        def changes(current):
            return {**phone_changes, **(self._identity(current, conn, session) if link else {})}
        try:
            return self.users.logged_in(user, caller, changes)
        except AuthingError:
            if phone_changes:
                self.users.release(pool, "phone", phone, user["id"])
            raise
