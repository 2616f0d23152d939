"""Authing's answers per API family — v2 REST, v3, GraphQL and OIDC — and its error bodies.

Which family a request belongs to is decided by its path (``FAMILIES``); errors are rendered in
that family's shape (see ``errors.py`` for the table and why v2 and GraphQL errors are HTTP 200).
"""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Dict, Optional, Union
from urllib.parse import urlencode

from flask import Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..runtime import current
from .errors import BAD_REQUEST, SERVER_ERROR, SERVER_ERROR_MESSAGE, SYSTEM_BUSY, V3_STATUS, AuthingError
from .messages import in_language
from .models import iso
from .repo import Record
from .tokens import V3_SCOPE, LoginStatus, Presented, TokenSet

if TYPE_CHECKING:  # only a type here; the login module loads with its first use
    from .authorize import Picker, Redirect
    from .consent import ConsentPage
    from .logins.wechat_miniprogram import MiniProgramPhone
    from .oidc_grants import GrantedTokens

V2_PREFIXES = ("/connections/", "/api/v2/", "/files/", "/logout")
V3_PREFIXES = ("/api/v3/",)
GRAPHQL_PREFIXES = ("/graphql/",)
OIDC_PREFIXES = ("/oidc/",)
#: The OIDC paths of one app: ``/<appId>/oidc/...``.
APP_OIDC_PATH = re.compile(r"^/[0-9a-f]{24}/oidc/")
FAMILIES = (("v3", V3_PREFIXES), ("graphql", GRAPHQL_PREFIXES), ("oidc", OIDC_PREFIXES), ("v2", V2_PREFIXES))
MALFORMED_BODY = b'{"code":200,"message":"'


# --- envelopes ------------------------------------------------------------------------------------
def v2(data: Any, message: str = "") -> Dict[str, Any]:
    return {"code": 200, "message": message, "data": data}


def v3(data: Any) -> Dict[str, Any]:
    return {"statusCode": 200, "message": "", "apiCode": 0, "requestId": current().random.hex(32), "data": data}


def v3_done() -> Dict[str, Any]:
    """A v3 answer without data (``CommonResponseDto``, ``SendSMSRespDto``)."""
    return {"statusCode": 200, "message": "", "apiCode": 0, "requestId": current().random.hex(32)}


#: What ``/api/v3/system`` says of the versions it runs (the mock's own).
VERSIONS = {"server": "mockserver", "console": "mockserver", "login": "mockserver"}


def system_info(public_key: str) -> Dict[str, Any]:
    """``SystemInfoResp``, as authing-node-sdk types it (no envelope); the mock has no SM2 key."""
    return {"rsa": {"publicKey": public_key}, "sm2": {"publicKey": ""}, "version": VERSIONS, "publicIps": []}


def v3_wechat_phone(phone: str, country_code: str) -> Dict[str, Any]:
    """``GetWechatMiniProgramPhoneRespDto``; @authing/miniapp-wx reads ``phone_info`` of the body."""
    info = {"phoneNumber": phone if country_code == "86" else f"+{country_code}{phone}",
            "purePhoneNumber": phone, "countryCode": country_code}
    return {**v3(info), "phone_info": info}


# --- errors ---------------------------------------------------------------------------------------
def v2_error(exc: AuthingError) -> Dict[str, Any]:
    return {"code": exc.code, "message": exc.message, "data": exc.data}


def v3_error(exc: AuthingError, request_id: str) -> Dict[str, Any]:
    body = {"statusCode": V3_STATUS.get(exc.code, 400), "message": exc.message, "apiCode": exc.code,
            "requestId": request_id}
    if exc.data is not None:
        body["data"] = exc.data
    return body


def graphql_error(exc: AuthingError, language: Optional[str] = None) -> Dict[str, Any]:
    return {"message": {"code": exc.code, "message": in_language(exc.message, language), "data": exc.data}}


def oidc_error(exc: AuthingError) -> Dict[str, Any]:
    return {"error": exc.oidc_error, "error_description": exc.message}


def oidc_status(exc: AuthingError) -> int:
    return 401 if exc.oidc_error in ("invalid_token", "invalid_client") else 400


def family(path: str) -> str:
    if APP_OIDC_PATH.match(path):
        return "oidc"
    return next((name for name, prefixes in FAMILIES if path.startswith(prefixes)), "v2")


