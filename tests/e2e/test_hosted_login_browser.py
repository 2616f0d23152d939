"""The hosted login page through the real npm ``@authing/web`` (5.x, pinned in tests/js/package.json)
in headless Chromium: a single-page app on ``http://localhost:<port>`` calls ``loginWithRedirect``;
the mock's page logs a user in (a persona's button, the password form, or the register form);
``handleRedirectCallback`` exchanges the code (PKCE) and ``getUserInfo`` reads the v3 profile.

@authing/web takes a domain without a port, so the mock is reached as ``http://authing.mock.test``
(port 80) and Chromium maps that host and port to the live server with ``--host-resolver-rules``,
as README's "Hosted login page" section shows. Needs Debian's chromium and chromedriver (see
test_dashboard_browser.py); set MOCKSERVER_SKIP_BROWSER=1 to skip locally — never skipped in CI.
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mockserver import Config, create_app
from support import DATA, JS_DIR

if os.environ.get("MOCKSERVER_SKIP_BROWSER") == "1" and not os.environ.get("CI"):
    pytest.skip("MOCKSERVER_SKIP_BROWSER=1", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from support.browsing import until  # noqa: E402
from test_dashboard_browser import CHROMIUM_FLAGS  # noqa: E402

DOMAIN = "authing.mock.test"
APP = "d1d1d1d1d1d1d1d1d1d1d1d1"
POOL = "d0d0d0d0d0d0d0d0d0d0d0d0"
WEB_SDK = JS_DIR / "node_modules" / "@authing" / "web"
PAGE = """<!doctype html><meta charset="utf-8"><title>spa</title>
<button id="login">login</button><pre id="result">loading</pre>
<script src="axios.min.js"></script><script src="authing-web.js"></script>
<script>
const sdk = new AuthingFactory.Authing(%s);
document.getElementById("login").onclick = () => sdk.loginWithRedirect();
(async () => {
  const out = document.getElementById("result");
  try {
    if (!sdk.isRedirectCallback()) { out.textContent = "ready"; return; }
    const state = await sdk.handleRedirectCallback();
    out.textContent = JSON.stringify({ state, user: await sdk.getUserInfo() });
  } catch (err) {
    out.textContent = JSON.stringify({ error: String(err && err.message || err) });
  }
})();
</script>"""


@pytest.fixture
def app():
    return create_app(Config(fixtures=str(DATA / "signin_users.json")))


@pytest.fixture
def spa():
    """The single-page app, served on a free localhost port: @authing/web and its axios, and a page."""
    root = tempfile.mkdtemp(prefix="mockserver-spa-")
    shutil.copy(WEB_SDK / "dist" / "global" / "index.global.js", os.path.join(root, "authing-web.js"))
    shutil.copy(WEB_SDK / "node_modules" / "axios" / "dist" / "axios.min.js", os.path.join(root, "axios.min.js"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SimpleHTTPRequestHandler, directory=root))
    origin = f"http://localhost:{server.server_address[1]}"
    options = {"domain": f"http://{DOMAIN}", "appId": APP, "userPoolId": POOL,
               "redirectUri": origin + "/index.html", "scope": "openid profile email phone"}
    with open(os.path.join(root, "index.html"), "w") as page:
        page.write(PAGE % json.dumps(options))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield origin + "/index.html"
    server.shutdown()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def browser(live):
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and chromedriver, "run scripts/ensure-chromium (or set MOCKSERVER_SKIP_BROWSER=1 locally)"
    profile = tempfile.mkdtemp(prefix="mockserver-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    port = live.url.rsplit(":", 1)[1]
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}",
                                  f"--host-resolver-rules=MAP {DOMAIN}:80 127.0.0.1:{port}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(30)
    driver.implicitly_wait(10)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def to_hosted_page(browser, spa):
    browser.get(spa)
    until(browser, lambda b: b.find_element(By.ID, "result").text == "ready", 15)
    browser.find_element(By.ID, "login").click()
    until(browser, lambda b: b.current_url.startswith(f"http://{DOMAIN}/oidc/auth")
          and b.find_elements(By.CSS_SELECTOR, 'form[name="login"]'), 15)


def user_info(browser):
    until(browser, lambda b: b.current_url.startswith("http://localhost")
          and b.find_element(By.ID, "result").text.startswith("{"), 20)
    result = json.loads(browser.find_element(By.ID, "result").text)
    assert "error" not in result, result
    return result["user"]


def fill(browser, form, **fields):
    container = browser.find_element(By.CSS_SELECTOR, f'form[name="{form}"]')
    for name, value in fields.items():
        container.find_element(By.NAME, name).send_keys(value)
    return container


def test_persona_click_then_callback_and_user_info(browser, spa, rt):
    to_hosted_page(browser, spa)
    browser.find_element(By.CSS_SELECTOR, 'button[data-persona="alice"]').click()
    user = user_info(browser)
    alice = next(u for u in rt.authing.users() if u.get("openid"))
    assert user["userId"] == alice["id"] and user["nickname"] == "爱丽丝"


def test_password_login_on_the_hosted_page(browser, spa, rt):
    to_hosted_page(browser, spa)
    fill(browser, "login", username="carol", password="wrong-pass")
    browser.find_element(By.CSS_SELECTOR, 'form[name="login"] button[value="password"]').click()
    assert until(browser, lambda b: b.find_element(By.ID, "error").text) == "密码不正确"
    form = browser.find_element(By.CSS_SELECTOR, 'form[name="login"]')
    assert form.find_element(By.NAME, "username").get_attribute("value") == "carol"
    form.find_element(By.NAME, "password").send_keys("carol-pass-1")
    form.find_element(By.CSS_SELECTOR, 'button[value="password"]').click()
    user = user_info(browser)
    assert user["username"] == "carol" and user["email"] == "carol@example.com"


def test_registration_on_the_hosted_page(browser, spa, rt):
    to_hosted_page(browser, spa)
    form = fill(browser, "register", email="lee@example.com", password="lee-pass-1")
    form.find_element(By.CSS_SELECTOR, 'button[value="register"]').click()
    user = user_info(browser)
    assert user["email"] == "lee@example.com" and user["registerSource"] == ["basic:email"]
    assert any(u.get("email") == "lee@example.com" for u in rt.authing.users())
