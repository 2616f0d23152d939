"""The hosted login page at the authorization step: its forms (password, SMS or email code,
registration) posted back to ``/oidc/auth``, CSRF-checked, refusals shown on the page, each login
ending in the redirect with a code; on memory, SQLite and Redis (``tests/data/signin_users.json``)."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from mockserver import Config, create_app
from support import DATA
from support.processes import state_url

APP = "d1d1d1d1d1d1d1d1d1d1d1d1"
CALLBACK = "http://localhost:3000/callback"
REQUEST = {"client_id": APP, "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid profile",
           "state": "st-9"}


@pytest.fixture(params=["memory", "sqlite", "redis"])
def app(request, tmp_path):
    app = create_app(Config(fixtures=str(DATA / "signin_users.json"),
                            state=state_url(request.param, tmp_path, request)))
    yield app
    app.extensions["mockserver"].store.close()


def page(client):
    answer = client.get("/oidc/auth", query_string=REQUEST)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def csrf(html):
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', html).group(1)


def submit(client, action, token=None, **fields):
    token = csrf(page(client)) if token is None else token
    return client.post("/oidc/auth", data={**REQUEST, "csrf_token": token, "mock_action": action, **fields})


def subject(client, answer):
    """The user the redirect's code is for (exchanged at the token endpoint)."""
    assert answer.status_code == 302, answer.get_data(as_text=True)[:400]
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == ["st-9"]
    tokens = client.post("/oidc/token", data={"grant_type": "authorization_code", "code": query["code"][0],
                                              "redirect_uri": CALLBACK, "client_id": APP,
                                              "client_secret": "d1" * 16}).get_json()
    return jwt.decode(tokens["id_token"], options={"verify_signature": False})["sub"]


def shown_error(answer):
    assert answer.status_code == 400
    return re.search(r'<p class="error" id="error" role="alert">(.*?)</p>', answer.get_data(as_text=True)).group(1)


def user_id(rt, **match):
    return next(u["id"] for u in rt.authing.users() if all(u.get(k) == v for k, v in match.items()))


def test_the_page_has_the_documented_hooks_and_no_remote_script(client):
    html = page(client)
    for form in ("login", "register"):
        body = re.search(rf'<form name="{form}" method="post" action="/oidc/auth">(.*?)</form>', html, re.S).group(1)
        assert {f'name="{name}"' for name in ("email", "username", "phone", "password", "code")} <= set(
            re.findall(r'name="\w+"', body))
    assert 'data-persona="alice"' in html and "<script" not in html
    answer = client.get("/oidc/auth", query_string=REQUEST)
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/oidc/auth" in cookie


@pytest.mark.parametrize("fields", [{"username": "carol"}, {"email": "carol@example.com"}, {"phone": "13700137000"}])
def test_password_login_through_the_page(client, rt, fields):
    assert subject(client, submit(client, "password", password="carol-pass-1", **fields)) == user_id(
        rt, username="carol")


def test_refusals_are_shown_on_the_page_with_the_fields_refilled(client, rt):
    before = rt.authing.repo.snapshot()
    wrong = submit(client, "password", username="carol", password="bad-pass")
    assert shown_error(wrong) == "密码不正确"
    html = wrong.get_data(as_text=True)
    assert 'name="username" value="carol"' in html and "bad-pass" not in html
    assert shown_error(submit(client, "password", username="nobody", password="x")) == "用户不存在"
    assert shown_error(submit(client, "password", username="mallory", password="mallory-pass-1")) == "用户已被锁定"
    assert shown_error(submit(client, "password", password="x")) == "请填写邮箱、用户名或手机号"
    assert shown_error(submit(client, "password", username="carol")) == "请提供密码"
    assert shown_error(submit(client, "fly")) == "mock_action 必须是 password、send_code、code、register 之一"
    escaped = submit(client, "password", username='"><script>x</script>', password="x")
    assert "<script>x" not in escaped.get_data(as_text=True)
    assert rt.authing.repo.snapshot() == before


def test_a_post_without_the_pages_csrf_token_is_refused(client, rt, app):
    page(client)
    before = rt.authing.repo.snapshot()
    forged = submit(client, "password", token="0" * 64, username="carol", password="carol-pass-1")
    assert shown_error(forged) == "页面已失效，请刷新后重试"
    fresh = app.test_client()  # no cookie at all
    assert shown_error(fresh.post("/oidc/auth", data={**REQUEST, "mock_action": "password", "csrf_token": "",
                                                      "username": "carol", "password": "carol-pass-1"})) \
        == "页面已失效，请刷新后重试"
    assert rt.authing.repo.snapshot() == before


def test_send_code_without_scripts_then_code_login(client, rt):
    sent = submit(client, "send_code", phone="13700137000")
    assert sent.status_code == 200
    assert '<p class="notice" id="notice">验证码已发送至 13700137000</p>' in sent.get_data(as_text=True)
    code = client.get("/__mock__/authing/sms").get_json()["codes"][-1]["code"]
    assert shown_error(submit(client, "code", phone="13700137000", code="x")) == "验证码不正确"
    assert subject(client, submit(client, "code", phone="13700137000", code=code)) == user_id(rt, username="carol")
    submit(client, "send_code", email="erin@example.com")
    mail = client.get("/__mock__/authing/emails").get_json()["emails"][-1]
    assert subject(client, submit(client, "code", email="erin@example.com", code=mail["code"])) == user_id(
        rt, email="erin@example.com")
    assert shown_error(submit(client, "send_code", email="erin@example.com")) == "发送过于频繁，请稍后再试"
    submit(client, "send_code", phone="13100131000")  # nobody's phone: the login registers it
    code = client.get("/__mock__/authing/sms").get_json()["codes"][-1]["code"]
    assert subject(client, submit(client, "code", phone="13100131000", code=code)) == user_id(rt, phone="13100131000")
    assert shown_error(submit(client, "send_code")) == "请填写手机号或邮箱"


def test_registration_through_the_page(client, rt):
    made = subject(client, submit(client, "register", email="kim@example.com", password="kim-pass-1"))
    assert made == user_id(rt, email="kim@example.com")
    assert rt.authing.user_record(made)["loginsCount"] == 1
    again = submit(client, "register", email="kim@example.com", password="x")
    assert shown_error(again) == "用户已存在，请不要重复注册"
    no_code = submit(client, "register", phone="13900139000")
    assert shown_error(no_code) == "请填写邮箱或用户名与密码，或手机号或邮箱与验证码"
    submit(client, "send_code", phone="13900139000")
    code = client.get("/__mock__/authing/sms").get_json()["codes"][-1]["code"]
    by_phone = subject(client, submit(client, "register", phone="13900139000", code=code))
    assert rt.authing.user_record(by_phone)["phone"] == "13900139000"


def test_a_bad_client_is_never_redirected_from_a_post(client):
    token = csrf(page(client))
    answer = client.post("/oidc/auth", data={**REQUEST, "client_id": "0" * 24, "csrf_token": token, "username": "carol",
                                             "mock_action": "password", "password": "carol-pass-1"})
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_request"
