"""v3 routes: sign-in by the mini program, the profile, and open-data decryption."""
from __future__ import annotations

from flask import Blueprint

from .. import views
from . import RouteTable, authing, caller, flag, json_object, register


def signin_by_mobile():
    return views.v3(views.token_set(authing().wechat_miniprogram.signin_by_mobile(caller(), json_object())))


def get_profile():
    user = authing().account.profile(caller())
    return views.v3(views.v3_user(user, flag("withIdentities"), flag("withCustomData")))


def update_profile():
    return views.v3(views.v3_user(authing().account.update_profile(caller(), json_object())))


def decrypt_wechat_miniprogram_data():
    return views.v3(authing().wechat_miniprogram.decrypt(caller(), json_object()))


ROUTES: RouteTable = {
    "/api/v3/signin-by-mobile": (("POST",), signin_by_mobile),
    "/api/v3/get-profile": (("GET",), get_profile),
    "/api/v3/update-profile": (("POST",), update_profile),
    "/api/v3/decrypt-wechat-miniprogram-data": (("POST",), decrypt_wechat_miniprogram_data),
}
blueprint = register(Blueprint("authing_v3", __name__), ROUTES)
