"""v2 REST routes: the current user, SMS, logout, uploads, token validation and the password key."""
from __future__ import annotations

from flask import Blueprint, Response, request

from .. import views
from ..errors import bad_request
from . import RouteTable, authing, base_url, caller, json_object, register


def users_me():
    return views.v2(views.presented(authing().account.me(caller())), "获取成功")


def sms_send():
    phone = json_object().get("phone")
    authing().sms.send(caller(), phone)
    return {"code": 200, "message": "发送成功"}


def logout():
    authing().tokens.logout(caller())
    return {"code": 200, "message": "退出登录成功"}


def upload():
    from ..files import MAX_FILE_BYTES  # Authing's files part is imported on first use (start-up time)

    upload_file = request.files.get("file")
    if upload_file is None:
        raise bad_request("请上传文件（multipart 字段 file）")
    data = upload_file.read(MAX_FILE_BYTES + 1)  # no more than it takes to refuse a file too large
    mimetype = upload_file.mimetype if upload_file.mimetype != "application/octet-stream" else None
    key = authing().files.upload(request.args.get("folder"), upload_file.filename, mimetype, data)
    return views.v2({"key": key, "url": f"{base_url()}/files/{key}"}, "上传成功")


def validate_token():
    q = request.args
    return authing().tokens.validate(caller(), q.get("id_token"), q.get("access_token"))


def uploaded_file(key: str):
    data, content_type = authing().files.get(key)
    response = Response(data, status=200, content_type=content_type)
    # The uploader chose the type: never let a browser run an upload as a page of the mock's origin.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def well_known():
    """The key v2 SDKs encrypt passwords with (authing-js-sdk's PublicKeyManager reads ``data.publicKey``)."""
    from ..credentials import public_key_pem  # loaded on first use

    return views.v2({"publicKey": public_key_pem()})


ROUTES: RouteTable = {
    "/api/v2/users/me": (("GET",), users_me),
    "/api/v2/sms/send": (("POST",), sms_send),
    "/api/v2/logout": (("GET",), logout),
    "/logout": (("GET",), logout),  # js-sdk's logoutCurrent: ?appId=..&deviceId=current
    "/api/v2/upload": (("POST",), upload),
    "/api/v2/oidc/validate_token": (("GET",), validate_token),
    "/files/<path:key>": (("GET",), uploaded_file),
    "/api/v2/.well-known": (("GET",), well_known),
}
blueprint = register(Blueprint("authing_v2", __name__), ROUTES)
