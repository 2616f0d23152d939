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
}


class WeChatError(Exception):
    """An answer in WeChat's error format; raised by the service, rendered by one handler."""

    def __init__(self, errcode: int, detail: str = ""):
        self.errcode = errcode
        base = ERRMSG.get(errcode, "system error")
        self.errmsg = f"{base} {detail}" if detail else base
        super().__init__(f"{errcode} {self.errmsg}")
