"""Every WeChat route, in one table. A route reads the request into typed arguments, calls the
domain, and answers through a view."""
from __future__ import annotations

from typing import Any, Callable, Dict, Tuple

from flask import Blueprint, Response, request

from ..http import INVALID_JSON, NO_BODY, query_and_json_fields, request_json
from ..runtime import current
from . import servers, views
from .errors import WeChatError
from .repo import Record
from .service import WeChatService

blueprint = Blueprint("wechat", __name__)
PREFIXES = ("/sns/", "/cgi-bin/", "/wxa/", "/wxaapi/")


def wechat() -> WeChatService:
    return current().services["wechat"]


def json_body() -> Any:
    """The JSON body, whatever Content-Type says (wechatpy sends none)."""
    body = request_json()
    if body is NO_BODY:
        raise WeChatError(44002)
    if body is INVALID_JSON:
        raise WeChatError(47001)
    return body


def json_object() -> Dict[str, Any]:
    """The JSON body, which must be an object (47001 otherwise)."""
    body = json_body()
    if not isinstance(body, dict):
        raise WeChatError(47001)
    return body


def token_app() -> Record:
    """The app whose ``access_token`` the query carries (in the body it is a format error)."""
    token = request.args.get("access_token")
    body = request_json()
    if not token and request.method == "POST" and isinstance(body, dict) and "access_token" in body:
        raise WeChatError(47001)
    return wechat().tokens.resolve(token)


def jscode2session():
    q = request.args  # the query alone: a POST's body is not read (41002 without a query)
    return views.session(wechat().login.code_to_session(q.get("appid"), q.get("secret"), q.get("js_code"),
                                                        q.get("grant_type")))


def token():
    q = request.args
    return views.access_token(wechat().tokens.fetch(q.get("grant_type"), q.get("appid"), q.get("secret")))


def stable_token():
    body = json_object()
    return views.access_token(wechat().tokens.fetch_stable(body.get("grant_type"), body.get("appid"),
                                                           body.get("secret"), body.get("force_refresh", False)))


def get_user_phone_number():
    app = token_app()
    number = wechat().login.phone_number(app, json_object().get("code"))
    return views.ok(phone_info=views.phone_info(number))


def check_session():
    fields = query_and_json_fields()
    wechat().login.check_session(token_app(), fields.get("openid"), fields.get("signature"), fields.get("sig_method"))
    return views.ok()


def reset_user_session_key():
    fields = query_and_json_fields()
    openid = fields.get("openid")
    key = wechat().login.reset_session_key(token_app(), openid, fields.get("signature"), fields.get("sig_method"))
    return views.ok(openid=openid, session_key=key)


def get_paid_unionid():
    fields = query_and_json_fields()
    unionid = wechat().login.paid_unionid(token_app(), fields.get("openid"), fields.get("transaction_id"),
                                          fields.get("mch_id"), fields.get("out_trade_no"))
    return views.ok(unionid=unionid)


def msg_sec_check():
    app = token_app()
    body = json_object()
    content, version = wechat().content, body.get("version")
    if str(version if version is not None else 1) != "2":
        content.text_check_v1(body.get("content"))
        return views.ok()
    return views.security_verdict(content.text_check(app, body.get("content"), body.get("scene"), body.get("openid")))


def img_sec_check():
    from .content import MAX_IMAGE_BYTES  # the content module is imported on first use (start-up time)

    token_app()
    media = request.files.get("media")
    wechat().content.image_check(media.read(MAX_IMAGE_BYTES + 1) if media is not None else None)
    return views.ok()


def subscribe_send():
    app = token_app()
    return views.ok(msgid=wechat().messages.send_subscribe_message(app, json_object()))


def template_categories():
    token_app()
    return views.ok(data=wechat().templates.categories())


def public_template_titles():
    token_app()
    q = request.args
    count, titles = wechat().templates.titles(q.get("ids"), q.get("start"), q.get("limit"))
    return views.ok(count=count, data=titles)


def public_template_keywords():
    token_app()
    keywords = wechat().templates.keywords(request.args.get("tid"))
    return views.ok(count=len(keywords), data=keywords)


def add_template():
    """JSON, or a form as WeChat's documentation advises (``kidList=1&kidList=2``)."""
    app = token_app()
    if request.form:
        form = request.form
        body = {"tid": form.get("tid"), "kidList": form.getlist("kidList"), "sceneDesc": form.get("sceneDesc")}
    else:
        body = json_object()
    template_id = wechat().templates.add(app, body.get("tid"), body.get("kidList"), body.get("sceneDesc"))
    return views.ok(priTmplId=template_id)


