"""The dashboard's Authing tables in a real headless Chromium: a token revoked by clicking its row's
button is refused through the API afterwards (introspection, ``checkLoginStatus``), and a code
sent by email shows in the email outbox. The mock is built from ``tests/data/signin_users.json``
(carol signs in with a password). Chromium as in ``test_dashboard_browser.py``."""
from __future__ import annotations

import jwt
import pytest
from selenium.webdriver.common.by import By
from support import DATA
from test_dashboard_browser import browser, notice, row  # noqa: F401 -- browser is a fixture

from mockserver import Config, create_app

APP = "d1d1d1d1d1d1d1d1d1d1d1d1"
H = {"x-authing-app-id": APP}


@pytest.fixture
def app():
    app = create_app(Config(fixtures=str(DATA / "signin_users.json")))
    yield app
    app.extensions["mockserver"].store.close()


def test_revoke_a_token_by_clicking_then_it_is_refused(browser, live, http):  # noqa: F811
    tokens = http.post(live.url + "/api/v3/signin", headers=H, json={
        "connection": "PASSWORD", "passwordPayload": {"username": "carol", "password": "carol-pass-1"}}).json()["data"]
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    user, jti = claims["sub"], claims["jti"]

    def introspected(token):
        return http.post(live.url + "/oidc/token/introspection",
                         data={"client_id": APP, "client_secret": "d1" * 16, "token": token}).json()
    assert introspected(tokens["id_token"])["active"] is True

    browser.get(live.url + "/__mock__/")
    browser.find_element(By.CSS_SELECTOR, 'a[href="#authing-tokens"]').click()
    listed = row(browser, "authing-tokens", f"{user}/{jti}")
    assert "id_token" in listed.text and APP in listed.text
    listed.find_element(By.CSS_SELECTOR, "button.revoke").click()
    notice(browser, f"id_token {jti} of Authing user {user} revoked")

    assert introspected(tokens["id_token"]) == {"active": False}
    status = http.post(live.url + "/graphql/v2", headers=H, json={
        "query": "query s($t: String) { checkLoginStatus(token: $t) { code message status } }",
        "variables": {"t": tokens["id_token"]}}).json()
    assert status == {"data": {"checkLoginStatus": {"code": 2207, "message": "token 已失效，请重新登录", "status": False}}}
    assert [token["kind"] for token in http.get(live.url + f"/__mock__/authing/users/{user}/tokens").json()["tokens"]] \
        == ["access_token"]
    assert not browser.find_elements(By.CSS_SELECTOR, f'#authing-tokens ~ table tr[data-key="{user}/{jti}"]')


def test_the_email_outbox_shows_a_code_sent(browser, live, http):  # noqa: F811
    sent = http.post(live.url + "/api/v3/send-email", headers=H,
                     json={"channel": "CHANNEL_LOGIN", "email": "carol@example.com"}).json()
    assert sent["statusCode"] == 200, sent
    email = http.get(live.url + "/__mock__/authing/emails").json()["emails"][-1]

    browser.get(live.url + "/__mock__/")
    browser.find_element(By.CSS_SELECTOR, 'a[href="#authing-emails"]').click()
    shown = row(browser, "authing-emails", email["id"])
    assert "carol@example.com" in shown.text and email["code"] in shown.text and email["subject"] in shown.text
