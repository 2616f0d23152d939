"""The rules of WeChat's mini-program server API: codes, sessions, access tokens and the rest.

Methods take plain values (never ``flask.request``) and raise ``WeChatError`` for the errors the
real service answers; control-plane helpers raise ``ControlError``. Time comes from the injected
clock, randomness from the injected random source, state from the store.
"""
from __future__ import annotations

import io
import re
from typing import Any, Dict, List, Optional, Tuple

from ..core.clock import Clock
from ..core.errors import Conflict, ControlError, NotFound
from ..core.ids import RandomSource
from ..core.store import UNCHANGED, Store
from . import crypto
from .errors import WeChatError
from .models import APP_FIELDS, USER_FIELDS, Directory, check_app, check_user

CODE_TTL = 300
PHONE_CODE_TTL = 300
TOKEN_TTL = 7200
TOKEN_GRACE = 300
DAILY_TOKEN_QUOTA = 2000
WELL_FORMED_CODE = re.compile(r"^[A-Za-z0-9]{32}$")
WELL_FORMED_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,512}$")
SCENE_CHARS = re.compile(r"^[A-Za-z0-9!#$&'()*+,/:;=?@\-._~]+$")
RISKY_MARKER, REVIEW_MARKER = "MOCK_RISKY", "MOCK_REVIEW"


