"""The hosted login's consent page through the real npm ``@authing/web`` in headless Chromium, for
an app with ``skip_consent: false``: a persona's click leads to the consent page; Allow ends in
``handleRedirectCallback`` and ``getUserInfo``; Deny in the SDK's own error for ``access_denied``.
Same set-up as test_hosted_login_browser.py (whose fixtures it uses); never skipped in CI."""
from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By
from support.browsing import until

from mockserver import Config, create_app
from support import DATA
from test_hosted_login_browser import APP, browser, spa, to_hosted_page, user_info  # noqa: F401 (fixtures)


@pytest.fixture
def app(tmp_path):
    fixture = json.loads((DATA / "signin_users.json").read_text())
    fixture["authing"]["user_pools"][0]["apps"][0]["skip_consent"] = False
    path = tmp_path / "consent.json"
    path.write_text(json.dumps(fixture))
    return create_app(Config(fixtures=str(path)))


def to_consent_page(browser, spa):  # noqa: F811
    to_hosted_page(browser, spa)
    browser.find_element(By.CSS_SELECTOR, 'button[data-persona="alice"]').click()
    until(browser, lambda b: b.find_elements(By.CSS_SELECTOR, 'form[name="consent"]'), 15)
    return [item.get_attribute("data-scope") for item in browser.find_elements(By.CSS_SELECTOR, "li.scope")]


def test_allow_on_the_consent_page_then_callback_and_user_info(browser, spa, rt):  # noqa: F811
    assert to_consent_page(browser, spa) == ["openid", "profile", "email", "phone"]
    browser.find_element(By.CSS_SELECTOR, 'form[name="consent"] button[name="decision"][value="allow"]').click()
    user = user_info(browser)
    assert user["nickname"] == "爱丽丝"
    assert rt.authing.repo.consent(user["userId"], APP)["scope"] == "openid profile email phone"


def test_deny_on_the_consent_page_reaches_the_sdk_as_access_denied(browser, spa, rt):  # noqa: F811
    to_consent_page(browser, spa)
    browser.find_element(By.CSS_SELECTOR, 'form[name="consent"] button[name="decision"][value="deny"]').click()
    until(browser, lambda b: b.current_url.startswith("http://localhost")
          and b.find_element(By.ID, "result").text.startswith("{"), 20)
    result = json.loads(browser.find_element(By.ID, "result").text)
    assert result["error"].startswith("认证失败, error=access_denied, error_description=")
