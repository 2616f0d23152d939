"""WeChat's dashboard tables of what the apps sent and received — subscribe and customer-service
messages, pushes, temporary media, links — through Flask's test client: newest first and paged,
user text escaped, and their forms ("a user sends a message", "open a link") acting as the
control plane's API does (the browser test is tests/e2e/test_dashboard_wechat_browser.py)."""
from __future__ import annotations

import io
import re
from html import unescape

import pytest
from mockserver import Config, create_app
from mockserver.control.dashboard import DASHBOARD_ROWS
from support.push_receiver import PushReceiver, settled

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@pytest.fixture
def app():
    """A frozen clock: the times on the page move only when the test moves them."""
    return create_app(Config(clock_start=1_700_000_000, clock_frozen=True))


@pytest.fixture
def token(client, wx_app):
    return client.get("/cgi-bin/token", query_string={
        "grant_type": "client_credential", "appid": wx_app["appid"], "secret": wx_app["secret"]}).get_json()["access_token"]


def raw_page(client, url="/__mock__/"):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(html, anchor):
    start = html.index(f'id="{anchor}"')
    end = html.find("<h2 ", start + 1)
    return html[start:end if end > 0 else None]


def rows(html, anchor):
    """Each row of a section's table: its cells' text."""
    return [[unescape(re.sub(r"<br>", "\n", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r'<tr data-key=".*?</tr>', section(html, anchor), re.S)]


def post(client, form, **data):
    """A dashboard form, as the page posts it: the outcome shown on the page it redirects to."""
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', raw_page(client)).group(1)
    response = client.post(form, data={"csrf": csrf, **data})
    assert response.status_code == 303, response.get_data(as_text=True)
    found = re.search(r'<p class="(notice|error)" id="(?:notice|error)">([^<]*)</p>',
                      raw_page(client, response.headers["Location"]))
    return found.group(1), unescape(found.group(2))


def user_says(client, appid, text, user="yuna"):
    answer = client.post("/__mock__/wechat/push", json={"appid": appid, "user": user, "message": text})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def url_link(client, token, **body):
    answer = client.post(f"/wxa/generate_urllink?access_token={token}", json=body).get_json()
    assert answer["errcode"] == 0, answer
    return answer["url_link"]


# --- the tables --------------------------------------------------------------------------------------
def test_sent_messages_are_listed_newest_first_with_user_text_escaped(client, wx_app, token):
    openid = user_says(client, wx_app["appid"], "hi")["openid"]
    for body in ({"msgtype": "text", "text": {"content": "<b>bold</b> & more"}},
                 {"msgtype": "link", "link": {"title": "Menu", "description": "d", "url": "https://e.com/m",
                                              "thumb_url": "https://e.com/t.png"}}):
        assert client.post(f"/cgi-bin/message/custom/send?access_token={token}",
                           json={"touser": openid, **body}).get_json()["errcode"] == 0
    client.post("/__mock__/wechat/subscriptions", json={"appid": wx_app["appid"], "user": "yuna", "template_ids": ["T1"]})
    sent = client.post(f"/cgi-bin/message/subscribe/send?access_token={token}", json={
        "touser": openid, "template_id": "T1", "page": "index", "data": {"thing1": {"value": "<i>x</i>"}}}).get_json()
    html = raw_page(client)
    assert "<b>bold</b>" not in html and "<i>x</i>" not in html and "&lt;b&gt;bold&lt;/b&gt; &amp; more" in html
    assert rows(html, "wechat-custom-messages") == [
        ["2023-11-14 22:13:20 UTC", wx_app["name"], openid, "link", "Menu\nhttps://e.com/m"],
        ["2023-11-14 22:13:20 UTC", wx_app["name"], openid, "text", "<b>bold</b> & more"]]
    assert rows(html, "wechat-messages") == [
        ["2023-11-14 22:13:20 UTC", wx_app["name"], openid, "T1", "index", "thing1: <i>x</i>", str(sent["msgid"])]]


def test_pushes_show_their_status_and_each_try(client, wx_app):
    user_says(client, wx_app["appid"], "nobody listens")
    with PushReceiver(answer=lambda n: (503, b"") if n == 1 else (200, b"success")) as backend:
        app = client.post("/__mock__/apps", json={"name": "推送", "push": {
            "url": backend.url, "token": "pushtoken42", "mode": "plain"}}).get_json()
        user_says(client, app["appid"], "<script>alert(1)</script>")
        settled(client, 2)
    html = raw_page(client)
    assert "<script>alert" not in html
    assert [row[2:] for row in rows(html, "wechat-deliveries")] == [
        ["推送", "yuna", "text\n<script>alert(1)</script>", "delivered", "1: HTTP 503 → retried\n2: HTTP 200 → delivered"],
        [wx_app["name"], "yuna", "text\nnobody listens", "no push URL: nothing delivered", ""]]


def test_a_push_not_yet_due_shows_when_it_is(client, rt, wx_app):
    from mockserver.wechat import push as wire

    message = wire.user_text("gh_000000000000", "o" + "x" * 27, 1, "later", 1)
    rt.wechat.push.push(rt.wechat.app(wx_app["appid"]), message, due_at=rt.clock.now() + 60)
    [row] = rows(raw_page(client), "wechat-deliveries")
    assert row[5] == "pending (due 2023-11-14 22:14:20 UTC)"


def test_media_are_listed_without_their_bytes_and_marked_when_expired(client, wx_app, token):
    upload = client.post(f"/cgi-bin/media/upload?access_token={token}&type=image",
                         data={"media": (io.BytesIO(PNG), "a.png")}, content_type="multipart/form-data").get_json()
    listed = section(raw_page(client), "wechat-media")
    assert rows(listed, "wechat-media") == [[upload["media_id"], wx_app["name"], "image (image/png)",
                                             f"{len(PNG)} bytes", "2023-11-14 22:13:20 UTC", "2023-11-17 22:13:20 UTC"]]
    assert "iVBORw0KGgo" not in listed  # the base64 of the PNG signature: the bytes are not on the page
    client.post("/__mock__/clock", json={"advance": 3 * 24 * 3600})
    assert rows(raw_page(client), "wechat-media")[0][-1] == "2023-11-17 22:13:20 UTC (expired)"


def test_links_show_where_they_start_and_their_opens_and_open_from_the_page(client, wx_app, token, rt):
    link = url_link(client, token, path="", query="from=page", expire_type=1, expire_interval=1)
    [row] = rows(raw_page(client), "wechat-links")
    assert row[:7] == [link, "urllink", wx_app["name"], "/?from=page", "release", "2023-11-15 22:13:20 UTC", "0"]
    assert post(client, "/__mock__/dashboard/wechat-links/open", key=link) == (
        "notice", f"opened {link}: {wx_app['name']} starts at /?from=page (release, scene 1194)")
    openid = rt.wechat.openid(rt.wechat.user("yuna"), wx_app["appid"])
    assert post(client, "/__mock__/dashboard/wechat-links/open-as", url=link + "?cq=ref%3Dad", user="yuna") == (
        "notice", f"opened {link}?cq=ref%3Dad: {wx_app['name']} starts at /?from=page&ref=ad "
                  f"(release, scene 1194) for {openid}")
    assert client.get("/__mock__/wechat/links").get_json()["links"][0]["opens"] == 2
    assert rows(raw_page(client), "wechat-links")[0][6] == "2"
    client.post("/__mock__/clock", json={"advance": 86400})
    html = raw_page(client)
    assert rows(html, "wechat-links")[0][5] == "expired 2023-11-15 22:13:20 UTC"
    assert 'action="dashboard/wechat-links/open"' not in html  # no button on an expired link


def test_a_user_message_from_the_form_is_pushed_and_opens_the_window(client, wx_app):
    kind, notice = post(client, "/__mock__/dashboard/wechat-deliveries/say", appid=wx_app["appid"], user="yuna",
                        message="你好")
    assert (kind, notice) == ("notice", f"yuna sent '你好' to {wx_app['name']}: push 000000000001 no push URL: "
                                        "nothing delivered; the customer-service window is open until "
                                        "2023-11-16 22:13:20 UTC")
    [record] = client.get("/__mock__/wechat/deliveries").get_json()["deliveries"]
    assert (record["user"], record["message"]["Content"]) == ("yuna", "你好")


@pytest.mark.parametrize("form, data, message", [
    ("/__mock__/dashboard/wechat-deliveries/say", {"user": "yuna", "message": "hi"},
     "give the appid of the mini program and the user who writes to it"),
    ("/__mock__/dashboard/wechat-deliveries/say", {"appid": "APP", "user": " ", "message": "hi"},
     "give the appid of the mini program and the user who writes to it"),
    ("/__mock__/dashboard/wechat-deliveries/say", {"appid": "APP", "user": "yuna", "message": ""},
     "'message' must be a non-empty text of at most 2048 characters"),
    ("/__mock__/dashboard/wechat-deliveries/say", {"appid": "APP", "user": "nobody", "message": "hi"},
     "no WeChat user with alias or openid 'nobody'"),
    ("/__mock__/dashboard/wechat-links/open", {"key": "https://wxaurl.cn/nothing"},
     "no link 'https://wxaurl.cn/nothing' was generated"),
    ("/__mock__/dashboard/wechat-links/open-as", {"url": ""}, "'url' is required"),
])
def test_form_mistakes_come_back_on_the_page_and_change_nothing(client, wx_app, form, data, message):
    data = {k: wx_app["appid"] if v == "APP" else v for k, v in data.items()}
    assert post(client, form, **data) == ("error", message)
    assert client.get("/__mock__/wechat/deliveries").get_json()["total"] == 0


def test_the_forms_need_the_servers_token(client, wx_app):
    response = client.post("/__mock__/dashboard/wechat-deliveries/say",
                           data={"appid": wx_app["appid"], "user": "yuna", "message": "forged"})
    assert response.status_code == 403
    assert client.get("/__mock__/wechat/deliveries").get_json()["total"] == 0


def test_long_listings_are_paged_newest_first(client, wx_app):
    for number in range(DASHBOARD_ROWS + 3):
        user_says(client, wx_app["appid"], f"m{number}")
    newest = rows(raw_page(client), "wechat-deliveries")
    assert [row[4] for row in newest[:2]] == [f"text\nm{DASHBOARD_ROWS + 2}", f"text\nm{DASHBOARD_ROWS + 1}"]
    assert len(newest) == DASHBOARD_ROWS
    html = raw_page(client, f"/__mock__/?wechat-deliveries-offset={DASHBOARD_ROWS}")
    assert [row[4] for row in rows(html, "wechat-deliveries")] == ["text\nm2", "text\nm1", "text\nm0"]
    assert f"Rows {DASHBOARD_ROWS + 1}–{DASHBOARD_ROWS + 3} of {DASHBOARD_ROWS + 3}" in section(html, "wechat-deliveries")
    assert rows(raw_page(client, "/__mock__/?wechat-deliveries-offset=1000"), "wechat-deliveries") == []


def test_a_value_that_is_not_an_object_shows_as_it_was_sent(client):
    """A known template checks its own keywords only: other data entries may be anything."""
    app = client.post("/__mock__/apps", json={"name": "shop", "subscribe_templates": [
        {"priTmplId": "bus", "title": "乘车提醒", "type": 2, "content": "线路名称:{{thing1.DATA}}\n"}]}).get_json()
    token = client.get("/cgi-bin/token", query_string={"grant_type": "client_credential", "appid": app["appid"],
                                                       "secret": app["secret"]}).get_json()["access_token"]
    client.post("/__mock__/wechat/subscriptions", json={"appid": app["appid"], "user": "yuna", "template_ids": ["bus"]})
    openid = client.get("/__mock__/users/yuna").get_json()["apps"][app["appid"]]["openid"]
    sent = client.post(f"/cgi-bin/message/subscribe/send?access_token={token}", json={
        "touser": openid, "template_id": "bus", "data": {"thing1": {"value": "8路"}, "extra": 5}}).get_json()
    assert sent["errcode"] == 0
    assert rows(raw_page(client), "wechat-messages")[0][5] == "thing1: 8路\nextra: 5"


def test_an_answer_other_than_success_is_noted_on_its_try(client):
    with PushReceiver(answer=lambda n: (200, b"<xml>reply</xml>")) as backend:
        app = client.post("/__mock__/apps", json={"push": {"url": backend.url, "token": "pushtoken42",
                                                            "mode": "plain"}}).get_json()
        user_says(client, app["appid"], "hi")
        settled(client, 1)
    assert rows(raw_page(client), "wechat-deliveries")[0][6] == (
        "1: HTTP 200 → delivered (WeChat expects the answer 'success' or an empty body)")


def test_a_permanent_short_link_never_expires_and_opens_without_a_scene(client, wx_app, token):
    answer = client.post(f"/wxa/genwxashortlink?access_token={token}", json={
        "page_url": "?q=1", "page_title": "首页", "is_permanent": True}).get_json()
    link = answer["link"]
    [row] = rows(raw_page(client), "wechat-links")
    assert row[1:7] == ["shortlink", wx_app["name"], "/?q=1", "release", "never", "0"]
    assert post(client, "/__mock__/dashboard/wechat-links/open", key=link) == (
        "notice", f"opened {link}: {wx_app['name']} starts at /?q=1 (release)")