def render_error(exc: AuthingError, status: int = 200) -> Response:
    """``exc`` in the format of the request's API family. ``status`` is the HTTP status of an HTTP
    error (404, 405, 413) or of a failure (500): v3 and OIDC answer with it, v2 and GraphQL always
    with 200 — their SDKs read ``code`` only from a 2xx answer (see errors.py)."""
    kind = family(request.path)
    language = request.headers.get("x-authing-lang")
    if language == "en-US":
        exc = AuthingError(exc.code, in_language(exc.message, language), exc.data, exc.oidc_error)
    if kind == "v3":
        response = jsonify(v3_error(exc, current().random.hex(32)))
    elif kind == "graphql":
        response, status = jsonify({"data": None, "errors": [graphql_error(exc)]}), 200
    elif kind == "oidc":
        response = jsonify(oidc_error(exc))
        status = oidc_status(exc) if status == 200 else status
        if exc.oidc_error == "invalid_token":
            # RFC 6750's header; its description stays in the body: headers carry Latin-1 only, and
            # the message is Chinese (a non-Latin-1 header makes the WSGI server answer a bare 500).
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        elif exc.oidc_error == "invalid_client" and request.authorization and request.authorization.type == "basic":
            response.headers["WWW-Authenticate"] = 'Basic realm="authing"'  # RFC 6749 §5.2
    else:
        response, status = jsonify(v2_error(exc)), 200
    response.status_code = status
    return response


def render_http_error(exc: HTTPException) -> Response:
    return render_error(AuthingError(exc.code or BAD_REQUEST, exc.description or exc.name,
                                     oidc_error="invalid_request"), status=exc.code or 400)


def render_internal_error(exc: Exception) -> Response:
    return render_error(AuthingError(SYSTEM_BUSY, "系统繁忙，请稍后再试", oidc_error="server_error"), status=500)


def render_backend_error(exc: Exception) -> Response:
    """The state backend cannot serve the request: Authing's 500 in the family's envelope (v3 and
    OIDC with HTTP 500; v2 and GraphQL with HTTP 200, as their SDKs need: see errors.py)."""
    return render_error(AuthingError(SERVER_ERROR, SERVER_ERROR_MESSAGE, oidc_error="server_error"), status=500)


def error_code(body: Any, status: int) -> Optional[int]:
    """Authing's code in an answer: v2 ``code``, v3 ``apiCode``/``statusCode``, GraphQL
    ``errors[0].message.code``; 0 for success, None when an OIDC error or unknown."""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            message = errors[0].get("message") if isinstance(errors[0], dict) else None
            return message.get("code") if isinstance(message, dict) else None
        if isinstance(body.get("apiCode"), int):
            return body["apiCode"]
        for key in ("code", "statusCode"):
            if isinstance(body.get(key), int):
                return 0 if body[key] == 200 else body[key]
        if isinstance(body.get("error"), str):
            return None
    return 0 if status < 400 else None


# --- users ----------------------------------------------------------------------------------------
def presented(value: Presented) -> Dict[str, Any]:
    """A user as the v2 API and GraphQL return it to its own client: with its token."""
    shown = {k: v for k, v in value.user.items() if k != "customData"}
    shown["token"] = value.token
    shown["tokenExpiredAt"] = iso(value.expires_at) if value.expires_at else None
    return shown


#: The ``type`` of a WeChat identity: the kind of id it is known by.
IDENTITY_TYPE = "openid"
#: What Authing answers for a user's roles, groups, departments and resources: the mock has none.
_NO_PAGE = {"totalCount": 0, "list": []}


def graphql_user(value: Presented) -> Dict[str, Any]:
    """A user as GraphQL's ``User`` (``schema/core.graphql``): the v2 user, its identities with
    their ``type`` and ``extIdpId``, its custom data as typed entries, and empty pages of the
    roles, groups, departments and resources the mock does not model. Fields missing here
    (``password``, ``oauth``, ``expiredAt``, ...) answer null."""
    shown = presented(value)
    shown["identities"] = [{**i, "type": IDENTITY_TYPE, "extIdpId": i.get("connectionId")}
                           for i in value.user.get("identities") or []]
    shown["customData"] = [custom_data_entry(key, item)
                           for key, item in (value.user.get("customData") or {}).items()]
    for field in ("roles", "groups", "departments", "authorizedResources"):
        shown[field] = _NO_PAGE
    return shown


def custom_data_entry(key: str, value: Any) -> Dict[str, Any]:
    """One custom data value as Authing's ``UserCustomData``: the value as a string, typed by
    ``dataType`` the way authing-js-sdk parses it back (JSON for numbers, booleans and objects)."""
    if isinstance(value, bool):
        kind, text = "BOOLEAN", json.dumps(value)
    elif isinstance(value, (int, float)):
        kind, text = "NUMBER", json.dumps(value)
    elif isinstance(value, (dict, list)):
        kind, text = "OBJECT", json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        kind, text = "STRING", value
    return {"key": key, "value": text, "label": None, "dataType": kind}


