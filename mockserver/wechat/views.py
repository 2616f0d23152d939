"""WeChat's answers: domain values → the JSON the real service sends, and its error bodies.

Every answer is HTTP 200 JSON, compact and without a trailing newline (co-wechat-api fails on
control characters); errors are ``{"errcode": N, "errmsg": "... rid: ..."}``, the errmsg's ending
and some texts depending on the path family (``errmsg_of``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from flask import Response, has_request_context, request
from werkzeug.exceptions import HTTPException

from ..runtime import current
from .crypto import dumps
from .errors import ERRMSG, WeChatError
from .login import MintedCode, OpenData, PhoneNumber, Session, decrypted_phone
from .tokens import AccessToken

if TYPE_CHECKING:  # only types here; these modules load with their first use
    from .content import Verdict
    from .links import LinkInfo, Opened
    from .media import Download, Uploaded
    from .quotas import Quota
    from .risk import RiskRank
    from .subscriptions import ConsentChange
    from .user_keys import UserKey

JSON_TYPE = "application/json; encoding=utf-8"
MALFORMED_BODY = b'{"errcode":0,"errmsg":"ok","'


def wechat_json(body: Dict[str, Any]) -> Response:
    return Response(dumps(body), status=200, content_type=JSON_TYPE)


def jpeg(image: bytes) -> Response:
    """An image answer (the mini-program codes): JPEG bytes, which typed clients tell from an
    error by the content type, or (EasyWeChat) by an attachment disposition. The name WeChat
    gives the file is not documented: none is given."""
    response = Response(image, status=200, content_type="image/jpeg")
    response.headers["Content-disposition"] = "attachment"
    return response


def ok(**fields: Any) -> Dict[str, Any]:
    """A successful answer of the APIs that say so: ``errcode`` 0 first."""
    return {"errcode": 0, "errmsg": "ok", **fields}


#: What comes between an errmsg and its rid, by path family: ``sns/*`` (the older login and OAuth
#: servers) write ``invalid code, rid: …``; ``cgi-bin/*``, ``wxa/*`` and the rest ``invalid appid rid: …``.
RID_SEPARATORS = (("/sns/", ", rid: "),)
RID_SEPARATOR = " rid: "
#: Newer texts one path family sends instead of the errmsg of ``ERRMSG`` (same errcode).
FAMILY_ERRMSGS = {
    ("/cgi-bin/", 40001): ERRMSG[40001] + ", could get access_token by getStableAccessToken, "
                                          "more details at https://mmbizurl.cn/s/JtxxFh33r",
}


def errmsg_of(exc: WeChatError, path: str, rid: str) -> str:
    """The errmsg WeChat writes for ``exc`` on ``path``: the family's text (for an errmsg not
    overridden), then the family's separator and the rid."""
    family = "/" + path.lstrip("/").split("/", 1)[0] + "/"
    text = exc.errmsg
    if text == ERRMSG.get(exc.errcode):
        text = FAMILY_ERRMSGS.get((family, exc.errcode), text)
    separator = next((sep for prefix, sep in RID_SEPARATORS if family == prefix), RID_SEPARATOR)
    return f"{text}{separator}{rid}"


def render_error(exc: WeChatError, now: Optional[float] = None) -> Response:
    rt = current()
    rid = rt.random.rid(rt.clock.now() if now is None else now)
    path = request.path if has_request_context() else ""
    return wechat_json({"errcode": exc.errcode, "errmsg": errmsg_of(exc, path, rid)})


def render_backend_error(exc: Exception) -> Response:
    """The state backend cannot serve the request: WeChat's transient ``-1 system error`` (clients
    retry it), its rid from the time last known (reading the clock would need the store)."""
    return render_error(WeChatError(-1), now=current().clock.last_known())


def render_http_error(exc: HTTPException) -> Response:
    if exc.code == 413:
        return render_error(WeChatError(47001))
    if exc.code == 404:
        return render_error(WeChatError(40066))
    return render_error(WeChatError(-1))


def render_not_emulated(exc: HTTPException) -> Response:
    """A path WeChat has no API at (or one the mock lacks): the real service's ``40066 invalid url``
    ("check that the API's URL is the one documented"), HTTP 200 like every WeChat answer."""
    return render_error(WeChatError(40066))


def render_internal_error(exc: Exception) -> Response:
    return render_error(WeChatError(-1))


def error_code(body: Any, status: int) -> Any:
    """The errcode of an answer (a success without one: 0)."""
    if isinstance(body, dict) and isinstance(body.get("errcode"), int):
        return body["errcode"]
    return 0 if status < 400 else None


# --- the API ---------------------------------------------------------------------------------
def session(value: Session) -> Dict[str, Any]:
    answer = {"session_key": value.session_key, "openid": value.openid}
    if value.unionid:
        answer["unionid"] = value.unionid
    return answer


def access_token(value: AccessToken) -> Dict[str, Any]:
    return {"access_token": value.token, "expires_in": value.expires_in}


