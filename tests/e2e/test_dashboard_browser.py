"""The dashboard in a real headless Chromium: mint a login code by clicking, read it off the page,
exchange it. Needs Debian's chromium and chromedriver (scripts/ensure-chromium installs them, and
scripts/test runs it); set MOCKSERVER_SKIP_BROWSER=1 to skip locally — never skipped in CI."""
from __future__ import annotations

import os
import shutil
import tempfile

import pytest

if os.environ.get("MOCKSERVER_SKIP_BROWSER") == "1" and not os.environ.get("CI"):
    pytest.skip("MOCKSERVER_SKIP_BROWSER=1", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

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


def test_click_mint_code_then_exchange_it(browser, live, http, rt, wx_app):
    alias = rt.wechat.users()[1]["alias"]
    browser.get(live.url + "/__mock__/")
    assert browser.title == "mockserver dashboard"

    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-user="{alias}"]')
    row.find_element(By.CSS_SELECTOR, "button.mint-code").click()
    code = browser.find_element(By.ID, "minted-code").text
    assert browser.find_element(By.ID, "minted-user").text == alias
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


def test_clock_buttons_move_the_mock_clock(browser, live, rt):
    browser.get(live.url + "/__mock__/")
    before = float(browser.find_element(By.ID, "clock-now").get_attribute("data-epoch"))
    browser.find_element(By.CSS_SELECTOR, 'button[data-seconds="86400"]').click()
    assert "clock advanced by 86400 s" in browser.find_element(By.ID, "notice").text
    after = float(browser.find_element(By.ID, "clock-now").get_attribute("data-epoch"))
    assert after - before >= 86400
    field = browser.find_element(By.ID, "clock-seconds")
    field.send_keys("60")
    browser.find_element(By.ID, "clock-advance").click()
    # the page already shows a notice: wait for the new page's
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda page: "clock advanced by 60 s" in page.find_element(By.ID, "notice").text)
    assert rt.clock.now() - before >= 86460
