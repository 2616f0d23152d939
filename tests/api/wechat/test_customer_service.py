"""Customer-service messages, temporary media and media_check_async: wechatpy's own calls, then
every errcode each endpoint documents, raw; the window a user's message opens, by the mock clock."""
from __future__ import annotations

import io

import pytest
from wechatpy.exceptions import WeChatClientException

from mockserver.wechat import media as media_module
from support import access_token, rid_ending

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
GIF = b"GIF89a" + b"\x00" * 40


@pytest.fixture
def openid(client, wx_app):
    """yuna's openid, after yuna wrote to the app (the window is open)."""
    return user_writes(client, wx_app)


def user_writes(client, wx_app, user="yuna"):
    answer = client.post("/__mock__/wechat/push", json={"appid": wx_app["appid"], "user": user, "message": "hi"})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["openid"]


def errcode(answer):
    body = answer.get_json()
    ending = rid_ending(answer.request.path)
    assert body["errcode"] == 0 or ending.search(body["errmsg"]), body["errmsg"]
    return body["errcode"], ending.sub("", body["errmsg"])


def send(client, token, body):
    return client.post(f"/cgi-bin/message/custom/send?access_token={token}", json=body)


def upload(client, token, data=PNG, kind="image", filename="a.png"):
    return client.post(f"/cgi-bin/media/upload?access_token={token}&type={kind}",
                       data={"media": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


# --- wechatpy, unmodified ----------------------------------------------------------------------------
def test_wechatpy_uploads_downloads_and_sends_every_message_type(live, wechatpy_client, wx_app, http):
    http.post(live.url + "/__mock__/wechat/push", json={"appid": wx_app["appid"], "user": "yuna", "message": "hi"})
    openid = http.get(live.url + "/__mock__/users/yuna").json()["apps"][wx_app["appid"]]["openid"]
    uploaded = wechatpy_client.media.upload("image", io.BytesIO(JPEG))
    assert uploaded["type"] == "image" and len(uploaded["media_id"]) == 64 and uploaded["errcode"] == 0
    downloaded = wechatpy_client.media.download(uploaded["media_id"])
    assert downloaded.content == JPEG and downloaded.headers["Content-Type"] == "image/jpeg"
    assert downloaded.headers["Content-disposition"] == f'attachment; filename="{uploaded["media_id"]}.jpg"'
    media_id = uploaded["media_id"]
    assert wechatpy_client.message.send_text(openid, "您好")["errcode"] == 0
    assert wechatpy_client.message.send_image(openid, media_id)["errcode"] == 0
    assert wechatpy_client.message.send_link(openid, {"title": "T", "description": "D", "url": "https://e.com",
                                                      "thumb_url": "https://e.com/t.png"})["errcode"] == 0
    assert wechatpy_client.message.send_mini_program_page(openid, {
        "title": "T", "pagepath": "pages/index/index?x=1", "thumb_media_id": media_id})["errcode"] == 0
    sent = http.get(live.url + "/__mock__/wechat/custom-messages").json()
    assert [m["msgtype"] for m in sent["messages"]] == ["text", "image", "link", "miniprogrampage"]
    assert sent["messages"][0]["text"] == {"content": "您好"} and sent["messages"][0]["touser"] == openid
    assert wechatpy_client.message.send_text(openid, "fifth")["errcode"] == 0
    with pytest.raises(WeChatClientException) as refused:  # five per user message
        wechatpy_client.message.send_text(openid, "one too many")
    assert refused.value.errcode == 45047
    listed = http.get(live.url + "/__mock__/wechat/media").json()
    assert listed["total"] == 1 and "data" not in listed["media"][0] and listed["media"][0]["size"] == len(JPEG)


# --- custom/send ------------------------------------------------------------------------------------------
def test_without_a_user_message_the_window_is_closed(client, wx_app, token):
    openid = client.get("/__mock__/users/yuna").get_json()["apps"][wx_app["appid"]]["openid"]
    answer = send(client, token, {"touser": openid, "msgtype": "text", "text": {"content": "hi"}})
    assert errcode(answer) == (45015, "response out of time limit or subscription is canceled")


def test_five_messages_per_user_message_for_48_hours(client, rt, wx_app, token, openid):
    text = {"touser": openid, "msgtype": "text", "text": {"content": "hi"}}
    assert [errcode(send(client, token, text))[0] for _ in range(6)] == [0, 0, 0, 0, 0, 45047]
    assert errcode(send(client, token, text))[1] == "out of response count limit"
    user_writes(client, wx_app)  # a new message: five again, not more
    assert [errcode(send(client, token, text))[0] for _ in range(6)] == [0, 0, 0, 0, 0, 45047]
    user_writes(client, wx_app)
    rt.clock.advance(48 * 3600 - 1)
    token = access_token(client, wx_app)
    assert errcode(send(client, token, text))[0] == 0
    rt.clock.advance(1)
    assert errcode(send(client, token, text))[0] == 45015


def enters(client, wx_app, session_from=None):
    body = {"appid": wx_app["appid"], "user": "yuna", "event": "user_enter_tempsession"}
    if session_from is not None:
        body["session_from"] = session_from
    answer = client.post("/__mock__/wechat/push", json=body)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_entering_the_chat_allows_two_messages_in_a_minute(client, rt, wx_app, token):
    entered = enters(client, wx_app, "order-42")
    assert entered["message"]["Event"] == "user_enter_tempsession" and entered["message"]["SessionFrom"] == "order-42"
    text = {"touser": entered["openid"], "msgtype": "text", "text": {"content": "hi"}}
    assert [errcode(send(client, token, text))[0] for _ in range(3)] == [0, 0, 45047]
    enters(client, wx_app)
    assert errcode(send(client, token, text))[0] == 0
    rt.clock.advance(60)
    assert errcode(send(client, token, text))[0] == 45015


def test_entering_the_chat_never_shortens_a_user_messages_window(client, rt, wx_app, token, openid):
    text = {"touser": openid, "msgtype": "text", "text": {"content": "hi"}}
    assert errcode(send(client, token, text))[0] == 0
    window = enters(client, wx_app)["window"]
    assert window["remaining"] == 4 and window["expires_at"] - window["interacted_at"] > 47 * 3600
    rt.clock.advance(3600)
    assert [errcode(send(client, access_token(client, wx_app), text))[0] for _ in range(5)] == [0, 0, 0, 0, 45047]


@pytest.mark.parametrize("body, error", [
    ({"message": "hi", "event": "user_enter_tempsession"},
     "give 'message' (the user writes) or 'event' (the user enters the chat), not both"),
    ({"event": "subscribe"}, "'event' can be 'user_enter_tempsession'"),
    ({"event": "user_enter_tempsession", "session_from": 5}, "'session_from' must be a string"),
])
def test_a_bad_user_action_is_refused(client, rt, wx_app, body, error):
    before = rt.wechat.repo.snapshot()
    answer = client.post("/__mock__/wechat/push", json={"appid": wx_app["appid"], "user": "yuna", **body})
    assert (answer.status_code, answer.get_json()) == (400, {"error": error})
    assert rt.wechat.repo.snapshot() == before


@pytest.mark.parametrize("body, expected", [
    ({"touser": "o-nobody", "msgtype": "text", "text": {"content": "hi"}}, (40003, "invalid openid")),
    ({"msgtype": "text", "text": {"content": "hi"}}, (40003, "invalid openid")),
    ({"touser": "OPENID", "msgtype": "voice", "voice": {"media_id": "x"}}, (40008, "invalid message type")),
    ({"touser": "OPENID", "text": {"content": "hi"}}, (40008, "invalid message type")),
    ({"touser": "OPENID", "msgtype": "text", "text": "hi"}, (47001, "data format error")),
    ({"touser": "OPENID", "msgtype": "text", "text": {"content": ""}}, (44004, "empty content")),
    ({"touser": "OPENID", "msgtype": "image", "image": {"media_id": "unknown"}}, (40007, "invalid media_id")),
    ({"touser": "OPENID", "msgtype": "link", "link": {"title": "T", "description": "D", "url": "u"}},
     (47001, "data format error")),
    ({"touser": "OPENID", "msgtype": "miniprogrampage",
      "miniprogrampage": {"title": "T", "pagepath": "p", "thumb_media_id": 5}}, (47001, "data format error")),
    ({"touser": "OPENID", "msgtype": "miniprogrampage",
      "miniprogrampage": {"title": "T", "pagepath": "p", "thumb_media_id": "nope"}}, (40007, "invalid media_id")),
])
def test_custom_send_errcodes(client, rt, token, openid, body, expected):
    body = {k: openid if v == "OPENID" else v for k, v in body.items()}
    before = rt.wechat.repo.snapshot()
    assert errcode(send(client, token, body)) == expected
    assert rt.wechat.repo.snapshot() == before  # nothing counted against the window


def test_custom_send_needs_a_token_and_a_json_body(client, token, openid):
    assert errcode(client.post("/cgi-bin/message/custom/send", json={}))[0] == 41001
    assert errcode(client.post(f"/cgi-bin/message/custom/send?access_token={token}"))[0] == 44002
    assert errcode(client.post(f"/cgi-bin/message/custom/send?access_token={token}", data=b"{"))[0] == 47001
    assert errcode(client.get(f"/cgi-bin/message/custom/send?access_token={token}"))[0] == 43002


def test_media_of_another_app_cannot_be_sent(client, token, openid):
    other = client.post("/__mock__/apps", json={}).get_json()
    media_id = upload(client, access_token(client, other)).get_json()["media_id"]
    answer = send(client, token, {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}})
    assert errcode(answer) == (40007, "invalid media_id")


# --- typing ------------------------------------------------------------------------------------------------
def typing(client, token, openid, command):
    return errcode(client.post(f"/cgi-bin/message/custom/business/typing?access_token={token}",
                               json={"touser": openid, "command": command}))


def test_typing_within_30_seconds_of_an_exchange_once_at_a_time(client, rt, wx_app, token, openid):
    assert typing(client, token, openid, "Typing") == (0, "ok")
    assert typing(client, token, openid, "Typing") == (45081, "you are already typing")
    assert typing(client, token, openid, "CancelTyping") == (0, "ok")
    assert typing(client, token, openid, "Typing") == (0, "ok")
    assert errcode(send(client, token, {"touser": openid, "msgtype": "text", "text": {"content": "x"}}))[0] == 0
    assert typing(client, token, openid, "Typing") == (0, "ok")  # the message ended the typing
    rt.clock.advance(31)
    assert typing(client, token, openid, "CancelTyping")[0] == 45080
    assert typing(client, token, openid, "Typing") == (
        45080, "need sending message to user, or recving message from user in the last 30 seconds before typing")
    user_writes(client, wx_app)
    assert typing(client, token, openid, "Typing") == (0, "ok")


def test_typing_errcodes(client, wx_app, token, openid):
    assert typing(client, token, openid, "typing") == (45072, "invalid command")
    assert typing(client, token, openid, None) == (45072, "invalid command")
    assert typing(client, token, "o-nobody", "Typing") == (40003, "invalid openid")
    stranger = client.get("/__mock__/users").get_json()["users"][1]["apps"][wx_app["appid"]]["openid"]
    assert typing(client, token, stranger, "Typing")[0] == 45080


# --- temporary media -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("data, kind, expected", [
    (PNG, "voice", (40004, "invalid media type")),
    (PNG, "", (40004, "invalid media type")),
    (b"plain text", "image", (40005, "invalid file type")),
    (b"\x89PNG" + b"\x00" * (2 * 1024 * 1024), "image", (40006, "invalid meida size")),
])
def test_upload_errcodes(client, rt, token, data, kind, expected):
    before = rt.wechat.repo.snapshot()
    assert errcode(upload(client, token, data, kind)) == expected
    assert rt.wechat.repo.snapshot() == before


