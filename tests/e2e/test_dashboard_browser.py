"""The dashboard in a real headless Chromium: each action through the page — mint a code, create,
block and delete users, add and remove faults and stubs, reset, behind an admin token — then
checked through the JSON API. Needs Debian's chromium and chromedriver (scripts/ensure-chromium
installs them, and scripts/test runs it); set MOCKSERVER_SKIP_BROWSER=1 to skip locally — never skipped in CI."""
from __future__ import annotations

import os
import re
import shutil
import tempfile

import pytest
import requests
from mockserver import Config, MockServer, create_app

if os.environ.get("MOCKSERVER_SKIP_BROWSER") == "1" and not os.environ.get("CI"):
    pytest.skip("MOCKSERVER_SKIP_BROWSER=1", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from support.browsing import until  # noqa: E402

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]


@pytest.fixture
def browser():
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and chromedriver, "run scripts/ensure-chromium (or set MOCKSERVER_SKIP_BROWSER=1 locally)"
    profile = tempfile.mkdtemp(prefix="mockserver-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(30)
    # A click submits a form and the page reloads after a redirect: look for what only the new
    # page has, waiting for it to arrive rather than racing the navigation.
    driver.implicitly_wait(10)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def notice(browser, expected_start: str) -> str:
    """The notice of the page a form redirected to (waiting for that page, not the one before)."""
    def arrived(page):
        text = page.find_element(By.ID, "notice").text
        return text if text.startswith(expected_start) else None
    return until(browser, arrived)


def row(browser, section: str, key: str):
    return browser.find_element(By.CSS_SELECTOR, f'#{section} ~ table tr[data-key="{key}"]')


def test_click_mint_code_then_exchange_it(browser, live, http, rt, wx_app):
    alias = rt.wechat.users()[1]["alias"]
    browser.get(live.url + "/__mock__/")
    assert browser.title == "mockserver dashboard"

    row(browser, "wechat-users", alias).find_element(By.CSS_SELECTOR, "button.mint").click()
    code = re.search(r": (\w+) \(valid", notice(browser, f"login code for {alias}")).group(1)
    assert code in browser.find_element(By.ID, "codes").find_element(By.XPATH, "following-sibling::table").text

    session = http.get(live.url + "/sns/jscode2session", params={
        "appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": code,
        "grant_type": "authorization_code"}).json()
    assert session["openid"] == rt.wechat.describe_user(rt.wechat.user(alias))["apps"][wx_app["appid"]]["openid"]

    # The exchange shows up among the recent requests, and the code is no longer live.
    browser.get(live.url + "/__mock__/")
    assert "GET /sns/jscode2session" in browser.find_element(By.ID, "requests").find_element(
        By.XPATH, "following-sibling::table").text
    assert code not in browser.page_source


def test_create_block_and_delete_a_wechat_user_by_clicking(browser, live, http):
    browser.get(live.url + "/__mock__/")
    form = browser.find_element(By.ID, "wechat-users-create")
    form.find_element(By.NAME, "alias").send_keys("clicked")
    form.find_element(By.NAME, "nickname").send_keys("点击")
    form.find_element(By.TAG_NAME, "button").click()
    notice(browser, "WeChat user clicked created")
    assert http.get(live.url + "/__mock__/users/clicked").json()["nickname"] == "点击"

    row(browser, "wechat-users", "clicked").find_element(By.CSS_SELECTOR, "button.block").click()
    notice(browser, "WeChat user clicked blocked")
    assert http.get(live.url + "/__mock__/users/clicked").json()["blocked"] is True
    row(browser, "wechat-users", "clicked").find_element(By.CSS_SELECTOR, "button.delete").click()
    notice(browser, "WeChat user clicked deleted")
    assert http.get(live.url + "/__mock__/users/clicked").status_code == 404


def test_block_an_authing_user_by_clicking(browser, live, http, rt, wx_app):
    app = rt.authing.apps()[0]
    code = http.post(live.url + "/__mock__/wechat/login", json={"appid": wx_app["appid"], "user": "yuna"}).json()["code"]
    user = http.post(live.url + "/connections/social/wechat-miniprogram/auth", json={"code": code},
                     headers={"x-authing-app-id": app["id"]}).json()["data"]
    browser.get(live.url + "/__mock__/")
    row(browser, "authing-users", user["id"]).find_element(By.CSS_SELECTOR, "button.block").click()
    notice(browser, f"Authing user {user['id']} blocked")
    assert http.get(live.url + f"/__mock__/authing/users/{user['id']}").json()["blocked"] is True


def test_add_and_remove_a_fault_and_a_stub_by_clicking(browser, live, http, wx_app):
    browser.get(live.url + "/__mock__/")
    form = browser.find_element(By.ID, "add-fault")
    form.find_element(By.NAME, "endpoint").send_keys("/cgi-bin/token")
    form.find_element(By.NAME, "errcode").send_keys("40013")
    form.find_element(By.NAME, "times").send_keys("1")
    form.find_element(By.TAG_NAME, "button").click()
    notice(browser, "fault rule f1 added")
    assert [(r["errcode"], r["times"]) for r in http.get(live.url + "/__mock__/faults").json()["faults"]] == [(40013, 1)]

    form = browser.find_element(By.ID, "add-stub")
    form.find_element(By.NAME, "endpoint").send_keys("/cgi-bin/token")
    form.find_element(By.NAME, "body").send_keys('{"access_token": "from-a-click", "expires_in": 7200}')
    form.find_element(By.TAG_NAME, "button").click()
    notice(browser, "stub s1 added")
    query = {"grant_type": "client_credential", "appid": wx_app["appid"], "secret": wx_app["secret"]}
    assert http.get(live.url + "/cgi-bin/token", params=query).json()["errcode"] == 40013  # the fault, once
    assert http.get(live.url + "/cgi-bin/token", params=query).json()["access_token"] == "from-a-click"

    browser.get(live.url + "/__mock__/")
    browser.find_element(By.CSS_SELECTOR, 'tr[data-stub="s1"] button').click()
    notice(browser, "stub s1 removed")
    assert http.get(live.url + "/__mock__/stubs").json() == {"stubs": []}
    browser.find_element(By.CSS_SELECTOR, "#faults ~ table button").click()
    notice(browser, "fault rule f1 removed")
    assert http.get(live.url + "/__mock__/faults").json() == {"faults": []}


def test_reset_by_clicking_and_the_pages_cause_no_journal_entry(browser, live, http):
    http.post(live.url + "/__mock__/users", json={"alias": "gone-after-reset"})
    for _ in range(3):
        browser.get(live.url + "/__mock__/")
    browser.find_element(By.ID, "reset").click()
    notice(browser, "reset to the fixture state")
    assert http.get(live.url + "/__mock__/users/gone-after-reset").status_code == 404
    browser.get(live.url + "/favicon.ico")
    assert http.get(live.url + "/__mock__/requests").json()["total"] == 0


def test_the_dashboard_acts_behind_an_admin_token(browser):
    with MockServer(app=create_app(Config(admin_token="browser-s3cret")), threads=8) as server:
        browser.get(server.url + "/__mock__/?admin_token=browser-s3cret")
        form = browser.find_element(By.ID, "wechat-users-create")
        form.find_element(By.NAME, "alias").send_keys("behind-the-token")
        form.find_element(By.TAG_NAME, "button").click()
        notice(browser, "WeChat user behind-the-token created")
        with requests.Session() as http:
            assert http.get(server.url + "/__mock__/users/behind-the-token").status_code == 401
            assert http.get(server.url + "/__mock__/users/behind-the-token",
                            headers={"Authorization": "Bearer browser-s3cret"}).status_code == 200


def test_clock_buttons_move_the_mock_clock(browser, live, rt):
    browser.get(live.url + "/__mock__/")
    before = float(browser.find_element(By.ID, "clock-now").get_attribute("data-epoch"))
    browser.find_element(By.CSS_SELECTOR, 'button[data-seconds="86400"]').click()
    notice(browser, "clock advanced by 86400 s")
    after = float(browser.find_element(By.ID, "clock-now").get_attribute("data-epoch"))
    assert after - before >= 86400
    field = browser.find_element(By.ID, "clock-seconds")
    field.send_keys("60")
    browser.find_element(By.ID, "clock-advance").click()
    notice(browser, "clock advanced by 60 s")  # the page already shows a notice: this waits for the new one
    assert rt.clock.now() - before >= 86460
