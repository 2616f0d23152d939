"""Logins: the codes ``wx.login()`` and the getPhoneNumber button hand out, their exchange for a
session or a phone number, the session key and what it encrypts, and the login quota."""
from __future__ import annotations

import re
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from ..core.clock import Clock
from ..core.errors import Conflict, ControlError, NotFound
from ..core.ids import RandomSource
from ..core.store import UNCHANGED
from . import crypto
from .errors import WeChatError
from .repo import Record, WeChatRepository
from .users import Directory

CODE_TTL = 300
PHONE_CODE_TTL = 300
WELL_FORMED_CODE = re.compile(r"^[A-Za-z0-9]{32}$")
OPEN_DATA_KINDS = ("userInfo", "phoneNumber")
#: How lately a user must have opened the mini program (a login) for the APIs that judge only
#: recent visitors (``msg_sec_check`` v2, ``getuserriskrank``): 61010 otherwise.
RECENT_VISIT = 7200


def require_recent_visit(repo: WeChatRepository, clock: Clock, appid: str, openid: str) -> None:
    """61010 unless the user logged in to the mini program within ``RECENT_VISIT`` seconds."""
    session = repo.session(appid, openid)
    if session is None or clock.now() - session["created_at"] > RECENT_VISIT:
        raise WeChatError(61010)


class Session(NamedTuple):
    """What ``/sns/jscode2session`` answers."""
    session_key: str
    openid: str
    unionid: Optional[str]


class PhoneNumber(NamedTuple):
    phone: str  # the number without country code
    country_code: str
    appid: str
    timestamp: int


class MintedCode(NamedTuple):
    code: str
    openid: str


class OpenData(NamedTuple):
    """What the mini program gets from ``getUserProfile``/``getPhoneNumber`` (old flow)."""
    kind: str  # userInfo or phoneNumber
    encrypted_data: str
    iv: str
    raw_data: Optional[str] = None
    signature: Optional[str] = None
    user_info: Optional[Dict[str, Any]] = None


def public_profile(user: Record) -> Dict[str, Any]:
    """What ``rawData`` carries, in WeChat's field order."""
    return {"nickName": user["nickname"], "gender": user["gender"], "language": user["language"],
            "city": user["city"], "province": user["province"], "country": user["country"],
            "avatarUrl": user["avatar_url"]}


def phone_number_of(user: Record, appid: str, timestamp: int) -> PhoneNumber:
    return PhoneNumber(user["phone"], str(user.get("country_code") or "86"), appid, timestamp)


def decrypted_phone(number: PhoneNumber) -> Dict[str, Any]:
    """A phone number as WeChat writes it into open data (``countryCode`` a string)."""
    full = number.phone if number.country_code == "86" else f"+{number.country_code}{number.phone}"
    return {"phoneNumber": full, "purePhoneNumber": number.phone, "countryCode": number.country_code}


