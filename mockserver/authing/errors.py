"""Authing's error codes, and the one exception the Authing service raises.

The service raises ``AuthingError(code, message)``; which shape the client sees depends only on the
API family the request came through (chosen by path; ``views.py`` renders it):

=========  =====================================================================  ===========
family     body                                                                   HTTP status
=========  =====================================================================  ===========
v2 REST    ``{"code": 2020, "message": "...", "data": null}``                     200
v3         ``{"statusCode": 401, "message": "...", "apiCode": 2020, ...}``        200
GraphQL    ``{"errors": [{"message": {"code", "message", "data"}, ...}], ...}``   200
OIDC       ``{"error": "invalid_token", "error_description": "..."}``             400 / 401
=========  =====================================================================  ===========

HTTP 200 for v2 and GraphQL errors is what the SDKs need: authing-wxapp-sdk talks through axios,
which rejects any non-2xx answer before the SDK can read ``code``; its GraphQL client then reports
every such failure as ``{code: 500, message: "网络请求错误"}``. So an unknown path (404), a wrong
method (405), a body too large (413) or a failure of the mock (500) is also HTTP 200 there, with
that number as ``code``; v3 and OIDC answer those with the real HTTP status.
"""
from __future__ import annotations

from typing import Any, Optional

# Authing's codes (docs "错误代码"); the mock's own choices are marked.
SYSTEM_BUSY = 1000
NO_PERMISSION = 1001
BAD_VERIFY_CODE = 2001
USER_NOT_FOUND = 2004
USER_LOCKED = 2005
APP_NOT_FOUND = 2011
NOT_ALLOWED_FIELD = 2018
NOT_LOGGED_IN = 2020
BAD_PHONE = 2028
USERNAME_TAKEN = 2034
PHONE_BOUND = 2035
TOKEN_EXPIRED = 2206  # the mock's choice for "登录信息已过期"
TOKEN_INVALID = 2207  # the mock's choice for a token that is not valid (bad signature, revoked...)
POOL_NOT_FOUND = 2224
# Password, code logins and registration (docs "错误代码"; the mock's choices marked).
EMAIL_FORMAT = 2003
WRONG_PASSWORD = 2006  # v2's "密码不正确"
DECRYPT_FAILED = 2016
USER_EXISTS = 2026
EMAIL_BOUND = 2026  # the mock's choice for an email another user holds ("用户已存在")
PASSWORD_REQUIRED = 2032
WRONG_CREDENTIALS = 2333  # v3's "用户名或密码错误"
TOO_FREQUENT = 429  # the mock's choice for a second code to one phone or address within 60 s
BAD_REQUEST = 400  # parameter errors (Authing answers validate_token failures with code 400)
SERVER_ERROR = 500  # Authing's 500: the mock's answer while its state backend is down
#: Its message (the mock's choice: "the service is unavailable for now, try again later").
SERVER_ERROR_MESSAGE = "服务暂时不可用，请稍后再试"

#: v3 ``statusCode`` for each code (v3 puts the Authing code in ``apiCode``).
V3_STATUS = {
    NOT_LOGGED_IN: 401,
    TOKEN_EXPIRED: 401,
    TOKEN_INVALID: 401,
    NO_PERMISSION: 403,
    NOT_ALLOWED_FIELD: 403,
    USER_NOT_FOUND: 404,
    APP_NOT_FOUND: 404,
    POOL_NOT_FOUND: 404,
    SYSTEM_BUSY: 500,
    SERVER_ERROR: 500,
    TOO_FREQUENT: 429,
}


class AuthingError(Exception):
    """An answer in Authing's error format; raised by the service, rendered per API family."""

    def __init__(self, code: int, message: str, data: Any = None, oidc_error: Optional[str] = None):
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.data = data
        # The RFC 6749/6750 error name when the same failure reaches an OIDC endpoint.
        self.oidc_error = oidc_error or ("invalid_token" if code in (NOT_LOGGED_IN, TOKEN_EXPIRED, TOKEN_INVALID)
                                         else "invalid_request")


def bad_request(message: str) -> AuthingError:
    return AuthingError(BAD_REQUEST, message)