def delete_template():
    app = token_app()
    body = request.form.to_dict() if request.form else json_object()
    wechat().templates.delete(app, body.get("priTmplId"))
    return views.ok()


def app_templates():
    app = token_app()
    return views.ok(data=list(wechat().templates.of_app(app["appid"]).values()))


def get_wxa_code_unlimit():
    return views.jpeg(wechat().wxacodes.unlimited(token_app(), json_object()))


def get_wxa_code():
    return views.jpeg(wechat().wxacodes.limited(token_app(), json_object()))


def create_wxa_qrcode():
    return views.jpeg(wechat().wxacodes.square(token_app(), json_object()))


def custom_send():
    app = token_app()
    wechat().customer_service.send(app, json_object())
    return views.ok()


def custom_typing():
    app = token_app()
    body = json_object()
    wechat().customer_service.typing(app, body.get("touser"), body.get("command"))
    return views.ok()


def media_upload():
    app = token_app()
    media = wechat().media
    upload = request.files.get("media")
    data = upload.read(media.max_bytes + 1) if upload is not None else None  # enough to refuse one too large
    return views.uploaded_media(media.upload(app, request.args.get("type"), data))


def media_get():
    app = token_app()
    return views.media_download(wechat().media.get(app, request.args.get("media_id")))


def media_check_async():
    app = token_app()
    body = json_object()
    trace_id = wechat().media_check.check_async(app, body.get("media_url"), body.get("media_type"),
                                                body.get("version"), body.get("scene"), body.get("openid"))
    return views.ok(trace_id=trace_id)


# --- links into the mini program, operations (links.py, quotas.py) ---------------------------------
def generate_urllink():
    app = token_app()
    return views.ok(url_link=wechat().links.url_link(app, json_object()))


def generate_scheme():
    app = token_app()
    return views.ok(openlink=wechat().links.scheme(app, json_object()))


def generate_short_link():
    app = token_app()
    body = json_object()
    return views.ok(link=wechat().links.short_link(app, body.get("page_url"), body.get("page_title"),
                                                   body.get("is_permanent")))


def query_urllink():
    app = token_app()
    body = json_object()
    return views.link_query("url_link_info", *wechat().links.query(app, "urllink", body.get("url_link"),
                                                                    body.get("query_type")))


def query_scheme():
    app = token_app()
    body = json_object()
    return views.link_query("scheme_info", *wechat().links.query(app, "scheme", body.get("scheme"),
                                                                  body.get("query_type")))


def get_callback_ip():
    token_app()
    return {"ip_list": list(servers.CALLBACK_IPS)}


def get_api_domain_ip():
    token_app()
    return {"ip_list": list(servers.API_DOMAIN_IPS)}


def get_api_quota():
    app = token_app()
    return views.ok(quota=views.quota(wechat().quotas.quota(app, json_object().get("cgi_path"), served=ROUTES)))


def clear_quota():
    app = token_app()
    wechat().quotas.clear(app, json_object().get("appid"))
    return views.ok()


def clear_quota_by_secret():
    fields = query_and_json_fields()
    app = wechat().login.authenticate(fields.get("appid"), fields.get("appsecret"))
    wechat().quotas.clear(app, app["appid"])
    return views.ok()


def get_user_risk_rank():
    app = token_app()
    return views.risk_rank(wechat().risk.rank(app, json_object()))


def get_user_encrypt_key():
    fields = query_and_json_fields()
    app = token_app()
    return views.user_keys(wechat().user_keys.server_keys(app, fields.get("openid"), fields.get("signature"),
                                                          fields.get("sig_method")))


# --- shipping information of paid orders (shipping.py) -------------------------------------------
def upload_shipping_info():
    app = token_app()
    wechat().shipping.upload(app, json_object())
    return views.ok()


def upload_combined_shipping_info():
    app = token_app()
    wechat().shipping.upload_combined(app, json_object())
    return views.ok()


def get_order():
    app = token_app()
    return views.ok(order=views.order(wechat().shipping.order(app, json_object())))


def get_order_list():
    app = token_app()
    orders, last_index, has_more = wechat().shipping.orders(app, json_object())
    return views.ok(last_index=last_index, has_more=has_more, order_list=[views.order(order) for order in orders])


def notify_confirm_receive():
    app = token_app()
    wechat().shipping.remind_receipt(app, json_object())
    return views.ok()


def set_msg_jump_path():
    app = token_app()
    wechat().shipping.set_jump_path(app, json_object().get("path"))
    return views.ok()


def is_trade_managed():
    app = token_app()
    return views.ok(is_trade_managed=wechat().shipping.trade_managed(app, json_object().get("appid"))[0])


def is_trade_management_confirmation_completed():
    app = token_app()
    return views.ok(completed=wechat().shipping.trade_managed(app, json_object().get("appid"))[1])


