"""The rules of the Authing emulation: logins through the WeChat mini-program connection, tokens,
profiles, SMS codes, logout.

Methods take plain values and a ``Caller`` (what the request said about itself), never
``flask.request``; they raise ``AuthingError`` (rendered per API family by the routes) and
``ControlError`` for control-plane misuse. Time is the injected clock, randomness the injected
source, state the store; WeChat code exchanges go through the mock's own WeChat service, so every
WeChat rule (single use, expiry, another app's code) holds here too.
"""
from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from ..core.clock import Clock
from ..core.errors import ControlError, NotFound
from ..core.ids import RandomSource
from ..core.store import UNCHANGED, Store
from ..wechat import crypto
from ..wechat.errors import WeChatError
from ..wechat.service import WeChatService
from . import errors as E
from .errors import AuthingError, bad_request
from .models import (CONNECTION_TYPE, MAX_TOKEN_LIFETIME, PROFILE_FIELDS, PROTECTED_FIELDS, initial_state, iso,
                     new_user, wechat_gender)
from .tokens import SigningKey, TokenCodec, TokenRejected, Verified

SMS_CODE_TTL = 300
PHONE = re.compile(r"^\+?\d{5,15}$")
FOLDER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SOURCE_MINIPROGRAM = "social:wechat:miniprogram"
V3_SCOPE = "openid profile phone email"

#: The rejection of a token, per reason, as Authing words it.
REJECTIONS = {
    "expired": (E.TOKEN_EXPIRED, "登录信息已过期"),
    "revoked": (E.TOKEN_INVALID, "token 已失效，请重新登录"),
    "audience": (E.TOKEN_INVALID, "token 不属于此应用"),
    "invalid": (E.TOKEN_INVALID, "token 不合法"),
}


@dataclass
class Caller:
    """What a request tells about its sender."""
    app_id: Optional[str] = None
    pool_id: Optional[str] = None
    token: Optional[str] = None
    ip: Optional[str] = None
    base_url: str = ""  # scheme://host[:port] the client used (or --public-url)

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/oidc"


