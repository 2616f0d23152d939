"""WeChat's dashboard tables in a real headless Chromium: a user's message sent from the page's
form reaches the app's push URL, a link opens from its row and from the form, and what the apps
sent — a subscribe message, a customer-service message, a push, a link — shows in its section,
user text as text. Each action is checked through the JSON API. Chromium runs as in
test_dashboard_browser.py (scripts/ensure-chromium; MOCKSERVER_SKIP_BROWSER=1 skips it locally,
never in CI)."""
from __future__ import annotations

import os

import pytest
from support.push_receiver import PushReceiver, settled

if os.environ.get("MOCKSERVER_SKIP_BROWSER") == "1" and not os.environ.get("CI"):
    pytest.skip("MOCKSERVER_SKIP_BROWSER=1", allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402

from test_dashboard_browser import browser, notice, row  # noqa: E402,F401  (the Chromium fixture and helpers)


def token(http, live, app):
    return http.get(live.url + "/cgi-bin/token", params={
        "grant_type": "client_credential", "appid": app["appid"], "secret": app["secret"]}).json()["access_token"]


def section_text(browser, anchor: str) -> str:
    return browser.find_element(By.ID, anchor).find_element(By.XPATH, "following-sibling::table").text


def test_a_user_message_sent_from_the_page_reaches_the_push_url(browser, live, http, client):
    with PushReceiver() as backend:
        app = http.post(live.url + "/__mock__/apps", json={"name": "推送小程序", "push": {
            "url": backend.url, "token": "pushtoken42", "mode": "plain"}}).json()
        browser.get(live.url + "/__mock__/")
        form = browser.find_element(By.ID, "wechat-deliveries-say")
        form.find_element(By.NAME, "appid").send_keys(app["appid"])
        form.find_element(By.NAME, "user").send_keys("yuna")
        form.find_element(By.NAME, "message").send_keys("<b>你好</b>")
        form.find_element(By.TAG_NAME, "button").click()
        notice(browser, f"yuna sent '<b>你好</b>' to 推送小程序: push 000000000001")
        [received] = backend.wait_for(1)
        [record] = settled(client, 1)  # the live server's own app
    assert b"<Content><![CDATA[<b>\xe4\xbd\xa0\xe5\xa5\xbd</b>]]></Content>" in received.body
    assert (record["status"], record["user"], record["message"]["Content"]) == ("delivered", "yuna", "<b>你好</b>")

    browser.get(live.url + "/__mock__/")
    delivery = row(browser, "wechat-deliveries", "000000000001")
    assert "<b>你好</b>" in delivery.text and "1: HTTP 200 → delivered" in delivery.text
    assert delivery.find_elements(By.TAG_NAME, "b") == []  # shown as text, not markup
    # The window the message opened lets the backend answer it: that message shows in its section.
    openid = record["message"]["FromUserName"]
    sent = http.post(live.url + f"/cgi-bin/message/custom/send?access_token={token(http, live, app)}", json={
        "touser": openid, "msgtype": "text", "text": {"content": "谢谢"}}).json()
    assert sent["errcode"] == 0
    browser.get(live.url + "/__mock__/")
    assert f"推送小程序 {openid} text 谢谢" in section_text(browser, "wechat-custom-messages")


def test_a_subscribe_message_sent_shows_in_its_section(browser, live, http, wx_app):
    http.post(live.url + "/__mock__/wechat/subscriptions", json={
        "appid": wx_app["appid"], "user": "yuna", "template_ids": ["TMPL1"]})
    openid = http.get(live.url + "/__mock__/users/yuna").json()["apps"][wx_app["appid"]]["openid"]
    sent = http.post(live.url + f"/cgi-bin/message/subscribe/send?access_token={token(http, live, wx_app)}", json={
        "touser": openid, "template_id": "TMPL1", "data": {"thing1": {"value": "订单已发货"}}}).json()
    assert sent["errcode"] == 0
    browser.get(live.url + "/__mock__/")
    message = row(browser, "wechat-messages", str(sent["msgid"]))
    assert openid in message.text and "TMPL1" in message.text and "thing1: 订单已发货" in message.text
    # the consent itself was a push, to an app without a push URL
    assert "subscribe_msg_popup_event" in section_text(browser, "wechat-deliveries")
    assert "no push URL: nothing delivered" in section_text(browser, "wechat-deliveries")


def test_a_link_opens_from_its_row_and_from_the_form(browser, live, http, wx_app):
    link = http.post(live.url + f"/wxa/generate_urllink?access_token={token(http, live, wx_app)}",
                     json={"path": "", "query": "from=browser"}).json()["url_link"]
    browser.get(live.url + "/__mock__/")
    assert "/?from=browser" in row(browser, "wechat-links", link).text
    row(browser, "wechat-links", link).find_element(By.CSS_SELECTOR, "button.open").click()
    assert notice(browser, f"opened {link}: ").endswith("starts at /?from=browser (release, scene 1194)")
    assert http.get(live.url + "/__mock__/wechat/links").json()["links"][0]["opens"] == 1

    form = browser.find_element(By.ID, "wechat-links-open-as")
    form.find_element(By.NAME, "url").send_keys(link + "?cq=ref%3Dqr")
    form.find_element(By.NAME, "user").send_keys("yuna")
    form.find_element(By.TAG_NAME, "button").click()
    openid = http.get(live.url + "/__mock__/users/yuna").json()["apps"][wx_app["appid"]]["openid"]
    assert notice(browser, f"opened {link}?cq=").endswith(f"starts at /?from=browser&ref=qr (release, scene 1194) "
                                                          f"for {openid}")
    assert http.get(live.url + "/__mock__/wechat/links").json()["links"][0]["opens"] == 2
    assert row(browser, "wechat-links", link).find_elements(By.TAG_NAME, "td")[6].text == "2"