#: The fields of authing-node-sdk's ``UserDto`` the mock keeps under the same name.
V3_SAME_FIELDS = ("status", "username", "email", "phone", "phoneCountryCode", "loginsCount", "lastLogin",
                  "nickname", "name", "photo", "birthdate", "country", "province", "city", "address",
                  "streetAddress", "postalCode", "company", "externalId", "browser", "device", "givenName",
                  "familyName", "middleName", "profile", "preferredUsername", "website", "zoneinfo", "locale",
                  "formatted", "region", "registerSource", "signedUp", "passwordLastSetAt")


def v3_user(user: Record, with_identities: bool = False, with_custom_data: bool = False) -> Dict[str, Any]:
    """A user as authing-node-sdk's ``UserDto`` has it: every field, null where the mock has no data."""
    shown: Dict[str, Any] = {"userId": user["id"], "createdAt": user["createdAt"], "updatedAt": user["updatedAt"]}
    shown.update({name: user.get(name) for name in V3_SAME_FIELDS})
    shown.update({
        "workStatus": "Active", "gender": user.get("gender") or "U",
        "emailVerified": bool(user.get("emailVerified")), "phoneVerified": bool(user.get("phoneVerified")),
        "lastIp": user.get("lastIP"), "userSourceType": "register", "userSourceId": None, "lastLoginApp": None,
        "mainDepartmentId": None, "lastMfaTime": None, "passwordSecurityLevel": None,
        "resetPasswordOnNextLogin": False, "departmentIds": [], "identityNumber": None, "metadataSource": None,
        "postIdList": [], "statusChangedAt": None, "tenantId": None,
    })
    if with_identities:
        shown["identities"] = [{"identityId": f"{i['connectionId']}:{i['openid']}", "extIdpId": i["connectionId"],
                                "provider": i["provider"], "type": IDENTITY_TYPE, "userIdInIdp": i["userIdInIdp"],
                                "originConnIds": [i["connectionId"]]} for i in user.get("identities") or []]
    if with_custom_data:
        shown["customData"] = user.get("customData") or {}
    return shown


def miniprogram_phone(value: MiniProgramPhone) -> Dict[str, Any]:
    return {"countryCode": value.country_code, "phoneNumber": value.phone, "purePhoneNumber": value.pure_phone,
            "openid": value.openid, "unionid": value.unionid}


def token_set(value: TokenSet) -> Dict[str, Any]:
    """v3's token answer. Its lifetime goes under both names the sources give: ``expire_in``
    (the SDK DTOs generated from Authing's API spec) and ``expires_in`` (@authing/miniapp-wx)."""
    body = {"scope": value.scope, "access_token": value.access_token, "id_token": value.id_token,
            "token_type": "Bearer", "expire_in": value.expires_in, "expires_in": value.expires_in}
    if value.refresh_token is not None:
        body["refresh_token"] = value.refresh_token
    return body


def login_status(value: LoginStatus) -> Dict[str, Any]:
    if value.claims is None or value.user is None:
        return {"code": value.code, "message": value.message, "status": False, "exp": None, "iat": None, "data": None}
    user = value.user
    return {"code": value.code, "message": value.message, "status": True, "exp": value.claims["exp"],
            "iat": value.claims["iat"],
            "data": {"id": user["id"], "userPoolId": user["userPoolId"], "arn": user["arn"]}}


# --- OIDC ---------------------------------------------------------------------------------------
SCOPES_SUPPORTED = ["openid", "profile", "email", "phone", "address", "offline_access"]
GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials", "password"]
AUTH_METHODS = ["none", "client_secret_post", "client_secret_basic"]


def discovery(issuer: str, app: Optional[Record] = None) -> Dict[str, Any]:
    """What the provider at ``issuer`` serves — all of it, and nothing else; for one app's own
    issuer (``app``), the grants and auth methods that app accepts."""
    grants = [g for g in GRANT_TYPES if app is None or g in app["grantTypes"]]
    methods = [m for m in AUTH_METHODS if app is None or m in app["authMethods"]]
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/auth",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/me",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "introspection_endpoint": f"{issuer}/token/introspection",
        "revocation_endpoint": f"{issuer}/token/revocation",
        "end_session_endpoint": f"{issuer}/session/end",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": grants,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "HS256"],
        "token_endpoint_auth_methods_supported": methods,
        "introspection_endpoint_auth_methods_supported": methods,
        "revocation_endpoint_auth_methods_supported": methods,
        "code_challenge_methods_supported": ["S256", "plain"],
        "claim_types_supported": ["normal"],
        "scopes_supported": SCOPES_SUPPORTED,
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "nickname", "picture", "gender",
                             "phone_number", "phone_number_verified", "email", "email_verified",
                             "preferred_username", "given_name", "family_name", "birthdate", "locale", "updated_at"],
    }


