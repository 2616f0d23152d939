"""What tests do to one mock app — mint codes, list users, move the clock, reset — from Python.

Each helper calls the same service method as its ``/__mock__/`` route, in this process, so it
behaves exactly like the control plane without the cost of an HTTP round trip. ``control()``
reaches every other control-plane route in-process.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional
from urllib.parse import urlencode

from flask import Flask

from .. import inprocess
from ..core.errors import ControlError
from ..runtime import runtime_of


class MockHelpers:
    """Mixed into ``MockServer`` and ``intercept``: both drive one Flask app built by create_app."""

    if TYPE_CHECKING:  # what each class mixing this in provides, as an attribute or a property
        @property
        def app(self) -> Flask: ...

    @property
    def runtime(self):
        return runtime_of(self.app)

    # --- credentials --------------------------------------------------------------------------
    @property
    def wechat_app(self) -> Dict[str, Any]:
        """The default mini program: the fixture's first one (appid, secret, name, ...)."""
        apps = self.runtime.wechat.apps()
        if not apps:
            raise ControlError(f"fixture {self.runtime.fixture_source} has no mini-program app")
        return apps[0]

    @property
    def appid(self) -> str:
        return self.wechat_app["appid"]

    @property
    def secret(self) -> str:
        return self.wechat_app["secret"]

    @property
    def authing_app(self) -> Dict[str, Any]:
        """The default Authing app, exactly as ``GET /__mock__/apps`` lists it: ``appId``,
        ``userPoolId``, ``secret``, ``connection`` (its ``extIdpConnidentifier``), ..."""
        apps = self.control("GET", "/apps")["authing"]["apps"]
        if not apps:
            raise ControlError(f"fixture {self.runtime.fixture_source} has no Authing app")
        return apps[0]

    # --- what the mini program would receive --------------------------------------------------
    def login(self, user: Optional[str] = None, appid: Optional[str] = None) -> str:
        """A login code for ``user`` (alias or openid; a new user when None), as ``wx.login()`` gives."""
        return self.runtime.wechat.login.mint_login_code(appid or self.appid, user).code

    def phone_code(self, user: str, appid: Optional[str] = None) -> str:
        """A code for ``/wxa/business/getuserphonenumber``, as the getPhoneNumber button gives."""
        return self.runtime.wechat.login.mint_phone_code(appid or self.appid, user)

    def encrypted_data(self, user: str, kind: str = "userInfo", appid: Optional[str] = None) -> Dict[str, Any]:
        """``encryptedData``/``iv`` (and rawData/signature for userInfo) under the user's session key."""
        from ..wechat.views import open_data

        return open_data(self.runtime.wechat.login.open_data(appid or self.appid, user, kind))

    # --- who is there -------------------------------------------------------------------------
    @property
    def users(self) -> List[Dict[str, Any]]:
        """Every WeChat user, with their openid/unionid in each app (as ``GET /__mock__/users``)."""
        wechat = self.runtime.wechat
        return [wechat.describe_user(user) for user in wechat.users()]

    def user(self, ref: str) -> Dict[str, Any]:
        """One WeChat user by alias or openid (as ``GET /__mock__/users/<ref>``)."""
        wechat = self.runtime.wechat
        return wechat.describe_user(wechat.user(ref))

    # --- time and state -----------------------------------------------------------------------
    def advance_clock(self, seconds: float) -> float:
        """Move the mock's clock forward (codes and tokens expire by it); returns the new time."""
        return self.runtime.clock.advance(seconds)

    # --- faults and the request journal ----------------------------------------------------------
    def add_fault(self, **rule: Any) -> Dict[str, Any]:
        """A fault rule, as ``POST /__mock__/faults``: ``add_fault(endpoint="/sns/jscode2session",
        errcode=-1, times=1)``; returns the rule (with its ``id``)."""
        return self.control("POST", "/faults", rule)

    def journal(self, **filters: Any) -> Dict[str, Any]:
        """The requests the emulated APIs received, as ``GET /__mock__/requests`` (filters ``path``,
        ``appid``, ``user``, ``method``, ``since``, ``errcode``, ``status``, ``limit``): ``count``,
        ``by_path``, ``by_errcode`` and ``requests``."""
        return self.control("GET", "/requests?" + urlencode(filters) if filters else "/requests")

    def reset(self) -> None:
        """Back to the fixture state, as ``POST /__mock__/reset``."""
        self.runtime.reset()

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """Any control-plane route, in-process: ``control("GET", "/users")`` → the parsed JSON
        (the text, for answers that are not JSON).

        ``path`` is relative to ``/__mock__`` (``"/users"``; ``"/__mock__/users"`` works too);
        answers of 400 and above raise ``ControlError``.
        """
        path = path.lstrip("/")
        if path == "__mock__" or path.startswith("__mock__/"):
            path = path[len("__mock__"):].lstrip("/")
        data = b"" if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data else {}
        status, _, answer_headers, answer = inprocess.call(self.app, method, "http://localhost/__mock__/" + path,
                                                      headers, data)
        content_type = dict((k.lower(), v) for k, v in answer_headers).get("content-type", "")
        parsed = json.loads(answer) if "json" in content_type and answer.strip() else answer.decode()
        if status >= 400:
            message = parsed.get("error", parsed) if isinstance(parsed, dict) else parsed
            raise ControlError(f"{method} /__mock__/{path}: {message}", status)
        return parsed