def test_upload_without_a_media_part(client, token):
    answer = client.post(f"/cgi-bin/media/upload?access_token={token}&type=image",
                         data={"file": (io.BytesIO(PNG), "a.png")}, content_type="multipart/form-data")
    assert errcode(answer) == (41005, "media data missing")
    assert errcode(client.post(f"/cgi-bin/media/upload?access_token={token}&type=image"))[0] == 41005
    assert errcode(upload(client, token, b""))[0] == 41005  # an empty file


@pytest.mark.parametrize("data, content_type", [(PNG, "image/png"), (JPEG, "image/jpeg"), (GIF, "image/gif")])
def test_each_image_format_comes_back_as_uploaded(client, token, data, content_type):
    uploaded = upload(client, token, data).get_json()
    got = client.get(f"/cgi-bin/media/get?access_token={token}&media_id={uploaded['media_id']}")
    assert got.data == data and got.content_type == content_type


def test_media_lives_three_days_by_the_mock_clock(client, rt, wx_app, token):
    uploaded = upload(client, token).get_json()
    assert uploaded["created_at"] == rt.clock.now_int()
    rt.clock.advance(3 * 24 * 3600 - 1)
    token = access_token(client, wx_app)
    url = f"/cgi-bin/media/get?access_token={token}&media_id={uploaded['media_id']}"
    assert client.get(url).data == PNG
    rt.clock.advance(1)
    assert errcode(client.get(url)) == (40007, "invalid media_id")
    assert errcode(client.get(f"/cgi-bin/media/get?access_token={token}")) == (41006, "media_id missing")
    assert errcode(client.post(url))[0] == 43001