class Login:
    def __init__(self, repo: WeChatRepository, directory: Directory, clock: Clock, random: RandomSource,
                 accept_unknown_codes: Optional[str] = None):
        self.repo = repo
        self.directory = directory
        self.clock = clock
        self.random = random
        self.accept_unknown_codes = accept_unknown_codes

    # --- the API ---------------------------------------------------------------------------
    def authenticate(self, appid: Optional[str], secret: Optional[str]) -> Record:
        """The app whose appid and secret a call gives (``clear_quota/v2``), or the error WeChat answers."""
        if not appid:
            raise WeChatError(41002)
        if not secret:
            raise WeChatError(41004)
        return self._checked_app(self.repo.app(appid), secret)

    @staticmethod
    def _checked_app(app: Optional[Record], secret: str) -> Record:
        if app is None:
            raise WeChatError(40013)
        if secret != app["secret"]:
            raise WeChatError(40125)
        return app

    def code_to_session(self, appid: Optional[str], secret: Optional[str], js_code: Optional[str],
                        grant_type: Optional[str]) -> Session:
        """``/sns/jscode2session``: a login code, used once within 5 minutes, for a session."""
        if not appid:
            raise WeChatError(41002)
        if not secret:
            raise WeChatError(41004)
        if not js_code:
            raise WeChatError(41008)
        if grant_type not in (None, "authorization_code"):
            raise WeChatError(40002)
        found, peek = self.repo.app_and_code(appid, js_code)  # one read: the login's hot path
        app = self._checked_app(found, secret)
        self._check_login_quota(app)
        record, user = self._take_code(app["appid"], js_code, peek)
        return Session(record["session_key"], self.directory.openid(user, app["appid"]),
                       self.directory.unionid(user, app))

    def _check_login_quota(self, app: Record) -> None:
        """An app's ``login_minute_quota``: more exchanges in one clock minute get 45011."""
        quota = app.get("login_minute_quota")
        if quota and self.repo.count_call(f"{app['appid']}:login", int(self.clock.now() // 60)) > quota:
            raise WeChatError(45011)

    def _take_code(self, appid: str, code: str, peek: Optional[Record]) -> Tuple[Record, Record]:
        """Take a login code for ``appid`` exactly once, in one atomic step with a look at its user
        (``peek``, the code as read before, names them); (the code's record, the user), or a
        WeChatError — which leaves the code as it was."""
        now = self.clock.now()

        def take(record, user):
            if record is None:
                return UNCHANGED, "unknown"
            if record["appid"] != appid or now - record["issued_at"] > CODE_TTL:
                return UNCHANGED, "invalid"
            if record["used_at"] is not None:
                return UNCHANGED, "used"
            if user is None:  # deleted since the code was minted
                return UNCHANGED, "invalid"
            if user.get("blocked"):
                return UNCHANGED, "blocked"
            taken = {**record, "used_at": now}
            return taken, (taken, user)

        outcome: Any = "unknown" if peek is None else self.repo.take_code(code, peek["alias"], take)
        if outcome == "unknown" and self.accept_unknown_codes and WELL_FORMED_CODE.match(code):
            outcome = self._adopt_unknown_code(appid, code, now)
        if outcome == "used":
            raise WeChatError(40163)
        if outcome == "blocked":
            raise WeChatError(40226)
        if isinstance(outcome, str):
            raise WeChatError(40029)
        return outcome

    def _adopt_unknown_code(self, appid: str, code: str, now: float) -> Any:
        """``--accept-unknown-codes``: a code WeChat's devtools made logs in the configured user."""
        try:
            user = self.directory.user(self.accept_unknown_codes)
        except NotFound:
            return "unknown"
        if user.get("blocked"):
            return "blocked"
        record = {"appid": appid, "alias": user["alias"], "session_key": self.random.session_key(),
                  "issued_at": now, "expires_at": now + CODE_TTL, "used_at": now, "adopted": True}
        if not self.repo.adopt_code(code, record, self.directory.openid(user, appid)):
            return "used"
        return record, user

    def phone_number(self, app: Record, code: Any) -> PhoneNumber:
        """``/wxa/business/getuserphonenumber``: a phone code, used once, for the number (else
        40029 with a ``hint``, as WeChat writes it)."""
        if not code or not isinstance(code, str):
            raise self._invalid_phone_code()
        now = self.clock.now()

        def take(record):
            if (record is None or record["appid"] != app["appid"] or record["used_at"] is not None
                    or now - record["issued_at"] > PHONE_CODE_TTL):
                return UNCHANGED, None
            return {**record, "used_at": now}, record

        record = self.repo.update_phone_code(code, take)
        user = record and self.repo.user(record["alias"])
        if not user:
            raise self._invalid_phone_code()
        return phone_number_of(user, app["appid"], int(now))

    def _invalid_phone_code(self) -> WeChatError:
        return WeChatError(40029, f"hint: [{self.random.hint()}]")

    def _checked_session(self, app: Record, openid: Any, signature: Any, sig_method: Any) -> Record:
        if sig_method != "hmac_sha256":
            raise WeChatError(87008)
        user = self.directory.user_in_app(app["appid"], openid)
        key = self.session_key(app["appid"], openid)
        if not key or not isinstance(signature, str) or signature.lower() != crypto.session_signature(key):
            raise WeChatError(87009)
        return user

    def check_session(self, app: Record, openid: Any, signature: Any, sig_method: Any) -> None:
        """``/wxa/checksession``: the signature must be of the user's current session key."""
        self._checked_session(app, openid, signature, sig_method)

    def reset_session_key(self, app: Record, openid: Any, signature: Any, sig_method: Any) -> str:
        """``/wxa/resetusersessionkey``: a new session key (the old signature no longer checks)."""
        self._checked_session(app, openid, signature, sig_method)
        key = self.random.session_key()
        self.repo.put_session(app["appid"], openid, key, self.clock.now())
        return key

    def paid_unionid(self, app: Record, openid: Any, transaction_id: Any, mch_id: Any, out_trade_no: Any) -> str:
        """``/wxa/getpaidunionid``: every transaction id is taken as a payment by that user."""
        user = self.directory.user_in_app(app["appid"], openid)
        if not transaction_id and not (mch_id and out_trade_no):
            raise WeChatError(89300)
        unionid = self.directory.unionid(user, app)
        if not unionid:
            raise WeChatError(89002)
        return unionid

    def session_key(self, appid: str, openid: str) -> Optional[str]:
        session = self.repo.session(appid, openid)
        return session["session_key"] if session else None

    # --- the control plane: what the mini program would receive ---------------------------------
    def mint_login_code(self, appid: str, user_ref: Optional[str]) -> MintedCode:
        if user_ref:
            app, user = self.directory.app_and_user(appid, user_ref)
        else:
            app, user = self.directory.app(appid), self.directory.create_user({})
        openid = self.directory.openid(user, app["appid"])
        code, session_key = self.random.login_code(), self.random.session_key()
        # As in WeChat, wx.login() itself renews the session key: it is what encryptedData uses.
        now = self.clock.now()
        self.repo.put_code_and_session(code, {"appid": app["appid"], "alias": user["alias"],
                                              "session_key": session_key, "issued_at": now,
                                              "expires_at": now + CODE_TTL, "used_at": None}, openid)
        return MintedCode(code, openid)

    def mint_phone_code(self, appid: str, user_ref: str) -> str:
        app, user = self.directory.app_and_user(appid, user_ref)
        if not user.get("phone"):
            raise Conflict(f"user {user['alias']!r} has no phone number")
        code, now = self.random.phone_code(), self.clock.now()
        self.repo.put_phone_code(code, {"appid": app["appid"], "alias": user["alias"], "issued_at": now,
                                        "expires_at": now + PHONE_CODE_TTL, "used_at": None})
        return code

    def open_data(self, appid: str, user_ref: str, kind: str) -> OpenData:
        """``encryptedData`` of the user's profile or phone number, under their session key."""
        app, user = self.directory.app(appid), self.directory.user(user_ref)
        if kind not in OPEN_DATA_KINDS:
            raise ControlError("kind must be 'userInfo' or 'phoneNumber'")
        openid = self.directory.openid(user, app["appid"])
        session = self.repo.session(app["appid"], openid)
        if session is None:  # never logged in: WeChat holds a session for the user all the same
            session = {"session_key": self.random.session_key(), "created_at": self.clock.now()}
            self.repo.put_session(app["appid"], openid, session["session_key"], session["created_at"])
        session_key, iv = session["session_key"], self.random.iv()
        watermark = {"timestamp": self.clock.now_int(), "appid": app["appid"]}
        if kind == "phoneNumber":
            if not user.get("phone"):
                raise Conflict(f"user {user['alias']!r} has no phone number")
            payload = {**decrypted_phone(phone_number_of(user, app["appid"], watermark["timestamp"])),
                       "watermark": watermark}
            return OpenData(kind, crypto.encrypt_data(session_key, iv, payload), iv)
        public = public_profile(user)
        raw_data = crypto.dumps(public)
        payload = {"openId": openid, **public, "watermark": watermark}
        unionid = self.directory.unionid(user, app)
        if unionid:
            payload["unionId"] = unionid
        return OpenData(kind, crypto.encrypt_data(session_key, iv, payload), iv, raw_data,
                        crypto.raw_data_signature(raw_data, session_key), public)

    def live_codes(self, limit: int) -> Tuple[int, List[Dict[str, Any]]]:
        """Login codes minted and neither used nor expired (what ``wx.login()`` handed out): how
        many, and the ``limit`` that expire soonest."""
        now = self.clock.now()
        live = self.repo.live_codes(now, limit)
        return live.total, [{"code": code, **record, "expires_in": int(record["issued_at"] + CODE_TTL - now)}
                            for code, record in live.entries]
