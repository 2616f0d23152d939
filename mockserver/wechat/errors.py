"""WeChat's wire format for errors: HTTP 200, ``{"errcode": N, "errmsg": "... rid: ..."}`` (the
ending and some texts per path family: ``views.errmsg_of``)."""
from __future__ import annotations

#: The errmsgs the real service sends, by errcode (``rid`` is appended when rendering; a path
#: family may send a newer text, ``views.FAMILY_ERRMSGS``).
ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40014: "invalid access_token",
    40029: "invalid code",
    40037: "invalid template_id",
    40066: "invalid url",
    40097: "invalid args",
    40125: "invalid appsecret",
    40129: "invalid scene",
    40159: "invalid length for path, or the data is not json string",
    40163: "code been used",
    40169: "invalid length for scene, or the data is not json string",
    40226: "code blocked",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    41030: "invalid page",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    43101: "user refuse to accept the msg",
    44002: "empty post data",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit mustslower retry next minute",
    45029: "qrcode count out of limit",
    47001: "data format error",
    47003: "argument invalid!",
    61010: "user has not accessed the mini program in 2 hours",  # the errcode is documented, not its text
    48001: "api unauthorized",
    87008: "invalid sig_method",
    87009: "invalid signature",
    87014: "risky content",
    89002: "open not exists",
    89300: "invalid trade",
    20001: "template not found",  # deltemplate's documented errcode (its text unconfirmed)
    200012: "template count reach limit",  # the errcode is documented, not this text
    200014: "tid does not exist",
    200016: "invalid parameter start",
    200017: "invalid parameter limit",
    200018: "missing parameter ids",
    200019: "invalid parameter ids",
    200020: "invalid keywords",
    200021: "invalid parameter sceneDesc",  # the errcode is documented, not this text
    # customer-service messages and temporary media
    40004: "invalid media type",
    40005: "invalid file type",
    40006: "invalid meida size",  # sic
    40007: "invalid media_id",
    40008: "invalid message type",
    41005: "media data missing",
    41006: "media_id missing",
    44004: "empty content",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    45072: "invalid command",
    45080: "need sending message to user, or recving message from user in the last 30 seconds before typing",
    45081: "you are already typing",
    # links, quotas, risk ranks, shipping (their modules cite the rules)
    40165: "invalid weapp pagepath",
    40212: "invalid query",
    43104: "appid not match openid",
    48006: "forbid to clear quota because of reaching the limit",
    76021: "cgi_path not found, please check",
    76022: "could not use this cgi_path, no permission",
    85400: "reach max long time quota limit",
    85401: "time limit between 1min and 1year",
    85402: "invalid env_version",
    85403: "link not exist",
    10060001: "支付单不存在",
    10060003: "支付单已使用重新发货机会",
    10060004: "支付单处于不可发货的状态",
    10060006: "非快递发货时不允许分拆发货",
    10060007: "分拆发货模式下必须填写is_all_delivered字段",
    10060008: "商品描述item_desc字段不能为空",
    10060009: "商品描述item_desc字段太长",
    10060024: "物流信息列表太长",
    10060025: "物流公司编码太长",
    10060026: "物流单号太长",
    268485216: "上传时间非法，请按照RFC 3339格式填写",
    268485224: "发货模式非法",
    268485226: "物流单号不能为空",
    268485227: "物流公司编码不能为空",
    268485228: "统一发货模式下，物流信息列表长度必须为1",
}


class WeChatError(Exception):
    """An answer in WeChat's error format; raised by the service, rendered by one handler."""

    def __init__(self, errcode: int, detail: str = ""):
        self.errcode = errcode
        base = ERRMSG.get(errcode, "system error")
        self.errmsg = f"{base} {detail}" if detail else base
        super().__init__(f"{errcode} {self.errmsg}")