class AuthingService:
    def __init__(self, store: Store, clock: Clock, random: RandomSource, wechat: WeChatService,
                 signing_key: SigningKey):
        self.store = store
        self.clock = clock
        self.random = random
        self.wechat = wechat
        self.codec = TokenCodec(signing_key, clock.now, self._app_by_id,
                                lambda jti: self.store.get("authing.revoked", jti) is not None)

    def initial_state(self, fixture: Dict[str, Any]):
        return initial_state(fixture, self.random)

    # --- pools, apps, connections -----------------------------------------------------------
    def _app_by_id(self, app_id: Any) -> Optional[Dict[str, Any]]:
        """The app of an id a client sent (anything JSON can hold: only a string can name one)."""
        return self.store.get("authing.apps", app_id) if isinstance(app_id, str) else None

    def pools(self) -> List[Dict[str, Any]]:
        return self.store.values("authing.pools")

    def apps(self) -> List[Dict[str, Any]]:
        return self.store.values("authing.apps")

    def connections(self) -> List[Dict[str, Any]]:
        return self.store.values("authing.conns")

    def app_for(self, caller: Caller) -> Dict[str, Any]:
        """The app a request is for: its app id, else the first app of its user pool."""
        if caller.app_id:
            app = self._app_by_id(caller.app_id)
            if app is None:
                raise AuthingError(E.APP_NOT_FOUND, "应用不存在")
            if caller.pool_id and caller.pool_id != app["userPoolId"]:
                raise AuthingError(E.APP_NOT_FOUND, "应用不属于此用户池")
            return app
        if caller.pool_id:
            if not isinstance(caller.pool_id, str) or self.store.get("authing.pools", caller.pool_id) is None:
                raise AuthingError(E.POOL_NOT_FOUND, "用户池不存在")
            for app in self.apps():
                if app["userPoolId"] == caller.pool_id:
                    return app
        raise AuthingError(E.APP_NOT_FOUND, "应用不存在：请提供应用 ID（x-authing-app-id）")

    def _connection(self, app: Dict[str, Any], identifier: Optional[str] = None) -> Dict[str, Any]:
        name = identifier if identifier is not None else app.get("connection")
        conn = self.store.get("authing.conns", f"{app['userPoolId']}:{name}") if isinstance(name, str) else None
        if conn is None or conn["type"] != CONNECTION_TYPE:
            if identifier is not None:
                raise bad_request(f"身份源连接 {identifier!r} 不存在")
            raise bad_request("应用未配置微信小程序身份源")
        return conn

    # --- WeChat: code exchange and open data ------------------------------------------------
    def _exchange(self, conn: Dict[str, Any], code: Any) -> Dict[str, Any]:
        if not isinstance(code, str) or not code:
            raise bad_request("code 不能为空")
        wx_app = self.store.get("wx.apps", conn["appid"])
        secret = conn.get("secret") or (wx_app or {}).get("secret")
        try:
            return self.wechat.code_to_session(conn["appid"], secret, code, "authorization_code")
        except WeChatError as exc:
            raise AuthingError(E.BAD_REQUEST, f"微信登录失败：{exc.errmsg}",
                               {"errcode": exc.errcode, "errmsg": exc.errmsg}) from None

    def _open_data(self, conn: Dict[str, Any], session_key: str, iv: Any, encrypted: Any) -> Dict[str, Any]:
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

    def _phone_from(self, data: Dict[str, Any]) -> Tuple[str, str]:
        phone = data.get("purePhoneNumber") or data.get("phoneNumber")
        if not isinstance(phone, str) or not PHONE.match(phone):
            raise bad_request("微信数据中没有手机号")
        return phone, str(data.get("countryCode") or "86")

    def _phone_by_code(self, conn: Dict[str, Any], phone_code: Any) -> Tuple[str, str]:
        """The new flow: a getPhoneNumber button's code, exchanged through the WeChat emulation."""
        if not isinstance(phone_code, str) or not phone_code:
            raise bad_request("wxPhoneInfo.code 不能为空")
        try:
            answer = self.wechat.phone_number(self.wechat.app(conn["appid"]), {"code": phone_code})
        except NotFound:
            raise bad_request("身份源的小程序不存在") from None
        except WeChatError as exc:
            raise AuthingError(E.BAD_REQUEST, f"获取微信手机号失败：{exc.errmsg}",
                               {"errcode": exc.errcode, "errmsg": exc.errmsg}) from None
        return self._phone_from(answer["phone_info"])

    @staticmethod
    def _profile_from_wechat(info: Dict[str, Any]) -> Dict[str, Any]:
        profile = {}
        for src, dst in (("nickName", "nickname"), ("avatarUrl", "photo"), ("city", "city"),
                         ("province", "province"), ("country", "country"), ("language", "locale")):
            if isinstance(info.get(src), str) and info[src]:
                profile[dst] = info[src]
        if "gender" in info:
            profile["gender"] = wechat_gender(info["gender"])
        return profile

    # --- users --------------------------------------------------------------------------------
    # Links (unionid, openid, phone, username → user id) are claimed atomically; a user is stored
    # before any link points at it, so whoever reads a link finds its user. Every check that can
    # refuse a request runs before its first write, and a write whose request still fails is undone.
    def _link_key(self, pool_id: str, kind: str, value: str) -> str:
        return f"{pool_id}:{kind}:{value}"

    def _linked_user(self, pool_id: str, kind: str, value: Optional[str]) -> Optional[Dict[str, Any]]:
        if not value:
            return None
        user_id = self.store.get("authing.links", self._link_key(pool_id, kind, value))
        return self.store.get("authing.users", user_id) if user_id else None

    def _claim(self, pool_id: str, kind: str, value: str, user_id: str) -> str:
        """Point a link at ``user_id`` unless it points elsewhere; who holds it afterwards."""
        return self.store.update("authing.links", self._link_key(pool_id, kind, value),
                                 lambda cur: (UNCHANGED, cur) if cur else (user_id, user_id))

    def _release(self, pool_id: str, kind: str, value: str, user_id: str) -> None:
        """Drop a link if it still points at ``user_id`` (a claim undone, a value given up)."""
        self.store.update("authing.links", self._link_key(pool_id, kind, value),
                          lambda cur: (None, None) if cur == user_id else (UNCHANGED, None))

    def _create_user(self, pool_id: str, fields: Dict[str, Any], kind: str, value: str) -> Dict[str, Any]:
        """A new user holding the link ``kind:value`` — or, when a concurrent request claimed that
        link first, the user it created (ours is deleted again: two requests, one user)."""
        user = new_user(self.random.object_id(), pool_id, self.clock.now(), SOURCE_MINIPROGRAM)
        user.update(fields)
        self.store.put("authing.users", user["id"], user)
        holder = self._claim(pool_id, kind, value, user["id"])
        if holder == user["id"]:
            return user
        self.store.delete("authing.users", user["id"])
        winner = self.store.get("authing.users", holder)
        if winner is None:  # only a reset of the state between two steps gets here
            raise AuthingError(E.USER_NOT_FOUND, "用户不存在")
        return winner

    @staticmethod
    def _wechat_identity(user: Dict[str, Any], conn: Dict[str, Any], session: Dict[str, Any]) -> Dict[str, Any]:
        """The fields that record a WeChat identity on ``user`` (the stored user, read atomically)."""
        identity = {"openid": session["openid"], "userIdInIdp": session.get("unionid") or session["openid"],
                    "userId": user["id"], "connectionId": conn["id"], "isSocial": True,
                    "provider": "wechat", "userPoolId": user["userPoolId"]}
        identities = [i for i in user["identities"] if i.get("connectionId") != conn["id"]]
        return {"identities": identities + [identity], "openid": session["openid"],
                "unionid": session.get("unionid") or user.get("unionid")}

    @staticmethod
    def _wechat_links(conn: Dict[str, Any], session: Dict[str, Any]) -> List[Tuple[str, str]]:
        """The links of a WeChat identity, strongest first: the unionid (one per person across the
        mini programs of an Open Platform account), then this mini program's openid."""
        links = [("unionid", session["unionid"])] if session.get("unionid") else []
        return links + [("openid", f"{conn['appid']}:{session['openid']}")]

    def _user_by_wechat(self, conn: Dict[str, Any], session: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """Find the user of a WeChat identity: unionid first, then this mini program's openid."""
        for kind, value in self._wechat_links(conn, session):
            user = self._linked_user(conn["userPoolId"], kind, value)
            if user is not None:
                return user
        return None

    def _link_wechat(self, user: Dict[str, Any], conn: Dict[str, Any], session: Dict[str, Any]) -> None:
        for kind, value in self._wechat_links(conn, session):
            self._claim(conn["userPoolId"], kind, value, user["id"])

    def _find_or_create_wechat_user(self, conn: Dict[str, Any], session: Dict[str, Any]) -> Dict[str, Any]:
        user = self._user_by_wechat(conn, session)
        if user is not None:
            return user
        kind, value = self._wechat_links(conn, session)[0]
        return self._create_user(conn["userPoolId"], {}, kind, value)

    def _login_wechat(self, conn: Dict[str, Any], session: Dict[str, Any], profile: Dict[str, Any],
                      caller: Caller) -> Dict[str, Any]:
        """A login through the WeChat identity alone: its user (made on first login), logged in."""
        user = self._find_or_create_wechat_user(conn, session)
        self._refuse_blocked(user)
        self._link_wechat(user, conn, session)
        return self._logged_in(user, caller, lambda current: {**profile, **self._wechat_identity(current, conn, session)})

    def _save(self, user: Dict[str, Any], changes: Union[Dict[str, Any], Callable[[Dict[str, Any]], Dict[str, Any]]],
              counters: Tuple[str, ...] = ()) -> Dict[str, Any]:
        """Apply ``changes`` (or ``changes(stored user)``, and +1 to each of ``counters``) to the
        stored user in one atomic step, so that concurrent saves of the same user lose nothing.
        ``changes`` may raise ``AuthingError``: nothing is written then."""
        def apply(current):
            if current is None:
                raise AuthingError(E.USER_NOT_FOUND, "用户不存在")
            fields = changes(current) if callable(changes) else changes
            counted = {name: (current.get(name) or 0) + 1 for name in counters}
            saved = {**current, **fields, **counted, "updatedAt": iso(self.clock.now())}
            return saved, saved
        return self.store.update("authing.users", user["id"], apply)

    @staticmethod
    def _refuse_blocked(user: Dict[str, Any]) -> None:
        if user.get("blocked"):
            raise AuthingError(E.USER_LOCKED, "用户已被锁定")

    def _logged_in(self, user: Dict[str, Any], caller: Caller,
                   changes: Callable[[Dict[str, Any]], Dict[str, Any]]) -> Dict[str, Any]:
        """Record a login: ``changes(stored user)``, the time, the address and the count; a user
        the control plane blocked is refused (checked again atomically)."""
        now = self.clock.now()

        def login(current):
            self._refuse_blocked(current)
            return {**changes(current), "lastLogin": iso(now), "lastIP": caller.ip}
        return self._save(user, login, counters=("loginsCount",))

    def _set_phone(self, user: Dict[str, Any], phone: str, country_code: str) -> Dict[str, Any]:
        """Claim ``phone`` for ``user`` (2035 if another user holds it); the fields to save."""
        holder = self._claim(user["userPoolId"], "phone", phone, user["id"])
        if holder != user["id"]:
            raise AuthingError(E.PHONE_BOUND, "手机号已被绑定")
        return _phone_fields(phone, country_code)

    # --- tokens -------------------------------------------------------------------------------
    def _issue(self, user: Dict[str, Any], app: Dict[str, Any], issuer: str,
               lifetime: Optional[int] = None) -> Tuple[str, Dict[str, Any]]:
        """A user's id token (``user.token``), with the claims Authing puts in it."""
        now = int(self.clock.now())
        claims = {
            "sub": user["id"], "aud": app["id"], "iss": issuer, "iat": now,
            "exp": now + (lifetime or app["tokenLifetime"]), "jti": self.random.hex(24),
            "name": user.get("name"), "nickname": user.get("nickname"), "picture": user.get("photo"),
            "gender": user.get("gender") or "U", "phone_number": user.get("phone"),
            "phone_number_verified": bool(user.get("phoneVerified")), "email": user.get("email"),
            "email_verified": bool(user.get("emailVerified")), "preferred_username": user.get("preferredUsername"),
            "given_name": user.get("givenName"), "family_name": user.get("familyName"),
            "birthdate": user.get("birthdate"), "locale": user.get("locale"), "updated_at": user.get("updatedAt"),
            "userpool_id": user["userPoolId"],
            "data": {"type": "user", "userPoolId": user["userPoolId"], "appId": app["id"], "id": user["id"],
                     "userId": user["id"], "_id": user["id"], "phone": user.get("phone"),
                     "email": user.get("email"), "username": user.get("username"),
                     "unionid": user.get("unionid"), "openid": user.get("openid"), "clientId": app["id"]},
        }
        return self.codec.sign(claims, app), claims

    def _access_token(self, user: Dict[str, Any], app: Dict[str, Any], issuer: str) -> Tuple[str, Dict[str, Any]]:
        now = int(self.clock.now())
        claims = {"jti": self.random.hex(24), "sub": user["id"], "iat": now, "exp": now + app["tokenLifetime"],
                  "scope": V3_SCOPE, "iss": issuer, "aud": app["id"]}
        return self.codec.sign(claims, app), claims

    def _verify(self, token: Optional[str], app_id: Optional[str]) -> Verified:
        if not token:
            raise AuthingError(E.NOT_LOGGED_IN, "尚未登录，无权限访问此请求")
        try:
            return self.codec.verify(token, audience=app_id)
        except TokenRejected as exc:
            code, message = REJECTIONS[exc.reason]
            raise AuthingError(code, message, oidc_error="invalid_token") from None

    def authenticated(self, caller: Caller) -> Tuple[Dict[str, Any], Verified]:
        """The logged-in user of a request (its bearer token, checked everywhere the same way)."""
        verified = self._verify(caller.token, caller.app_id)
        user = self.store.get("authing.users", verified.claims["sub"])
        if user is None:
            raise AuthingError(E.USER_NOT_FOUND, "用户不存在")
        self._refuse_blocked(user)
        return user, verified

    @staticmethod
    def present(user: Dict[str, Any], token: Optional[str], exp: Optional[float]) -> Dict[str, Any]:
        """A user as the v2 API and GraphQL return it to its own client: with its token."""
        shown = {k: v for k, v in user.items() if k != "customData"}
        shown["token"] = token
        shown["tokenExpiredAt"] = iso(exp) if exp else None
        return shown

    def _with_new_token(self, user: Dict[str, Any], app: Dict[str, Any], caller: Caller) -> Dict[str, Any]:
        token, claims = self._issue(user, app, caller.issuer)
        return self.present(user, token, claims["exp"])

    def _with_presented_token(self, user: Dict[str, Any], verified: Verified, caller: Caller) -> Dict[str, Any]:
        return self.present(user, caller.token, verified.claims["exp"])

    # --- the mini-program connection (authing-wxapp-sdk) -----------------------------------
    def login_by_code(self, caller: Caller, body: Dict[str, Any]) -> Dict[str, Any]:
        app = self.app_for(caller)
        conn = self._connection(app)
        session = self._exchange(conn, body.get("code"))
        profile: Dict[str, Any] = {}
        if body.get("encryptedData") or body.get("iv"):
            profile = self._profile_from_wechat(
                self._open_data(conn, session["session_key"], body.get("iv"), body.get("encryptedData")))
        elif isinstance(body.get("rawData"), dict):  # the route parsed the JSON string
            profile = self._profile_from_wechat(body["rawData"])
        user = self._login_wechat(conn, session, profile, caller)
        return self._with_new_token(user, app, caller)

    def login_by_phone(self, caller: Caller, body: Dict[str, Any]) -> Dict[str, Any]:
        app = self.app_for(caller)
        conn = self._connection(app)
        session = self._exchange(conn, body.get("code"))
        phone, country = self._phone_from(
            self._open_data(conn, session["session_key"], body.get("iv"), body.get("encryptedData")))
        user = self._login_with_phone(conn, session, phone, country, caller)
        return self._with_new_token(user, app, caller)

    def _login_with_phone(self, conn, session, phone: str, country: str, caller: Caller) -> Dict[str, Any]:
        """The user of a phone number (else of the WeChat identity, else a new one), linked to both."""
        pool = conn["userPoolId"]
        user = self._linked_user(pool, "phone", phone)
        phone_changes: Dict[str, Any] = {}  # set when this login claims the phone for a WeChat user
        if user is None:
            by_wechat = self._user_by_wechat(conn, session)
            if by_wechat is not None and not by_wechat.get("phone"):
                user = by_wechat
                self._refuse_blocked(user)
                phone_changes = self._set_phone(user, phone, country)
            else:  # a concurrent login that claimed the phone first gives its user instead
                user = self._create_user(pool, _phone_fields(phone, country), "phone", phone)
        self._refuse_blocked(user)
        owner = self._user_by_wechat(conn, session)
        link = owner is None or owner["id"] == user["id"]
        if link:
            self._link_wechat(user, conn, session)

        def changes(current):
            return {**phone_changes, **(self._wechat_identity(current, conn, session) if link else {})}
        try:
            return self._logged_in(user, caller, changes)
        except AuthingError:
            if phone_changes:
                self._release(pool, "phone", phone, user["id"])
            raise

    def get_phone(self, caller: Caller, body: Dict[str, Any]) -> Dict[str, Any]:
        app = self.app_for(caller)
        conn = self._connection(app)
        session = self._exchange(conn, body.get("code"))
        data = self._open_data(conn, session["session_key"], body.get("iv"), body.get("encryptedData"))
        phone, country = self._phone_from(data)
        return {"countryCode": country, "phoneNumber": data.get("phoneNumber") or phone, "purePhoneNumber": phone,
                "openid": session["openid"], "unionid": session.get("unionid")}

    # --- v2: users, phone, sms, logout, upload ---------------------------------------------------
    def me(self, caller: Caller) -> Dict[str, Any]:
        user, verified = self.authenticated(caller)
        return self._with_presented_token(user, verified, caller)

    def user(self, caller: Caller, user_id: Optional[str]) -> Dict[str, Any]:
        user, verified = self.authenticated(caller)
        if user_id and user_id != user["id"]:
            raise AuthingError(E.NO_PERMISSION, "无权限执行此项操作")
        return self._with_presented_token(user, verified, caller)

    def update_user(self, caller: Caller, user_id: Optional[str], changes: Any) -> Dict[str, Any]:
        user, verified = self.authenticated(caller)
        if user_id and user_id != user["id"]:
            raise AuthingError(E.NO_PERMISSION, "无权限执行此项操作")
        user = self._save_profile(user, self._checked_profile(changes, "input"))
        return self._with_presented_token(user, verified, caller)

    @staticmethod
    def _checked_profile(changes: Any, where: str) -> Dict[str, Any]:
        """Profile changes a user may make, checked; writes nothing."""
        if not isinstance(changes, dict):
            raise bad_request(f"{where} 必须是对象")
        changes = {k: v for k, v in changes.items() if v is not None}
        protected = sorted(set(changes) & PROTECTED_FIELDS)
        if protected:
            raise AuthingError(E.NOT_ALLOWED_FIELD, f"用户无权限修改此项内容：{', '.join(protected)}")
        unknown = sorted(set(changes) - PROFILE_FIELDS - {"customData"})
        if unknown:
            raise bad_request(f"不支持的字段：{', '.join(unknown)}")
        for key, value in changes.items():
            if key == "customData":
                if not isinstance(value, dict):
                    raise bad_request("customData 必须是对象")
            elif not isinstance(value, str):
                raise bad_request(f"{key} 必须是字符串")
        if "gender" in changes and changes["gender"] not in ("M", "F", "U"):
            raise bad_request("gender 只能是 M、F 或 U")
        return changes

    def _save_profile(self, user: Dict[str, Any], changes: Dict[str, Any]) -> Dict[str, Any]:
        """Save checked profile changes. A new username is claimed first (2034 when another user
        holds it; released again if the save fails); the old one is given up once saved, also when
        the new one is empty."""
        pool, old_name, new_name = user["userPoolId"], user.get("username"), changes.get("username")
        renamed = "username" in changes and new_name != old_name
        if renamed and new_name and self._claim(pool, "username", new_name, user["id"]) != user["id"]:
            raise AuthingError(E.USERNAME_TAKEN, "用户名已存在")

        def merged(current):
            if "customData" not in changes:
                return changes
            return {**changes, "customData": {**(current.get("customData") or {}), **changes["customData"]}}
        try:
            saved = self._save(user, merged)
        except AuthingError:
            if renamed and new_name:
                self._release(pool, "username", new_name, user["id"])
            raise
        if renamed and old_name:
            self._release(pool, "username", old_name, user["id"])
        return saved

    def check_login_status(self, caller: Caller, token: Optional[str]) -> Dict[str, Any]:
        token = token or caller.token
        try:
            verified = self._verify(token, caller.app_id)
        except AuthingError as exc:
            return {"code": exc.code, "message": exc.message, "status": False, "exp": None, "iat": None, "data": None}
        user = self.store.get("authing.users", verified.claims["sub"])
        if user is None:
            return {"code": E.USER_NOT_FOUND, "message": "用户不存在", "status": False, "exp": None, "iat": None,
                    "data": None}
        return {"code": 200, "message": "已登录", "status": True, "exp": verified.claims["exp"],
                "iat": verified.claims["iat"],
                "data": {"id": user["id"], "userPoolId": user["userPoolId"], "arn": user["arn"]}}

    def refresh_token(self, caller: Caller, user_id: Optional[str]) -> Dict[str, Any]:
        user, verified = self.authenticated(caller)
        if user_id and user_id != user["id"]:
            raise AuthingError(E.NO_PERMISSION, "无权限执行此项操作")
        token, claims = self._issue(user, verified.app, caller.issuer)
        return {"token": token, "iat": claims["iat"], "exp": claims["exp"]}

    def send_sms(self, caller: Caller, phone: Any) -> Dict[str, Any]:
        pool_id = caller.pool_id or self.app_for(caller)["userPoolId"]
        if self.store.get("authing.pools", pool_id) is None:
            raise AuthingError(E.POOL_NOT_FOUND, "用户池不存在")
        phone = _phone(phone)
        now = self.clock.now()
        record = {"id": self.random.object_id(), "userPoolId": pool_id, "phone": phone,
                  "code": f"{self.random.integer(0, 999999):06d}", "sentAt": now, "expiresAt": now + SMS_CODE_TTL,
                  "usedAt": None}
        self.store.put("authing.sms", record["id"], record)
        self.store.put("authing.sms.latest", f"{pool_id}:{phone}", record["id"])
        return {"code": 200, "message": "发送成功"}

    def _take_sms_code(self, pool_id: str, phone: str, code: Any) -> None:
        """The newest code sent to ``phone`` must match, be unused and unexpired; it is then used up."""
        newest = self.store.get("authing.sms.latest", f"{pool_id}:{phone}")
        if newest is None or not isinstance(code, str):
            raise AuthingError(E.BAD_VERIFY_CODE, "验证码不正确")
        now = self.clock.now()

        def take(record):
            if record is None or record["usedAt"] is not None or record["code"] != code:
                return UNCHANGED, "bad"
            if now >= record["expiresAt"]:
                return UNCHANGED, "expired"
            return {**record, "usedAt": now}, "ok"

        outcome = self.store.update("authing.sms", newest, take)
        if outcome == "expired":
            raise AuthingError(E.BAD_VERIFY_CODE, "验证码已过期")
        if outcome != "ok":
            raise AuthingError(E.BAD_VERIFY_CODE, "验证码不正确")

    def bind_phone(self, caller: Caller, phone: Any, phone_code: Any) -> Dict[str, Any]:
        user, verified = self.authenticated(caller)
        phone = _phone(phone)
        if user.get("phone"):
            raise AuthingError(E.PHONE_BOUND, "用户已绑定手机号")
        holder = self._linked_user(user["userPoolId"], "phone", phone)
        if holder is not None and holder["id"] != user["id"]:
            raise AuthingError(E.PHONE_BOUND, "手机号已被绑定")
        self._take_sms_code(user["userPoolId"], phone, phone_code)
        fields = self._set_phone(user, phone, "86")

        def bind(current):
            if current.get("phone"):  # a concurrent bind came first
                raise AuthingError(E.PHONE_BOUND, "用户已绑定手机号")
            return fields
        try:
            user = self._save(user, bind)
        except AuthingError:
            self._release(user["userPoolId"], "phone", phone, user["id"])
            raise
        return self._with_presented_token(user, verified, caller)

    def logout(self, caller: Caller) -> Dict[str, Any]:
        if not caller.token:
            raise AuthingError(E.NOT_LOGGED_IN, "尚未登录，无权限访问此请求")
        try:
            verified = self.codec.verify(caller.token, audience=caller.app_id, check_expiry=False)
        except TokenRejected as exc:
            if exc.reason == "revoked":  # logging out twice is fine
                return {"code": 200, "message": "退出登录成功"}
            code, message = REJECTIONS[exc.reason]
            raise AuthingError(code, message) from None
        self.store.put("authing.revoked", verified.claims["jti"], verified.claims["exp"])
        return {"code": 200, "message": "退出登录成功"}

    def upload(self, caller: Caller, folder: Any, filename: Any, content_type: Any, data: bytes) -> Dict[str, Any]:
        folder = folder or "default"
        if not isinstance(folder, str) or not FOLDER.match(folder):
            raise bad_request("folder 只能包含字母、数字、'_' 和 '-'")
        if not data:
            raise bad_request("请上传文件（multipart 字段 file）")
        name = filename if isinstance(filename, str) else ""
        ext = re.sub(r"[^A-Za-z0-9.]", "", name[name.rfind("."):])[:10] if "." in name else ""
        key = f"{folder}/{self.random.hex(24)}{ext.lower()}"
        kind = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.store.put("authing.files", key, {
            "key": key, "folder": folder, "filename": name, "contentType": kind, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "data": base64.b64encode(data).decode(),
            "uploadedAt": self.clock.now()})
        return {"key": key, "url": f"{caller.base_url}/files/{key}"}

    def file(self, key: str) -> Tuple[bytes, str]:
        record = self.store.get("authing.files", key)
        if record is None:
            raise AuthingError(E.BAD_REQUEST, "文件不存在")
        return base64.b64decode(record["data"]), record["contentType"]

    # --- v3 -------------------------------------------------------------------------------------
    def _check_client(self, app: Dict[str, Any], body: Dict[str, Any]) -> None:
        client_id, secret = body.get("client_id"), body.get("client_secret")
        if client_id is not None and client_id != app["id"]:
            raise bad_request("client_id 与应用不匹配")
        if secret is not None and secret != app["secret"]:
            raise AuthingError(E.NO_PERMISSION, "client_secret 不正确")

    def signin_by_mobile(self, caller: Caller, body: Dict[str, Any]) -> Dict[str, Any]:
        client_id = body.get("client_id")
        if client_id is not None and not isinstance(client_id, str):
            raise bad_request("client_id 必须是字符串")
        app = self.app_for(caller if caller.app_id else replace(caller, app_id=client_id))
        self._check_client(app, body)
        identifier = body.get("extIdpConnidentifier")
        if not isinstance(identifier, str) or not identifier:
            raise bad_request("extIdpConnidentifier 不能为空")
        conn = self._connection(app, identifier)
        connection = body.get("connection")
        if connection == "wechat_mini_program_code":
            payload = _payload(body, "wechatMiniProgramCodePayload")
            session = self._exchange(conn, payload.get("code"))
            profile = {}
            if payload.get("encryptedData") or payload.get("iv"):
                profile = self._profile_from_wechat(
                    self._open_data(conn, session["session_key"], payload.get("iv"), payload.get("encryptedData")))
            user = self._login_wechat(conn, session, profile, caller)
        elif connection == "wechat_mini_program_phone":
            payload = _payload(body, "wechatMiniProgramPhonePayload")
            session = self._exchange(conn, payload.get("code"))
            phone, country = self._phone_from(
                self._open_data(conn, session["session_key"], payload.get("iv"), payload.get("encryptedData")))
            user = self._login_with_phone(conn, session, phone, country, caller)
        elif connection == "wechat_mini_program_code_and_phone":
            payload = _payload(body, "wechatMiniProgramCodeAndPhonePayload")
            login_info, phone_info = payload.get("wxLoginInfo"), payload.get("wxPhoneInfo")
            if not isinstance(login_info, dict) or not isinstance(phone_info, dict):
                raise bad_request("wxLoginInfo 和 wxPhoneInfo 不能为空")
            session = self._exchange(conn, login_info.get("code"))
            phone, country = self._phone_by_code(conn, phone_info.get("code"))
            user = self._login_with_phone(conn, session, phone, country, caller)
        else:
            raise bad_request("connection 必须是 wechat_mini_program_code、wechat_mini_program_phone "
                              "或 wechat_mini_program_code_and_phone")
        id_token, claims = self._issue(user, app, caller.issuer)
        access_token, _ = self._access_token(user, app, caller.issuer)
        return {"scope": V3_SCOPE, "access_token": access_token, "id_token": id_token, "token_type": "Bearer",
                "expires_in": claims["exp"] - claims["iat"]}

    def profile_v3(self, caller: Caller, with_identities: bool = False, with_custom_data: bool = False) -> Dict[str, Any]:
        user, _ = self.authenticated(caller)
        return self._v3_user(user, with_identities, with_custom_data)

    def update_profile_v3(self, caller: Caller, body: Dict[str, Any]) -> Dict[str, Any]:
        user, _ = self.authenticated(caller)
        v3_names = {"streetAddress", "postalCode", "externalId", "customData", "name", "nickname", "photo",
                    "birthdate", "country", "province", "city", "address", "gender", "username", "company"}
        unknown = sorted(set(body) - v3_names - {"identityNumber"})
        if unknown:
            raise bad_request(f"不支持的字段：{', '.join(unknown)}")
        changes = {k: v for k, v in body.items() if k != "identityNumber"}
        user = self._save_profile(user, self._checked_profile(changes, "body"))
        return self._v3_user(user, False, False)

    def decrypt_wechat_data(self, caller: Caller, body: Dict[str, Any]) -> Dict[str, Any]:
        app = self.app_for(caller)
        identifier = body.get("extIdpConnidentifier")
        if not isinstance(identifier, str) or not identifier:
            raise bad_request("extIdpConnidentifier 不能为空")
        conn = self._connection(app, identifier)
        session = self._exchange(conn, body.get("code"))
        return self._open_data(conn, session["session_key"], body.get("iv"), body.get("encryptedData"))

    @staticmethod
    def _v3_user(user: Dict[str, Any], with_identities: bool, with_custom_data: bool) -> Dict[str, Any]:
        shown = {
            "userId": user["id"], "createdAt": user["createdAt"], "updatedAt": user["updatedAt"],
            "status": user["status"], "username": user.get("username"), "email": user.get("email"),
            "phone": user.get("phone"), "phoneCountryCode": user.get("phoneCountryCode"),
            "emailVerified": bool(user.get("emailVerified")), "phoneVerified": bool(user.get("phoneVerified")),
            "loginsCount": user.get("loginsCount"), "lastLogin": user.get("lastLogin"), "lastIp": user.get("lastIP"),
            "userSourceType": "register", "nickname": user.get("nickname"), "name": user.get("name"),
            "photo": user.get("photo"), "gender": user.get("gender") or "U", "birthdate": user.get("birthdate"),
            "country": user.get("country"), "province": user.get("province"), "city": user.get("city"),
            "address": user.get("address"), "streetAddress": user.get("streetAddress"),
            "postalCode": user.get("postalCode"), "company": user.get("company"), "externalId": user.get("externalId"),
        }
        if with_identities:
            shown["identities"] = [{"identityId": f"{i['connectionId']}:{i['openid']}", "extIdpId": i["connectionId"],
                                    "provider": i["provider"], "type": "openid", "userIdInIdp": i["userIdInIdp"],
                                    "originConnIds": [i["connectionId"]]} for i in user.get("identities") or []]
        if with_custom_data:
            shown["customData"] = user.get("customData") or {}
        return shown

    # --- OIDC -----------------------------------------------------------------------------------
    def jwks(self) -> Dict[str, Any]:
        return {"keys": [self.codec.key.jwk()]}

    def discovery(self, caller: Caller) -> Dict[str, Any]:
        issuer = caller.issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/auth",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/me",
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "introspection_endpoint": f"{issuer}/token/introspection",
            "end_session_endpoint": f"{issuer}/session/end",
            "response_types_supported": ["code", "id_token", "code id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "HS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "none"],
            # introspect() always authenticates the client with its secret
            "introspection_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "scopes_supported": ["openid", "profile", "email", "phone", "offline_access"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "name", "nickname", "picture", "gender",
                                 "phone_number", "phone_number_verified", "email", "email_verified",
                                 "preferred_username", "updated_at"],
        }

    def introspect(self, client_id: Any, client_secret: Any, token: Any) -> Dict[str, Any]:
        app = self._app_by_id(client_id)
        if app is None or client_secret != app["secret"]:
            raise AuthingError(E.NO_PERMISSION, "client authentication failed", oidc_error="invalid_client")
        if not isinstance(token, str) or not token:
            raise AuthingError(E.BAD_REQUEST, "token is required", oidc_error="invalid_request")
        try:
            claims = self.codec.verify(token, audience=app["id"]).claims
        except TokenRejected:
            return {"active": False}
        return {"active": True, "sub": claims["sub"], "client_id": app["id"], "exp": claims["exp"],
                "iat": claims["iat"], "iss": claims.get("iss"), "aud": claims["aud"], "jti": claims.get("jti"),
                "scope": claims.get("scope", V3_SCOPE), "token_type": "Bearer"}

    def userinfo(self, caller: Caller) -> Dict[str, Any]:
        user, _ = self.authenticated(caller)
        return {"sub": user["id"], "name": user.get("name"), "nickname": user.get("nickname"),
                "picture": user.get("photo"), "gender": user.get("gender") or "U", "birthdate": user.get("birthdate"),
                "locale": user.get("locale"), "updated_at": user.get("updatedAt"),
                "preferred_username": user.get("preferredUsername"), "email": user.get("email"),
                "email_verified": bool(user.get("emailVerified")), "phone_number": user.get("phone"),
                "phone_number_verified": bool(user.get("phoneVerified"))}

    def validate_token(self, caller: Caller, id_token: Any, access_token: Any) -> Dict[str, Any]:
        token = id_token or access_token
        if not isinstance(token, str) or not token:
            raise bad_request("请传入 id_token 或 access_token")
        try:
            return self.codec.verify(token, audience=caller.app_id).claims
        except TokenRejected as exc:
            raise bad_request(f"token 校验失败：{REJECTIONS[exc.reason][1]}") from None

    # --- control plane --------------------------------------------------------------------------
    def users(self) -> List[Dict[str, Any]]:
        return self.store.values("authing.users")

    def user_record(self, user_id: Any) -> Dict[str, Any]:
        if not isinstance(user_id, str):
            raise ControlError("userId must be a string (an Authing user id)")
        user = self.store.get("authing.users", user_id)
        if user is None:
            raise NotFound(f"no Authing user with id {user_id!r}")
        return user

    def update_user_record(self, user_id: Any, body: Dict[str, Any]) -> Dict[str, Any]:
        """What an administrator changes: ``{"blocked": true}`` locks a user out — logins and every
        token-authenticated call answer 2005 (用户已被锁定) — and ``false`` lets them back in."""
        self.user_record(user_id)
        unknown = sorted(set(body) - {"blocked"})
        if unknown:
            raise ControlError(f"unknown fields {unknown}: only 'blocked' can be changed")
        if "blocked" in body and not isinstance(body["blocked"], bool):
            raise ControlError("blocked must be true or false")

        def apply(current):
            if current is None:
                raise NotFound(f"no Authing user with id {user_id!r}")
            saved = {**current, **body, "updatedAt": iso(self.clock.now())}
            return saved, saved
        return self.store.update("authing.users", user_id, apply)

    def sms_outbox(self) -> List[Dict[str, Any]]:
        return [{**r, "used": r["usedAt"] is not None} for r in self.store.values("authing.sms")]

    def mint_token(self, body: Dict[str, Any], base_url: str) -> Dict[str, Any]:
        user = self.user_record(body.get("userId"))
        app_id = body.get("appId")
        if app_id is not None and not isinstance(app_id, str):
            raise ControlError("appId must be a string (an Authing app id)")
        app = self._app_by_id(app_id) if app_id else next(
            (a for a in self.apps() if a["userPoolId"] == user["userPoolId"]), None)
        if app is None or app["userPoolId"] != user["userPoolId"]:
            raise ControlError("appId must be an app of the user's pool")
        lifetime = body.get("expiresIn")
        if lifetime is not None and (not isinstance(lifetime, int) or isinstance(lifetime, bool)
                                     or not 0 < lifetime <= MAX_TOKEN_LIFETIME):
            raise ControlError(f"expiresIn must be a positive number of seconds, at most {MAX_TOKEN_LIFETIME} (100 years)")
        issuer = f"{base_url}/oidc"
        token, claims = self._issue(user, app, issuer, lifetime)
        access_token, _ = self._access_token(user, app, issuer)
        return {"token": token, "id_token": token, "access_token": access_token, "exp": claims["exp"],
                "iat": claims["iat"], "appId": app["id"], "userId": user["id"]}


def _payload(body: Dict[str, Any], name: str) -> Dict[str, Any]:
    payload = body.get(name)
    if not isinstance(payload, dict):
        raise bad_request(f"{name} 不能为空")
    return payload


def _phone_fields(phone: str, country_code: str) -> Dict[str, Any]:
    return {"phone": phone, "phoneVerified": True, "phoneCountryCode": country_code}


def _phone(phone: Any) -> str:
    if not isinstance(phone, str) or not PHONE.match(phone):
        raise AuthingError(E.BAD_PHONE, "请提供正确的手机号")
    return phone