def phone_info(value: PhoneNumber) -> Dict[str, Any]:
    """``getuserphonenumber``'s ``phone_info`` (``countryCode`` the string ``"86"``, as in open data:
    typed clients fail to parse a number)."""
    return {**decrypted_phone(value), "watermark": {"timestamp": value.timestamp, "appid": value.appid}}


def security_verdict(value: Verdict) -> Dict[str, Any]:
    """``msg_sec_check`` v2's answer (v1 says only ``ok``)."""
    return ok(detail=value.detail, trace_id=value.trace_id, result={"suggest": value.suggest, "label": value.label})


def link_query(name: str, info: Optional[LinkInfo], remain_visit_quota: Optional[int]) -> Dict[str, Any]:
    """``query_urllink`` (``url_link_info``) and ``queryscheme`` (``scheme_info``): the link, or
    (``query_type`` 1) the opens left today."""
    if info is None:
        return ok(quota_info={"remain_visit_quota": remain_visit_quota})
    shown = {field: value for field, value in info._asdict().items() if field not in ("cloud_base", "visit_openid")}
    if info.cloud_base is not None:
        # the doc's table says domain, its example (and the Go SDKs that follow it) doamin: both are given
        shown["cloud_base"] = {**info.cloud_base, "doamin": info.cloud_base["domain"]}
    return ok(**{name: shown, "visit_openid": info.visit_openid})


def quota(value: Quota) -> Dict[str, Any]:
    return value._asdict()


def order(value: Dict[str, Any]) -> Dict[str, Any]:
    """A paid order as ``get_order``/``get_order_list`` answer it (``shipping`` once uploaded)."""
    answer = {key: value[key] for key in ("transaction_id", "merchant_id", "sub_merchant_id", "merchant_trade_no",
                                          "description", "paid_amount", "openid", "trade_create_time",
                                          "pay_time", "order_state", "in_complaint")}
    shipping = value["shipping"]
    if shipping is not None:
        answer["shipping"] = {
            "delivery_mode": shipping["delivery_mode"], "logistics_type": shipping["logistics_type"],
            "finish_shipping": shipping["finished"], "goods_desc": shipping["packages"][0]["goods_desc"],
            "finish_shipping_count": len(shipping["packages"]) if shipping["finished"] else 0,
            "shipping_list": shipping["packages"]}
    return answer


def risk_rank(value: RiskRank) -> Dict[str, Any]:
    """``getuserriskrank``'s answer: its success errmsg is its own."""
    return {"errcode": 0, "errmsg": "getuserriskrank succ", **value._asdict()}


def user_keys(keys: List[Tuple[UserKey, int]]) -> Dict[str, Any]:
    """``getuserencryptkey``: ``key_info_list``, newest first, in WeChat's field order."""
    return ok(key_info_list=[{"encrypt_key": key.encrypt_key, "version": key.version, "expire_in": expire_in,
                              "iv": key.iv, "create_time": key.create_time} for key, expire_in in keys])


# --- what the mini program receives (the control plane's answers) ------------------------------
def latest_user_key(value: UserKey, expire_time: int) -> Dict[str, Any]:
    """What ``UserCryptoManager.getLatestUserKey`` resolves (``expireTime``: when the key expires)."""
    return {"encryptKey": value.encrypt_key, "iv": value.iv, "version": value.version, "expireTime": expire_time,
            "errMsg": "getLatestUserKey:ok"}


def opened_link(value: Opened) -> Dict[str, Any]:
    """What the mini program starts with when a user opens a link (``App.onLaunch``'s options)."""
    return value._asdict()


def minted_code(value: MintedCode) -> Dict[str, Any]:
    return {"code": value.code, "errMsg": "login:ok", "openid": value.openid}


def consent_answer(openid: str, changes: "List[ConsentChange]") -> Dict[str, Any]:
    """What ``wx.requestSubscribeMessage`` resolves — ``{template id: "accept" | "reject"}`` — with
    the user's openid and the kind of each template."""
    return {"openid": openid, "results": {c.template_id: c.status for c in changes},
            "kinds": {c.template_id: c.kind for c in changes}}


def phone_code(code: str) -> Dict[str, Any]:
    return {"code": code, "errMsg": "getPhoneNumber:ok"}


def open_data(value: OpenData) -> Dict[str, Any]:
    if value.kind == "phoneNumber":
        return {"encryptedData": value.encrypted_data, "iv": value.iv, "errMsg": "getPhoneNumber:ok"}
    return {"encryptedData": value.encrypted_data, "iv": value.iv, "rawData": value.raw_data,
            "signature": value.signature, "userInfo": value.user_info, "errMsg": "getUserProfile:ok"}


def uploaded_media(value: Uploaded) -> Dict[str, Any]:
    return ok(type=value.type, media_id=value.media_id, created_at=value.created_at)


def media_download(value: Download) -> Response:
    """The file itself, as WeChat serves it: its type, and an attachment named after the media_id."""
    response = Response(value.data, status=200, content_type=value.content_type)
    response.headers["Content-disposition"] = f'attachment; filename="{value.filename}"'
    response.headers["Cache-Control"] = "no-cache, must-revalidate"
    return response