#: path → (allowed methods, handler)
ROUTES: Dict[str, Tuple[Tuple[str, ...], Callable[[], Any]]] = {
    "/sns/jscode2session": (("GET", "POST"), jscode2session),
    "/cgi-bin/token": (("GET",), token),
    "/cgi-bin/stable_token": (("POST",), stable_token),
    "/wxa/business/getuserphonenumber": (("POST",), get_user_phone_number),
    "/wxa/checksession": (("GET", "POST"), check_session),
    "/wxa/resetusersessionkey": (("GET", "POST"), reset_user_session_key),
    "/wxa/getpaidunionid": (("GET",), get_paid_unionid),
    "/wxa/msg_sec_check": (("POST",), msg_sec_check),
    "/wxa/img_sec_check": (("POST",), img_sec_check),
    "/cgi-bin/message/subscribe/send": (("POST",), subscribe_send),
    "/wxaapi/newtmpl/getcategory": (("GET",), template_categories),
    "/wxaapi/newtmpl/getpubtemplatetitles": (("GET",), public_template_titles),
    "/wxaapi/newtmpl/getpubtemplatekeywords": (("GET",), public_template_keywords),
    "/wxaapi/newtmpl/addtemplate": (("POST",), add_template),
    "/wxaapi/newtmpl/deltemplate": (("POST",), delete_template),
    "/wxaapi/newtmpl/gettemplate": (("GET",), app_templates),
    "/wxa/getwxacodeunlimit": (("POST",), get_wxa_code_unlimit),
    "/wxa/getwxacode": (("POST",), get_wxa_code),
    "/cgi-bin/wxaapp/createwxaqrcode": (("POST",), create_wxa_qrcode),
    "/cgi-bin/message/custom/send": (("POST",), custom_send),
    "/cgi-bin/message/custom/business/typing": (("POST",), custom_typing),
    "/cgi-bin/media/upload": (("POST",), media_upload),
    "/cgi-bin/media/get": (("GET",), media_get),
    "/wxa/media_check_async": (("POST",), media_check_async),
    # links into the mini program, operations
    "/wxa/generate_urllink": (("POST",), generate_urllink),
    "/wxa/generatescheme": (("POST",), generate_scheme),
    "/wxa/genwxashortlink": (("POST",), generate_short_link),
    "/wxa/query_urllink": (("POST",), query_urllink),
    "/wxa/queryscheme": (("POST",), query_scheme),
    "/cgi-bin/getcallbackip": (("GET",), get_callback_ip),
    "/cgi-bin/get_api_domain_ip": (("GET",), get_api_domain_ip),
    "/cgi-bin/openapi/quota/get": (("POST",), get_api_quota),
    "/cgi-bin/clear_quota": (("POST",), clear_quota),
    "/cgi-bin/clear_quota/v2": (("POST",), clear_quota_by_secret),
    "/wxa/getuserriskrank": (("POST",), get_user_risk_rank),
    "/wxa/business/getuserencryptkey": (("GET", "POST"), get_user_encrypt_key),
    "/wxa/sec/order/upload_shipping_info": (("POST",), upload_shipping_info),
    "/wxa/sec/order/upload_combined_shipping_info": (("POST",), upload_combined_shipping_info),
    "/wxa/sec/order/get_order": (("POST",), get_order),
    "/wxa/sec/order/get_order_list": (("POST",), get_order_list),
    "/wxa/sec/order/notify_confirm_receive": (("POST",), notify_confirm_receive),
    "/wxa/sec/order/set_msg_jump_path": (("POST",), set_msg_jump_path),
    "/wxa/sec/order/is_trade_managed": (("POST",), is_trade_managed),
    "/wxa/sec/order/is_trade_management_confirmation_completed": (("POST",),
                                                                  is_trade_management_confirmation_completed),
}

#: The routes that answer an image on success (``views.jpeg``), as endpoint names: what a stub of
#: them may answer in bytes (``stubs.py``).
IMAGE_ROUTES = {f"{blueprint.name}.{handler.__name__}"
                for handler in (get_wxa_code_unlimit, get_wxa_code, create_wxa_qrcode)}


def _endpoint(allowed: Tuple[str, ...], handler: Callable[[], Any]):
    def view():
        if request.method not in allowed:
            raise WeChatError(43002 if "POST" in allowed else 43001)
        result = handler()
        return result if isinstance(result, Response) else views.wechat_json(result)
    view.__name__ = handler.__name__
    return view


for _path, (_allowed, _handler) in ROUTES.items():
    blueprint.add_url_rule(_path, view_func=_endpoint(_allowed, _handler),
                           methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