def test_the_mock_caps_what_it_keeps(client, rt, token, monkeypatch):
    monkeypatch.setattr(media_module, "MAX_MEDIA", 2)
    assert [errcode(upload(client, token))[0] for _ in range(3)] == [0, 0, 45009]
    assert "POST /__mock__/reset" in errcode(upload(client, token))[1]
    client.post("/__mock__/reset")
    assert errcode(upload(client, access_token(client, rt.wechat.apps()[0])))[0] == 0


# --- media_check_async -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("body, expected", [
    ({"media_type": 2}, (47001, "data format error")),
    ({"media_url": "file:///etc/passwd", "media_type": 2}, (47001, "data format error")),
    ({"media_url": "https://e.com/a.png", "media_type": 3}, (40097, "invalid args")),
    ({"media_url": "https://e.com/a.png", "media_type": "2"}, (40097, "invalid args")),
    ({"media_url": "https://e.com/a.png", "media_type": 2, "version": 2, "scene": 9, "openid": "OPENID"},
     (40097, "invalid args")),
    ({"media_url": "https://e.com/a.png", "media_type": 2, "version": 2, "scene": 1, "openid": "o-nobody"},
     (40003, "invalid openid")),
])
def test_media_check_async_errcodes(client, rt, token, openid, body, expected):
    body = {k: openid if v == "OPENID" else v for k, v in body.items()}
    before = client.get("/__mock__/wechat/deliveries").get_json()["total"]
    assert errcode(client.post(f"/wxa/media_check_async?access_token={token}", json=body)) == expected
    assert client.get("/__mock__/wechat/deliveries").get_json()["total"] == before