def token_response(value: GrantedTokens) -> Response:
    """RFC 6749 §5.1, never cached."""
    body: Dict[str, Any] = {"access_token": value.access_token, "token_type": "Bearer",
                            "expires_in": value.expires_in, "scope": value.scope}
    if value.id_token is not None:
        body["id_token"] = value.id_token
    if value.refresh_token is not None:
        body["refresh_token"] = value.refresh_token
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def redirect_to(value: Redirect) -> Response:
    """The authorization (or logout) response in its mode: a 302 with the params in the query or the
    fragment, or an auto-submitting form (form_post: an inline script, or a button without scripts)."""
    if value.mode == "form_post":
        response = Response(render_template("oidc_form_post.html", uri=value.uri, params=value.params))
    else:
        location = value.uri
        if value.params:
            separator = "#" if value.mode == "fragment" else ("&" if "?" in location else "?")
            location += separator + urlencode(value.params)
        response = Response(status=302, headers={"Location": location})
    response.headers["Cache-Control"] = "no-store"
    return response


def hosted_page(value: Union[Picker, ConsentPage], action: str, csrf_token: str) -> Response:
    """The login page, or the consent page (``<form name="consent">``, buttons ``decision`` allow or deny)."""
    from .consent import ConsentPage  # loaded with the OIDC provider

    if isinstance(value, ConsentPage):
        return page_headers(Response(render_template(
            "oidc_consent.html", app=value.app, user=value.user, scopes=value.scopes, ticket=value.ticket,
            params=value.params, error=value.error, action=action, csrf_token=csrf_token),
            status=400 if value.error else 200))
    return picker(value, action, csrf_token)


def page_headers(response: Response) -> Response:
    """A hosted page is never cached, never framed, and loads nothing."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


def picker(value: Picker, action: str, csrf_token: str) -> Response:
    """The login page: a button per person (``data-persona="<alias>"``) and the login and register
    forms (posted to ``action`` with ``csrf_token``); user fields are escaped. 400 after a refused
    submission (its message on the page)."""
    response = Response(render_template("oidc_login.html", app=value.app, personas=value.personas,
                                        params=value.params, error=value.error, notice=value.notice,
                                        refill=value.refill, action=action, csrf_token=csrf_token),
                        status=400 if value.error else 200)
    return page_headers(response)


def logged_out() -> Response:
    return Response(render_template("oidc_logged_out.html"))


def introspection(claims: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """Claims of an active token (verified for the authenticated client: ``aud`` is its id), or
    inactive. A member the token has no value for is left out (RFC 7662 types them; a refresh
    token has no ``jti``), never null."""
    if claims is None:
        return {"active": False}
    answer = {"active": True, "sub": claims["sub"], "client_id": claims["aud"], "exp": claims["exp"],
              "iat": claims["iat"], "iss": claims.get("iss"), "aud": claims["aud"], "jti": claims.get("jti"),
              "scope": claims.get("scope", V3_SCOPE), "token_type": "Bearer"}
    return {name: value for name, value in answer.items() if value is not None}


def userinfo(user: Record, scope: str) -> Dict[str, Any]:
    """``/oidc/me``: ``sub`` and the standard claims of each scope granted (OIDC Core §5.4), every
    one present, null where the user has no value (as Authing's tokens carry them)."""
    granted = set(scope.split())
    claims: Dict[str, Any] = {"sub": user["id"]}
    if "profile" in granted:
        claims.update({
            "name": user.get("name"), "given_name": user.get("givenName"), "family_name": user.get("familyName"),
            "middle_name": user.get("middleName"), "nickname": user.get("nickname"),
            "preferred_username": user.get("preferredUsername"), "profile": user.get("profile"),
            "picture": user.get("photo"), "website": user.get("website"), "gender": user.get("gender") or "U",
            "birthdate": user.get("birthdate"), "zoneinfo": user.get("zoneinfo"), "locale": user.get("locale"),
            "updated_at": user.get("updatedAt")})
    if "email" in granted:
        claims.update({"email": user.get("email"), "email_verified": bool(user.get("emailVerified"))})
    if "phone" in granted:
        claims.update({"phone_number": user.get("phone"), "phone_number_verified": bool(user.get("phoneVerified"))})
    if "address" in granted:
        claims["address"] = {"formatted": user.get("formatted"), "street_address": user.get("streetAddress"),
                             "locality": user.get("locality"), "region": user.get("region"),
                             "postal_code": user.get("postalCode"), "country": user.get("country")}
    return claims
