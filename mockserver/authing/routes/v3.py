"""v3 routes: sign-in (by the mini program, a password or a code), registration, codes by SMS and
email, the password key, the profile and what a user binds, and open-data decryption."""
from __future__ import annotations

from typing import Any, Tuple

from flask import Blueprint

from .. import views
from ..errors import bad_request
from . import RouteTable, authing, caller, flag, json_object, register

#: The channels a code may be sent on (SendSMSDto, SendEmailDto).
SMS_CHANNELS = ("CHANNEL_LOGIN", "CHANNEL_REGISTER", "CHANNEL_RESET_PASSWORD", "CHANNEL_BIND_PHONE",
                "CHANNEL_UNBIND_PHONE", "CHANNEL_BIND_MFA", "CHANNEL_VERIFY_MFA", "CHANNEL_UNBIND_MFA",
                "CHANNEL_COMPLETE_PHONE", "CHANNEL_IDENTITY_VERIFICATION", "CHANNEL_DELETE_ACCOUNT")
EMAIL_CHANNELS = ("CHANNEL_LOGIN", "CHANNEL_REGISTER", "CHANNEL_RESET_PASSWORD", "CHANNEL_VERIFY_EMAIL_LINK",
                  "CHANNEL_UPDATE_EMAIL", "CHANNEL_BIND_EMAIL", "CHANNEL_UNBIND_EMAIL", "CHANNEL_VERIFY_MFA",
                  "CHANNEL_UNLOCK_ACCOUNT", "CHANNEL_COMPLETE_EMAIL", "CHANNEL_DELETE_ACCOUNT")


def checked_channel(channel: Any, channels: Tuple[str, ...]) -> str:
    if channel not in channels:
        raise bad_request("channel 必须是 " + "、".join(channels) + " 之一")
    return channel


def signin_by_mobile():
    return views.v3(views.token_set(authing().wechat_miniprogram.signin_by_mobile(caller(), json_object())))


def get_profile():
    user = authing().account.profile(caller())
    return views.v3(views.v3_user(user, flag("withIdentities"), flag("withCustomData")))


def update_profile():
    return views.v3(views.v3_user(authing().account.update_profile(caller(), json_object())))


def decrypt_wechat_miniprogram_data():
    return views.v3(authing().wechat_miniprogram.decrypt(caller(), json_object()))


def signin():
    return views.v3(views.token_set(authing().v3_credentials.signin(caller(), json_object())))


def signup():
    return views.v3(views.v3_user(authing().v3_credentials.signup(caller(), json_object())))


def send_sms():
    body = json_object()
    authing().sms.send(caller(), body.get("phoneNumber"), checked_channel(body.get("channel"), SMS_CHANNELS))
    return views.v3_done()


def send_email():
    body = json_object()
    authing().emails.send(caller(), body.get("email"), checked_channel(body.get("channel"), EMAIL_CHANNELS))
    return views.v3_done()


def system():
    from ..credentials import public_key_pem  # the password key, loaded on first use

    return views.system_info(public_key_pem())


def update_password():
    body = json_object()
    from ..credentials import password_given

    new = password_given(body.get("newPassword"), body.get("passwordEncryptType"))
    old = body.get("oldPassword")
    old = password_given(old, body.get("passwordEncryptType")) if old is not None else None
    authing().account.update_password(caller(), new, old)
    return views.v3_done()


def bind_phone():
    body = json_object()
    authing().account.bind_phone(caller(), body.get("phoneNumber"), body.get("passCode"))
    return views.v3_done()


def bind_email():
    body = json_object()
    authing().account.bind_email(caller(), body.get("email"), body.get("passCode"))
    return views.v3_done()


def get_wechat_miniprogram_phone():
    phone, country_code = authing().wechat_miniprogram.phone_of_code(caller(), json_object())
    return views.v3_wechat_phone(phone, country_code)


ROUTES: RouteTable = {
    "/api/v3/signin-by-mobile": (("POST",), signin_by_mobile),
    "/api/v3/get-profile": (("GET",), get_profile),
    "/api/v3/update-profile": (("POST",), update_profile),
    "/api/v3/decrypt-wechat-miniprogram-data": (("POST",), decrypt_wechat_miniprogram_data),
    "/api/v3/signin": (("POST",), signin),
    "/api/v3/signup": (("POST",), signup),
    "/api/v3/send-sms": (("POST",), send_sms),
    "/api/v3/send-email": (("POST",), send_email),
    "/api/v3/system": (("GET",), system),
    "/api/v3/update-password": (("POST",), update_password),
    "/api/v3/bind-phone": (("POST",), bind_phone),
    "/api/v3/bind-email": (("POST",), bind_email),
    "/api/v3/get-wechat-miniprogram-phone": (("POST",), get_wechat_miniprogram_phone),
}
blueprint = register(Blueprint("authing_v3", __name__), ROUTES)
