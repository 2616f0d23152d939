"""``msg_sec_check`` (v1 and v2) and ``img_sec_check`` as WeChat answers them, through wechatpy
where it has a method."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from wechatpy.exceptions import WeChatClientException

from support import RID, access_token, mint, wechat_session
from mockserver.wechat.content import TEST_STRING


def v2(client, token, content, openid, scene=2):
    return client.post(f"/wxa/msg_sec_check?access_token={token}",
                       json={"content": content, "version": 2, "scene": scene, "openid": openid}).get_json()


def picture(width=100, height=100, kind="PNG", extra=b""):
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, kind)
    return out.getvalue() + extra


def test_v1_flags_wechats_documented_test_string(wechatpy_client):
    assert wechatpy_client.wxa.check_text_security("今天天气很好") == {"errcode": 0, "errmsg": "ok"}
    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.wxa.check_text_security(f"前缀 {TEST_STRING} 后缀")
    assert info.value.errcode == 87014 and re.fullmatch(f"risky content rid: {RID}", info.value.errmsg)


def test_v2_pass_has_a_keyword_and_a_content_model_entry_and_a_trace_id(client, rt, wx_app, alias, token):
    openid = wechat_session(client, wx_app, alias)["openid"]
    answer = v2(client, token, "今天天气很好", openid)
    trace_id = answer.pop("trace_id")
    assert answer == {"errcode": 0, "errmsg": "ok",
                      "detail": [{"strategy": "keyword", "errcode": 0},
                                 {"strategy": "content_model", "errcode": 0, "suggest": "pass", "label": 100,
                                  "prob": 90}],
                      "result": {"suggest": "pass", "label": 100}}
    assert re.fullmatch(RID, trace_id) and int(trace_id[:8], 16) == int(rt.clock.now())


def test_v2_risky_names_the_keyword(client, wx_app, alias, token):
    openid = wechat_session(client, wx_app, alias)["openid"]
    answer = v2(client, token, TEST_STRING, openid)
    assert answer["result"] == {"suggest": "risky", "label": 20006}
    assert answer["detail"] == [
        {"strategy": "keyword", "errcode": 0, "suggest": "risky", "label": 20006, "level": 90, "keyword": TEST_STRING},
        {"strategy": "content_model", "errcode": 0, "suggest": "risky", "label": 20006, "prob": 90}]
    assert v2(client, token, "MOCK_REVIEW", openid)["result"] == {"suggest": "review", "label": 21000}


def test_v2_needs_a_visit_in_the_last_two_hours(client, rt, wx_app, token):
    fresh = client.post("/__mock__/users", json={"alias": "never-opened"}).get_json()
    never = v2(client, token, "hi", fresh["apps"][wx_app["appid"]]["openid"])
    assert never["errcode"] == 61010
    assert never["errmsg"].startswith("user has not accessed the mini program in 2 hours rid: ")
    openid = mint(client, wx_app["appid"], "never-opened")["openid"]  # wx.login() is a visit
    rt.clock.advance(7199)  # the clock also runs on: a second to spare
    assert v2(client, access_token(client, wx_app), "hi", openid)["errcode"] == 0
    rt.clock.advance(2)
    assert v2(client, access_token(client, wx_app), "hi", openid)["errcode"] == 61010


@pytest.mark.parametrize("body, errcode", [
    ({"content": "", "version": 2, "scene": 1}, 47001),
    ({"content": 5}, 47001),
    ({"content": "x", "version": 2, "scene": 5}, 40097),
    ({"content": "x", "version": 2, "scene": True}, 40097),
    ({"content": "x", "version": 2, "scene": 1, "openid": "o" + "z" * 27}, 40003),
])
def test_text_check_errors(client, token, body, errcode):
    assert client.post(f"/wxa/msg_sec_check?access_token={token}", json=body).get_json()["errcode"] == errcode


def test_wechatpy_check_image_security(wechatpy_client):
    assert wechatpy_client.wxa.check_image_security(io.BytesIO(picture())) == {"errcode": 0, "errmsg": "ok"}
    assert wechatpy_client.wxa.check_image_security(io.BytesIO(picture(750, 1334, "JPEG")))["errcode"] == 0
    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.wxa.check_image_security(io.BytesIO(picture(extra=b"MOCK_RISKY")))
    assert info.value.errcode == 87014


@pytest.mark.parametrize("media, errcode", [
    (picture(751, 100), 40006),
    (picture(100, 1335, "JPEG"), 40006),
    (picture(100, 1335, "GIF"), 40006),
    (picture(extra=b"\0" * (1024 * 1024)), 40006),
    (b"just some text", 40004),
    (b"\xff\xd8\xff\xe0 truncated", 40004),
    (None, 41005),
    (b"", 41005),
])
def test_image_check_errors_change_nothing(client, rt, token, media, errcode):
    before = rt.wechat.repo.snapshot()
    data = {} if media is None else {"media": (io.BytesIO(media), "a.png")}
    answer = client.post(f"/wxa/img_sec_check?access_token={token}", data=data, content_type="multipart/form-data")
    assert answer.get_json()["errcode"] == errcode
    assert rt.wechat.repo.snapshot() == before


def test_image_check_needs_a_token(client):
    answer = client.post("/wxa/img_sec_check", data={"media": (io.BytesIO(picture()), "a.png")})
    assert answer.get_json()["errcode"] == 41001