def test_media_check_async_v2_queues_the_v2_event(client, rt, token, openid):
    answer = client.post(f"/wxa/media_check_async?access_token={token}", json={
        "media_url": "https://e.com/MOCK_REVIEW.mp3", "media_type": 1, "version": 2, "scene": 2, "openid": openid})
    assert answer.get_json()["errcode"] == 0
    queued = client.get("/__mock__/wechat/deliveries").get_json()["deliveries"][-1]
    assert queued["status"] == "pending" and queued["user"] == "yuna"
    assert queued["due_at"] == pytest.approx(rt.clock.now() + 5, abs=1)
    message = queued["message"]
    assert message["trace_id"] == answer.get_json()["trace_id"] and message["FromUserName"] == openid
    assert message["result"] == {"suggest": "review", "label": 21000} and message["version"] == 2


@pytest.mark.parametrize("kind", ["memory", "sqlite", "redis"])
def test_the_whole_exchange_on_every_state_backend(kind, tmp_path, request):
    from mockserver import Config, create_app
    from support.processes import state_url

    app = create_app(Config(state=state_url(kind, tmp_path, request)))
    client, rt = app.test_client(), app.extensions["mockserver"]
    try:
        wx_app = rt.wechat.apps()[0]
        token, openid = access_token(client, wx_app), user_writes(client, wx_app)
        media_id = upload(client, token, GIF).get_json()["media_id"]
        assert client.get(f"/cgi-bin/media/get?access_token={token}&media_id={media_id}").data == GIF
        assert typing(client, token, openid, "Typing") == (0, "ok")
        image = {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}}
        assert [errcode(send(client, token, image))[0] for _ in range(6)] == [0, 0, 0, 0, 0, 45047]
        assert client.get("/__mock__/wechat/custom-messages").get_json()["total"] == 5
        assert client.get("/__mock__/wechat/media").get_json()["media"][0]["content_type"] == "image/gif"
    finally:
        rt.store.close()