class WeChatService:
    def __init__(self, store: Store, clock: Clock, random: RandomSource,
                 accept_unknown_codes: Optional[str] = None):
        self.store = store
        self.clock = clock
        self.random = random
        self.directory = Directory(random)
        self.accept_unknown_codes = accept_unknown_codes
        self._faker = None

    # --- who is who ----------------------------------------------------------------------
    def app(self, appid: str) -> Dict[str, Any]:
        app = self.store.get("wx.apps", appid) if isinstance(appid, str) else None
        if app is None:
            raise NotFound(f"no mini-program app with appid {appid!r}")
        return app

    def apps(self) -> List[Dict[str, Any]]:
        return self.store.values("wx.apps")

    def user(self, ref: str) -> Dict[str, Any]:
        """A user by alias or by any of their openids."""
        if isinstance(ref, str) and ref:
            user = self.store.get("wx.users", ref)
            if user is None:
                owner = self.store.get("wx.openids", ref)
                user = owner and self.store.get("wx.users", owner["alias"])
            if user:
                return user
        raise NotFound(f"no WeChat user with alias or openid {ref!r}")

    def openid(self, user: Dict[str, Any], appid: str) -> str:
        return self.directory.openid(user, appid)

    def unionid(self, user: Dict[str, Any], app: Dict[str, Any]) -> Optional[str]:
        return self.directory.unionid(user, app)

    def describe_user(self, user: Dict[str, Any]) -> Dict[str, Any]:
        """A user as the control plane shows it: profile plus openid/unionid in every app."""
        apps = self.apps()
        identities = {app["appid"]: {"openid": self.openid(user, app["appid"]),
                                     "unionid": self.unionid(user, app)} for app in apps}
        profile = {k: v for k, v in user.items() if k not in ("openids", "unionids")}
        return {**profile, "apps": identities}

    # --- who is calling: lenient look-ups for the journal and fault criteria (never raise) ----------
    def token_appid(self, token: Any) -> Optional[str]:
        record = self.store.get("wx.tokens", token) if isinstance(token, str) and token else None
        return record and record["appid"]

    def code_owner(self, code: Any) -> Tuple[Optional[str], Optional[str]]:
        """(appid, alias) of a login or phone code, used or not."""
        if not isinstance(code, str) or not code:
            return None, None
        record = self.store.get("wx.codes", code) or self.store.get("wx.phone_codes", code)
        return (record["appid"], record["alias"]) if record else (None, None)

    def openid_owner(self, openid: Any) -> Tuple[Optional[str], Optional[str]]:
        owner = self.store.get("wx.openids", openid) if isinstance(openid, str) and openid else None
        return (owner["appid"], owner["alias"]) if owner else (None, None)

    def user_in_app(self, appid: str, openid: str) -> Dict[str, Any]:
        owner = self.store.get("wx.openids", openid) if isinstance(openid, str) and openid else None
        if owner is None or owner["appid"] != appid:
            raise WeChatError(40003)
        return self.store.get("wx.users", owner["alias"])

    # --- control plane: users and apps -------------------------------------------------------
    def create_user(self, fields: Dict[str, Any]) -> Dict[str, Any]:
        if not isinstance(fields, dict):
            raise ControlError("body must be a JSON object of user fields")
        given = {k: v for k, v in fields.items() if v is not None}
        # Check what the caller gave before drawing a made-up profile: a rejected request must not
        # move the random source (later codes would differ).
        self._checked_user({"alias": "candidate", **given})
        if isinstance(given.get("alias"), str) and self.store.get("wx.users", given["alias"]) is not None:
            raise Conflict(f"a user with alias {given['alias']!r} already exists")
        user = self._checked_user({**self._fake_profile(), **given})
        if not self.store.update("wx.users", user["alias"],
                                 lambda existing: (UNCHANGED, False) if existing else (user, True)):
            raise Conflict(f"a user with alias {user['alias']!r} already exists")
        claimed = []
        for openid, owner in self.directory.openid_entries(user, self.apps()):
            if not self.store.update("wx.openids", openid, lambda held: (UNCHANGED, False) if held else (owner, True)):
                for mine in claimed:  # a pinned openid another user holds: undo everything
                    self.store.delete("wx.openids", mine)
                self.store.delete("wx.users", user["alias"])
                raise Conflict(f"openid {openid} already belongs to another user")
            claimed.append(openid)
        return user

    def update_user(self, ref: str, changes: Dict[str, Any]) -> Dict[str, Any]:
        if not isinstance(changes, dict):
            raise ControlError("body must be a JSON object of user fields")
        user = self.user(ref)
        if "alias" in changes and changes["alias"] != user["alias"]:
            raise ControlError("alias cannot be changed (openids are derived from it)")
        if set(changes) & {"openids", "unionids"}:
            raise ControlError("openids and unionids cannot be changed after creation")
        self._checked_user({**user, **changes})

        def merge(current):
            # Merged into the stored user atomically: concurrent changes of other fields survive.
            if current is None:
                return UNCHANGED, None
            updated = {**current, **changes}
            return updated, updated

        updated = self.store.update("wx.users", user["alias"], merge)
        if updated is None:
            raise NotFound(f"no WeChat user with alias or openid {ref!r}")
        return updated

    def delete_user(self, ref: str) -> Dict[str, Any]:
        user = self.user(ref)
        self.store.delete("wx.users", user["alias"])
        for app in self.apps():
            self.store.delete("wx.openids", self.openid(user, app["appid"]))
        return user

    def users(self) -> List[Dict[str, Any]]:
        return self.store.values("wx.users")

    def create_app(self, fields: Dict[str, Any]) -> Dict[str, Any]:
        if not isinstance(fields, dict):
            raise ControlError("body must be a JSON object of app fields")
        fields = {"appid": self.random.appid(), "secret": self.random.app_secret(), **fields}
        unknown = set(fields) - APP_FIELDS
        if unknown:
            raise ControlError(f"unknown app fields {sorted(unknown)}")
        try:
            app = check_app(fields, "app")
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        if not self.store.update("wx.apps", app["appid"], lambda cur: (UNCHANGED, False) if cur else (app, True)):
            raise Conflict(f"an app with appid {app['appid']} already exists")
        for user in self.users():
            openid = self.openid(user, app["appid"])
            self.store.put("wx.openids", openid, {"alias": user["alias"], "appid": app["appid"]})
        return app

    def _checked_user(self, fields: Dict[str, Any]) -> Dict[str, Any]:
        unknown = set(fields) - USER_FIELDS
        if unknown:
            raise ControlError(f"unknown user fields {sorted(unknown)} (known: {sorted(USER_FIELDS)})")
        try:
            return check_user(fields, "user")
        except ValueError as exc:
            raise ControlError(str(exc)) from None

    def _fake_profile(self) -> Dict[str, Any]:
        """A new WeChat user made up by Faker (zh_CN), seeded from the one random source."""
        if self._faker is None:
            from faker import Faker  # imported on first use: it costs start-up time

            self._faker = Faker("zh_CN")
        fake = self._faker
        fake.seed_instance(self.random.integer(0, 2 ** 31))
        alias = "user_" + self.random.hex(8)
        while self.store.get("wx.users", alias) is not None:
            alias = "user_" + self.random.hex(8)
        return {"alias": alias, "nickname": fake.name(), "avatar_url": avatar_url(self.random),
                "gender": fake.random_element((1, 2)), "city": fake.city_name(),
                "province": fake.province(), "country": "中国", "language": "zh_CN",
                "phone": fake.phone_number(), "country_code": "86"}

    # --- control plane: what the mini program would receive ---------------------------------
    def mint_login_code(self, appid: str, user_ref: Optional[str]) -> Dict[str, Any]:
        app = self.app(appid)
        user = self.user(user_ref) if user_ref else self.create_user({})
        openid = self.openid(user, app["appid"])
        code, session_key = self.random.login_code(), self.random.session_key()
        now = self.clock.now()
        self.store.put("wx.codes", code, {"appid": app["appid"], "alias": user["alias"],
                                          "session_key": session_key, "issued_at": now, "used_at": None})
        # As in WeChat, wx.login() itself renews the session key: it is what encryptedData uses.
        self.store.put("wx.sessions", f"{app['appid']}:{openid}", {"session_key": session_key, "created_at": now})
        return {"code": code, "errMsg": "login:ok", "openid": openid}

    def mint_phone_code(self, appid: str, user_ref: str) -> Dict[str, Any]:
        app, user = self.app(appid), self.user(user_ref)
        if not user.get("phone"):
            raise Conflict(f"user {user['alias']!r} has no phone number")
        code = self.random.phone_code()
        self.store.put("wx.phone_codes", code, {"appid": app["appid"], "alias": user["alias"],
                                                "issued_at": self.clock.now(), "used_at": None})
        return {"code": code, "errMsg": "getPhoneNumber:ok"}

    def encrypted_data(self, appid: str, user_ref: str, kind: str) -> Dict[str, Any]:
        app, user = self.app(appid), self.user(user_ref)
        if kind not in ("userInfo", "phoneNumber"):
            raise ControlError("kind must be 'userInfo' or 'phoneNumber'")
        openid = self.openid(user, app["appid"])
        session = self.store.get("wx.sessions", f"{app['appid']}:{openid}")
        if session is None:  # never logged in: WeChat holds a session for the user all the same
            session = {"session_key": self.random.session_key(), "created_at": self.clock.now()}
            self.store.put("wx.sessions", f"{app['appid']}:{openid}", session)
        session_key, iv = session["session_key"], self.random.iv()
        watermark = {"timestamp": self.clock.now_int(), "appid": app["appid"]}
        if kind == "phoneNumber":
            if not user.get("phone"):
                raise Conflict(f"user {user['alias']!r} has no phone number")
            payload = {**phone_info(user, string_country_code=True), "watermark": watermark}
            return {"encryptedData": crypto.encrypt_data(session_key, iv, payload), "iv": iv,
                    "errMsg": "getPhoneNumber:ok"}
        public = public_profile(user)
        raw_data = crypto.dumps(public)
        payload = {"openId": openid, **public, "watermark": watermark}
        unionid = self.unionid(user, app)
        if unionid:
            payload["unionId"] = unionid
        return {"encryptedData": crypto.encrypt_data(session_key, iv, payload), "iv": iv,
                "rawData": raw_data, "signature": crypto.raw_data_signature(raw_data, session_key),
                "userInfo": public, "errMsg": "getUserProfile:ok"}

    def live_codes(self) -> List[Dict[str, Any]]:
        """Login codes minted and neither used nor expired (what ``wx.login()`` handed out)."""
        now = self.clock.now()
        return [{"code": code, **record, "expires_in": int(record["issued_at"] + CODE_TTL - now)}
                for code, record in self.store.items("wx.codes")
                if record["used_at"] is None and now - record["issued_at"] <= CODE_TTL]

    def live_tokens(self) -> List[Dict[str, Any]]:
        now = self.clock.now()
        return [{"token": token, **record, "expires_in": int(record["expires_at"] - now)}
                for token, record in self.store.items("wx.tokens") if record["expires_at"] > now]

    def sent_messages(self) -> List[Dict[str, Any]]:
        return self.store.values("wx.messages")

    def session_key(self, appid: str, openid: str) -> Optional[str]:
        session = self.store.get("wx.sessions", f"{appid}:{openid}")
        return session and session["session_key"]

    # --- the API: login ---------------------------------------------------------------------
    def authenticate(self, appid: Optional[str], secret: Optional[str]) -> Dict[str, Any]:
        if not appid:
            raise WeChatError(41002)
        if not secret:
            raise WeChatError(41004)
        app = self.store.get("wx.apps", appid)
        if app is None:
            raise WeChatError(40013)
        if secret != app["secret"]:
            raise WeChatError(40125)
        return app

    def code_to_session(self, appid: Optional[str], secret: Optional[str], js_code: Optional[str],
                        grant_type: Optional[str]) -> Dict[str, Any]:
        """``/sns/jscode2session``: a login code, used once within 5 minutes, for a session."""
        if not appid:
            raise WeChatError(41002)
        if not secret:
            raise WeChatError(41004)
        if not js_code:
            raise WeChatError(41008)
        if grant_type not in (None, "authorization_code"):
            raise WeChatError(40002)
        app = self.authenticate(appid, secret)
        self._check_login_quota(app)
        record = self.exchange_code(app["appid"], js_code)
        user = self.store.get("wx.users", record["alias"])
        if user is None:  # deleted since the code was minted
            raise WeChatError(40029)
        result = {"session_key": record["session_key"], "openid": self.openid(user, app["appid"])}
        unionid = self.unionid(user, app)
        if unionid:
            result["unionid"] = unionid
        return result

    def _check_login_quota(self, app: Dict[str, Any]) -> None:
        """An app's ``login_minute_quota``: more exchanges in one clock minute get 45011."""
        quota = app.get("login_minute_quota")
        if quota and self._count_call(f"{app['appid']}:login", int(self.clock.now() // 60)) > quota:
            raise WeChatError(45011)

    def _count_call(self, counter: str, period: int) -> int:
        """Calls counted against ``counter`` in this period (a day, a minute) so far, this one included;
        the first call of a period drops the last period's count, so counters do not pile up."""
        calls = self.store.incr("wx.quota", f"{counter}:{period}")
        if calls == 1:
            self.store.delete("wx.quota", f"{counter}:{period - 1}")
        return calls

    def exchange_code(self, appid: str, code: str) -> Dict[str, Any]:
        """Take a login code for ``appid`` exactly once; the code's record, or a WeChatError."""
        now = self.clock.now()
        peek = self.store.get("wx.codes", code)
        if peek and peek["appid"] == appid and peek["used_at"] is None and now - peek["issued_at"] <= CODE_TTL:
            self._refuse_blocked(peek["alias"])

        def take(record):
            if record is None:
                return UNCHANGED, "unknown"
            if record["appid"] != appid or now - record["issued_at"] > CODE_TTL:
                return UNCHANGED, "invalid"
            if record["used_at"] is not None:
                return UNCHANGED, "used"
            record["used_at"] = now
            return record, record

        outcome = self.store.update("wx.codes", code, take)
        if outcome == "unknown" and self.accept_unknown_codes and WELL_FORMED_CODE.match(code):
            outcome = self._adopt_unknown_code(appid, code, now)
        if outcome == "used":
            raise WeChatError(40163)
        if isinstance(outcome, str):
            raise WeChatError(40029)
        return outcome

    def _refuse_blocked(self, alias: str) -> None:
        owner = self.store.get("wx.users", alias)
        if owner and owner.get("blocked"):
            raise WeChatError(40226)

    def _adopt_unknown_code(self, appid: str, code: str, now: float):
        """``--accept-unknown-codes``: a code WeChat's devtools made logs in the configured user."""
        try:
            user = self.user(self.accept_unknown_codes)
        except NotFound:
            return "unknown"
        self._refuse_blocked(user["alias"])
        record = {"appid": appid, "alias": user["alias"], "session_key": self.random.session_key(),
                  "issued_at": now, "used_at": now, "adopted": True}
        taken = self.store.update("wx.codes", code,
                                  lambda cur: (UNCHANGED, "used") if cur else (record, record))
        if taken is record:
            openid = self.openid(user, appid)
            self.store.put("wx.sessions", f"{appid}:{openid}",
                           {"session_key": record["session_key"], "created_at": now})
        return taken

    # --- the API: access tokens -------------------------------------------------------------
    def fetch_access_token(self, grant_type: Optional[str], appid: Optional[str],
                           secret: Optional[str]) -> Dict[str, Any]:
        """``/cgi-bin/token``: a new token; the previous one keeps working 5 more minutes."""
        if not appid:
            raise WeChatError(41002)
        if not secret:
            raise WeChatError(41004)
        if grant_type != "client_credential":
            raise WeChatError(40002)
        app = self.authenticate(appid, secret)
        now = self.clock.now()
        if self._count_call(f"{app['appid']}", int(now // 86400)) > DAILY_TOKEN_QUOTA:
            raise WeChatError(45009)
        token = self._new_token(app["appid"], "token", now)
        previous = self.store.update("wx.app_tokens", app["appid"],
                                     lambda cur: ({**(cur or {}), "token": token}, (cur or {}).get("token")))
        if previous:
            self._supersede(previous, now + TOKEN_GRACE)
        return {"access_token": token, "expires_in": TOKEN_TTL}

    def fetch_stable_token(self, body: Any) -> Dict[str, Any]:
        """``/cgi-bin/stable_token``: the same token until 5 minutes before it expires."""
        if not isinstance(body, dict):
            raise WeChatError(47001)
        appid, secret = body.get("appid"), body.get("secret")
        if not appid:
            raise WeChatError(41002)
        if not secret:
            raise WeChatError(41004)
        if body.get("grant_type") != "client_credential":
            raise WeChatError(40002)
        force = body.get("force_refresh", False)
        if type(force) is not bool:
            raise WeChatError(47001)
        app = self.authenticate(appid, secret)
        now = self.clock.now()
        current = (self.store.get("wx.app_tokens", app["appid"]) or {}).get("stable")
        record = current and self.store.get("wx.tokens", current)
        if record and not force and record["expires_at"] - now > TOKEN_GRACE:
            return {"access_token": current, "expires_in": int(record["expires_at"] - now)}
        token = self._new_token(app["appid"], "stable", now)

        def swap(cur):  # compare-and-swap: only if no one replaced the token we looked at meanwhile
            cur = cur or {}
            if cur.get("stable") != current:
                return UNCHANGED, cur.get("stable")
            return {**cur, "stable": token}, token

        winner = self.store.update("wx.app_tokens", app["appid"], swap)
        if winner != token:  # a concurrent call renewed it first: everyone gets that one token
            self.store.delete("wx.tokens", token)
            record = self.store.get("wx.tokens", winner)
            return {"access_token": winner, "expires_in": int(record["expires_at"] - now)}
        if current and force:
            self._supersede(current, now)
        return {"access_token": token, "expires_in": TOKEN_TTL}

    def _new_token(self, appid: str, kind: str, now: float) -> str:
        token = self.random.access_token()
        self.store.put("wx.tokens", token, {"appid": appid, "kind": kind, "issued_at": now,
                                            "expires_at": now + TOKEN_TTL, "superseded": False})
        return token

    def _supersede(self, token: str, until: float) -> None:
        def shorten(record):
            if record is None:
                return UNCHANGED, None
            return {**record, "expires_at": min(record["expires_at"], until), "superseded": True}, None
        self.store.update("wx.tokens", token, shorten)

    def resolve_token(self, token: Optional[str]) -> Dict[str, Any]:
        """The app an ``access_token`` query parameter belongs to, or the error WeChat gives."""
        if not token:
            raise WeChatError(41001)
        if not WELL_FORMED_TOKEN.match(token):
            raise WeChatError(40014)
        record = self.store.get("wx.tokens", token)
        if record is None:
            raise WeChatError(40001)
        if self.clock.now() >= record["expires_at"]:
            raise WeChatError(40001 if record["superseded"] else 42001)
        return self.store.get("wx.apps", record["appid"])

    # --- the API: phone numbers and sessions -------------------------------------------------
    def phone_number(self, app: Dict[str, Any], body: Any) -> Dict[str, Any]:
        """``/wxa/business/getuserphonenumber``: a phone code, used once, for the number."""
        if not isinstance(body, dict):
            raise WeChatError(47001)
        code = body.get("code")
        if not code or not isinstance(code, str):
            raise WeChatError(40029)
        now = self.clock.now()

        def take(record):
            if (record is None or record["appid"] != app["appid"] or record["used_at"] is not None
                    or now - record["issued_at"] > PHONE_CODE_TTL):
                return UNCHANGED, None
            return {**record, "used_at": now}, record

        record = self.store.update("wx.phone_codes", code, take)
        user = record and self.store.get("wx.users", record["alias"])
        if not user:
            raise WeChatError(40029)
        info = {**phone_info(user, string_country_code=False),
                "watermark": {"timestamp": int(now), "appid": app["appid"]}}
        return {"errcode": 0, "errmsg": "ok", "phone_info": info}

    def _checked_session(self, app: Dict[str, Any], params: Dict[str, Any]) -> Dict[str, Any]:
        if params.get("sig_method") != "hmac_sha256":
            raise WeChatError(87008)
        user = self.user_in_app(app["appid"], params.get("openid"))
        key = self.session_key(app["appid"], params["openid"])
        signature = params.get("signature")
        if not key or not isinstance(signature, str) or signature.lower() != crypto.session_signature(key):
            raise WeChatError(87009)
        return user

    def check_session(self, app: Dict[str, Any], params: Dict[str, Any]) -> Dict[str, Any]:
        self._checked_session(app, params)
        return {"errcode": 0, "errmsg": "ok"}

    def reset_session_key(self, app: Dict[str, Any], params: Dict[str, Any]) -> Dict[str, Any]:
        self._checked_session(app, params)
        key = self.random.session_key()
        self.store.put("wx.sessions", f"{app['appid']}:{params['openid']}",
                       {"session_key": key, "created_at": self.clock.now()})
        return {"errcode": 0, "errmsg": "ok", "openid": params["openid"], "session_key": key}

    def paid_unionid(self, app: Dict[str, Any], params: Dict[str, Any]) -> Dict[str, Any]:
        """``/wxa/getpaidunionid``: every transaction id is taken as a payment by that user."""
        user = self.user_in_app(app["appid"], params.get("openid"))
        if not params.get("transaction_id") and not (params.get("mch_id") and params.get("out_trade_no")):
            raise WeChatError(89300)
        unionid = self.unionid(user, app)
        if not unionid:
            raise WeChatError(89002)
        return {"errcode": 0, "errmsg": "ok", "unionid": unionid}

    # --- the API: content and messages -------------------------------------------------------
    def message_security_check(self, app: Dict[str, Any], body: Any) -> Dict[str, Any]:
        """``/wxa/msg_sec_check``: text with MOCK_RISKY is risky, MOCK_REVIEW needs review."""
        if not isinstance(body, dict) or not isinstance(body.get("content"), str) or not body["content"]:
            raise WeChatError(47001)
        content = body["content"]
        suggest, label = ("risky", 20006) if RISKY_MARKER in content else \
            ("review", 21000) if REVIEW_MARKER in content else ("pass", 100)
        if str(body.get("version", 1)) != "2":
            if suggest == "risky":
                raise WeChatError(87014)
            return {"errcode": 0, "errmsg": "ok"}
        if body.get("scene") not in (1, 2, 3, 4):
            raise WeChatError(40097)
        self.user_in_app(app["appid"], body.get("openid"))
        detail = {"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label,
                  "prob": 90 if suggest != "pass" else 0}
        return {"errcode": 0, "errmsg": "ok", "detail": [detail], "trace_id": self.random.hex(24),
                "result": {"suggest": suggest, "label": label}}

    def send_subscribe_message(self, app: Dict[str, Any], body: Any) -> Dict[str, Any]:
        if not isinstance(body, dict):
            raise WeChatError(47001)
        user = self.user_in_app(app["appid"], body.get("touser"))
        template = body.get("template_id")
        if not template or not isinstance(template, str) or (
                app["subscribe_templates"] and template not in app["subscribe_templates"]):
            raise WeChatError(40037)
        data = body.get("data")
        if not isinstance(data, dict):
            raise WeChatError(47001)
        for key, item in data.items():
            if not isinstance(item, dict) or not str(item.get("value", "")).strip():
                raise WeChatError(47003, f"data.{key}.value is emtpy")
        if user.get("rejects_subscribe_messages"):
            raise WeChatError(43101)
        msgid = self.random.msgid()
        self.store.put("wx.messages", str(msgid), {"msgid": msgid, "appid": app["appid"], "touser": body["touser"],
                                                   "template_id": template, "page": body.get("page"),
                                                   "data": data, "sent_at": self.clock.now()})
        return {"errcode": 0, "errmsg": "ok", "msgid": msgid}

    def unlimited_qr_code(self, app: Dict[str, Any], body: Any) -> bytes:
        """``/wxa/getwxacodeunlimit``: a PNG QR code that decodes to the scene."""
        if not isinstance(body, dict):
            raise WeChatError(47001)
        scene = body.get("scene")
        if not isinstance(scene, str) or not 0 < len(scene) <= 32:
            raise WeChatError(40169)
        if not SCENE_CHARS.match(scene):
            raise WeChatError(40129)
        page = body.get("page")
        if page is not None:
            if not isinstance(page, str) or page.startswith("/") or "?" in page:
                raise WeChatError(41030)
            if body.get("check_path", True) and app["pages"] and page not in app["pages"]:
                raise WeChatError(41030)
        if body.get("env_version", "release") not in ("release", "trial", "develop"):
            raise WeChatError(40097)
        width = body.get("width", 430)
        if not isinstance(width, int) or isinstance(width, bool):
            raise WeChatError(47001)
        import segno  # imported on first use: most runs never draw a QR code

        qr = segno.make_qr(scene, error="m")
        scale = max(2, min(1280, max(280, width)) // (qr.symbol_size()[0]))
        out = io.BytesIO()
        qr.save(out, kind="png", scale=scale, border=4)
        return out.getvalue()


def public_profile(user: Dict[str, Any]) -> Dict[str, Any]:
    """What ``rawData`` carries, in WeChat's field order."""
    return {"nickName": user["nickname"], "gender": user["gender"], "language": user["language"],
            "city": user["city"], "province": user["province"], "country": user["country"],
            "avatarUrl": user["avatar_url"]}


def phone_info(user: Dict[str, Any], string_country_code: bool) -> Dict[str, Any]:
    pure, country = user["phone"], str(user.get("country_code") or "86")
    number = pure if country == "86" else f"+{country}{pure}"
    return {"phoneNumber": number, "purePhoneNumber": pure,
            "countryCode": country if string_country_code else int(country)}


def avatar_url(random: RandomSource) -> str:
    return f"https://thirdwx.qlogo.cn/mmopen/vi_32/{random.chars(86, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}/132"
