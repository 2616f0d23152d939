"""Emulation of WeChat's mini-program server API (``https://api.weixin.qq.com``).

``SERVICE`` describes it to the app (see ``mockserver/emulation.py``).
"""
from __future__ import annotations

from typing import Any, Dict

from ..core.errors import ControlError
from ..emulation import CallerFacts, EmulatedService, FaultError, OpenApiPart, RequestView, WireFormat
from . import control, dashboard, routes, views
from .errors import ERRMSG, WeChatError
from .service import WeChatService
from .stubs import STUBS


def caller(wechat: WeChatService, view: RequestView) -> CallerFacts:
    """The app(s), user and login code a request carries: an ``appid``, an ``access_token``'s
    app, a login or phone code's owner, an ``openid``/``touser``'s owner."""
    fields, directory = view.fields, wechat.directory
    facts = CallerFacts()
    facts.add_app(fields.get("appid"))
    facts.add_app(directory.token_appid(fields.get("access_token")))
    code = fields.get("js_code") or fields.get("code")
    facts.code = code if isinstance(code, str) and code else None
    for appid, alias in (directory.code_owner(facts.code),
                         directory.openid_owner(fields.get("openid") or fields.get("touser"))):
        if facts.user is None and alias:
            facts.add_app(appid)
            facts.user = alias
    return facts


def parse_fault(spec: Dict[str, Any]) -> Dict[str, Any]:
    errcode, errmsg = spec["errcode"], spec.get("errmsg")
    if not isinstance(errcode, int) or isinstance(errcode, bool) or errcode == 0:
        raise ControlError("'errcode' must be a non-zero integer")
    if errmsg is None and errcode not in ERRMSG:
        raise ControlError(f"errcode {errcode} has no known errmsg: give 'errmsg' too")
    if errmsg is not None and (not isinstance(errmsg, str) or not errmsg):
        raise ControlError("'errmsg' must be a non-empty string")
    return {"errcode": errcode, "errmsg": errmsg if errmsg is not None else ERRMSG[errcode]}


def fault(stored: Dict[str, Any]) -> WeChatError:
    error = WeChatError(stored["errcode"])
    error.errmsg = stored["errmsg"]
    return error


def openapi_part() -> OpenApiPart:
    from . import openapi  # only /__mock__/openapi.json needs it: not at start-up

    return openapi.PART


SERVICE = EmulatedService(
    name="wechat",
    title="WeChat",
    wire_formats=(WireFormat(routes.PREFIXES, views.render_http_error, views.render_internal_error,
                             views.render_backend_error, views.render_not_emulated),),
    blueprints=(routes.blueprint,),
    error_handlers={WeChatError: views.render_error},
    build=WeChatService,
    initial_state=lambda wechat, section, where, earlier: wechat.initial_state(section, where),
    caller=caller,
    error_code=views.error_code,
    fault_error=FaultError("errcode", ("errmsg",), parse_fault, fault),
    malformed_body=views.MALFORMED_BODY,
    control_blueprints=(control.blueprint,),
    openapi=openapi_part,
    open_control_paths=(control.WX_SHIM_PATH,),
    hosts=("api.weixin.qq.com",),
    describe_apps=lambda wechat: wechat.apps(),
    resolve_user=lambda wechat, ref: wechat.user(ref)["alias"],
    dashboard=control.dashboard,
    stubs=STUBS,
    dashboard_sections=dashboard.SECTIONS,
)
