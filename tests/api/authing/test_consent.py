"""Consent at the hosted login: an app with ``skip_consent: false`` (or ``prompt=consent``) shows the
consent page after the user is identified; Allow gives the code and is remembered per (user, app,
scopes), Deny gives ``access_denied``, ``prompt=none`` ``consent_required``; a bare ``login_hint``
allows on the user's behalf. On memory, SQLite and Redis."""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from mockserver import Config, create_app
from support import DATA
from support.processes import state_url

APP = "d1d1d1d1d1d1d1d1d1d1d1d1"
OTHER_APP = "e1e1e1e1e1e1e1e1e1e1e1e1"
SECRET = "d1" * 16
CALLBACK = "http://localhost:3000/callback"
REQUEST = {"client_id": APP, "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid profile",
           "state": "st-9"}
CONSENT_NAMESPACES = ("authing.consents", "authing.consent.asked")


def fixture_file(tmp_path, **app_settings):
    fixture = json.loads((DATA / "signin_users.json").read_text())
    apps = fixture["authing"]["user_pools"][0]["apps"]
    apps[0].update(app_settings)
    apps.append({**apps[0], "id": OTHER_APP, "secret": "e1" * 16, "name": "other"})
    path = tmp_path / "consent.json"
    path.write_text(json.dumps(fixture))
    return path


@pytest.fixture(params=["memory", "sqlite", "redis"])
def app(request, tmp_path):
    app = create_app(Config(fixtures=str(fixture_file(tmp_path, skip_consent=False)),
                            state=state_url(request.param, tmp_path, request)))
    yield app
    app.extensions["mockserver"].store.close()


def redirect_params(answer):
    assert answer.status_code == 302, answer.get_data(as_text=True)[:400]
    return {name: values[0] for name, values in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def subject(client, answer):
    """The user the redirect's code is for (exchanged at the token endpoint)."""
    query = redirect_params(answer)
    assert query["state"] == "st-9"
    tokens = client.post("/oidc/token", data={"grant_type": "authorization_code", "code": query["code"],
                                              "redirect_uri": CALLBACK, "client_id": APP,
                                              "client_secret": SECRET}).get_json()
    return jwt.decode(tokens["id_token"], options={"verify_signature": False})["sub"]


def click_persona(client, alias="alice", **request):
    return client.get("/oidc/auth", query_string={**REQUEST, "login_hint": alias, "mock_picked": "1", **request})


def consent_form(answer):
    """The consent page's form fields (hidden inputs), checked against its documented hooks."""
    assert answer.status_code == 200, answer.get_data(as_text=True)[:400]
    html = answer.get_data(as_text=True)
    form = re.search(r'<form name="consent" method="post" action="/oidc/auth">(.*?)</form>', html, re.S).group(1)
    assert re.findall(r'<button type="submit" name="decision" value="(\w+)">', form) == ["allow", "deny"]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))


def decide(client, answer, decision):
    return client.post("/oidc/auth", data={**consent_form(answer), "decision": decision})


def consent_state(rt):
    snapshot = rt.authing.repo.snapshot()
    return {namespace: snapshot[namespace] for namespace in CONSENT_NAMESPACES}


def test_the_consent_page_lists_the_scopes_with_labels_and_has_no_script(client):
    answer = click_persona(client, scope="openid profile email phone offline_access custom:read")
    html = answer.get_data(as_text=True)
    assert re.findall(r'data-scope="([^"]+)"', html) == ["openid", "profile", "email", "phone", "offline_access",
                                                          "custom:read"]
    assert "获取你的邮箱地址 <code>email</code>" in html
    assert "custom:read <code>custom:read</code>" in html  # an unknown scope as given
    assert "<script" not in html and "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert consent_form(answer)["mock_action"] == "consent"


def test_the_persona_form_as_a_browser_sends_it_leads_to_the_consent_page(client):
    html = client.get("/oidc/auth", query_string=REQUEST).get_data(as_text=True)
    form = re.search(r'<form name="persona" method="get" action="/oidc/auth">(.*?)</form>', html, re.S).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
    assert fields["mock_picked"] == "1"
    assert consent_form(client.get("/oidc/auth", query_string={**fields, "login_hint": "alice"}))


def test_the_picked_marker_given_twice_is_no_repeated_parameter(client):
    assert consent_form(click_persona(client, mock_picked=["1", "1"]))


def test_a_scope_asked_twice_is_listed_once(client):
    html = click_persona(client, scope="openid openid profile").get_data(as_text=True)
    assert re.findall(r'data-scope="([^"]+)"', html) == ["openid", "profile"]


def test_allowed_scopes_add_up(client, rt):
    user_id = subject(client, decide(client, click_persona(client), "allow"))
    subject(client, decide(client, click_persona(client, scope="openid email", prompt="consent"), "allow"))
    assert rt.authing.repo.consent(user_id, APP)["scope"] == "openid profile email"
    assert subject(client, click_persona(client, scope="openid profile email")) == user_id


def test_a_consent_is_per_app(client, rt):
    user_id = subject(client, decide(client, click_persona(client), "allow"))
    assert consent_form(click_persona(client, client_id=OTHER_APP))
    assert rt.authing.repo.consent(user_id, OTHER_APP) is None


def test_a_ticket_is_bound_to_its_app(client, rt):
    form = consent_form(click_persona(client))
    before = consent_state(rt)
    answer = client.post("/oidc/auth", data={**form, "client_id": OTHER_APP, "decision": "allow"})
    assert answer.status_code == 400 and "授权页面已过期，请重新登录" in answer.get_data(as_text=True)
    assert consent_state(rt) == before


def test_a_user_gone_before_the_decision(client, rt):
    form = consent_form(click_persona(client))
    rt.store.delete("authing.users", rt.authing.repo.consent_asked(form["mock_consent"])["userId"])
    answer = client.post("/oidc/auth", data={**form, "decision": "allow"})
    assert answer.status_code == 400 and "用户不存在，请重新登录" in answer.get_data(as_text=True)


def test_allow_gives_the_code_and_is_remembered(client, rt):
    user_id = subject(client, decide(client, click_persona(client), "allow"))
    assert rt.authing.repo.consent(user_id, APP)["scope"] == "openid profile"
    assert subject(client, click_persona(client, scope="openid")) == user_id  # fewer scopes: no page
    assert click_persona(client, scope="openid email").status_code == 200  # a new scope: asked again
    assert click_persona(client, prompt="consent").status_code == 200  # asked again whatever was allowed


def test_deny_redirects_access_denied_with_state_and_remembers_nothing(client, rt):
    answer = decide(client, click_persona(client), "deny")
    assert redirect_params(answer) == {"error": "access_denied", "state": "st-9",
                                       "error_description": "the user denied the authorization request"}
    assert consent_state(rt)["authing.consents"] == {}


@pytest.mark.parametrize("mode", ["fragment", "form_post"])
def test_deny_answers_in_the_requests_response_mode(client, mode):
    answer = decide(client, click_persona(client, response_mode=mode), "deny")
    if mode == "fragment":
        assert answer.headers["Location"].startswith(CALLBACK + "#error=access_denied&")
    else:
        html = answer.get_data(as_text=True)
        assert 'name="error" value="access_denied"' in html and 'name="state" value="st-9"' in html


def test_a_ticket_counts_once(client, rt):
    page = click_persona(client)
    subject(client, decide(client, page, "allow"))
    again = decide(client, page, "allow")
    assert again.status_code == 400 and "授权页面已过期，请重新登录" in again.get_data(as_text=True)


def test_a_ticket_expires_with_the_mock_clock(client, rt):
    page = click_persona(client)
    rt.clock.advance(601)
    answer = decide(client, page, "allow")
    assert answer.status_code == 400 and "授权页面已过期，请重新登录" in answer.get_data(as_text=True)


@pytest.mark.parametrize("change", [{"scope": "openid profile email"}, {"redirect_uri": "http://localhost:9/x"},
                                    {"mock_consent": "no-such-ticket"}])
def test_a_ticket_is_bound_to_its_request(client, rt, change):
    form = consent_form(click_persona(client))
    before = consent_state(rt)
    answer = client.post("/oidc/auth", data={**form, **change, "decision": "allow"})
    assert answer.status_code == 400 and "授权页面已过期，请重新登录" in answer.get_data(as_text=True)
    assert consent_state(rt) == before


@pytest.mark.parametrize("decision", [None, "maybe"])
def test_a_bad_decision_shows_the_page_again_and_changes_nothing(client, rt, decision):
    form = consent_form(click_persona(client))
    before = consent_state(rt)
    answer = client.post("/oidc/auth", data={**form, **({"decision": decision} if decision else {})})
    assert answer.status_code == 400
    assert re.search(r'<p class="error" id="error" role="alert">(.*?)</p>', answer.get_data(as_text=True)).group(
        1) == "请选择允许或拒绝"
    assert consent_state(rt) == before
    assert redirect_params(client.post("/oidc/auth", data={**form, "decision": "allow"}))["state"] == "st-9"


def test_a_decision_without_the_pages_csrf_token_is_refused(client, rt, app):
    form = consent_form(click_persona(client))
    before = consent_state(rt)
    other = app.test_client()  # no cookie
    answer = other.post("/oidc/auth", data={**form, "decision": "allow"})
    assert answer.status_code == 400 and "页面已失效，请刷新后重试" in answer.get_data(as_text=True)
    assert consent_state(rt) == before


def password_login(client, username, password):
    page = client.get("/oidc/auth", query_string=REQUEST).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)
    return client.post("/oidc/auth", data={**REQUEST, "csrf_token": token, "mock_action": "password",
                                           "username": username, "password": password})


def test_a_password_login_through_the_page_is_asked_too(client, rt):
    answer = password_login(client, "carol", "carol-pass-1")
    assert '<span id="consent-user">卡罗尔</span>' in answer.get_data(as_text=True)
    carol = rt.authing.repo.linked("d0d0d0d0d0d0d0d0d0d0d0d0", "username", "carol")
    assert subject(client, decide(client, answer, "allow")) == carol


def test_a_users_fields_are_escaped_on_the_consent_page(client, rt):
    carol = rt.authing.repo.linked("d0d0d0d0d0d0d0d0d0d0d0d0", "username", "carol")
    rt.authing.repo.update_user(carol, lambda user: ({**user, "nickname": "<b>x</b>"}, None))
    html = password_login(client, "carol", "carol-pass-1").get_data(as_text=True)
    assert '<span id="consent-user">&lt;b&gt;x&lt;/b&gt;</span>' in html and "<b>x</b>" not in html


def test_a_bare_login_hint_allows_on_the_users_behalf(client, rt):
    user_id = subject(client, client.get("/oidc/auth", query_string={**REQUEST, "login_hint": "alice",
                                                                       "prompt": "consent"}))
    assert rt.authing.repo.consent(user_id, APP)["scope"] == "openid profile"


def test_prompt_none_with_a_login_hint_needs_a_consent_given_before(client, rt):
    silent = {**REQUEST, "login_hint": "alice", "prompt": "none"}
    before = consent_state(rt)
    assert redirect_params(client.get("/oidc/auth", query_string=silent)) == {
        "error": "consent_required", "state": "st-9",
        "error_description": "prompt=none: the user has not allowed this app these scopes"}
    assert consent_state(rt) == before
    subject(client, decide(client, click_persona(client), "allow"))
    assert "code" in redirect_params(client.get("/oidc/auth", query_string=silent))


def test_the_fixture_setting_is_checked(tmp_path):
    from mockserver.core.fixtures import FixtureError

    with pytest.raises(FixtureError, match="skip_consent must be true or false"):
        create_app(Config(fixtures=str(fixture_file(tmp_path, skip_consent="no"))))


def test_apps_skip_consent_by_default(tmp_path):
    app = create_app(Config(fixtures=str(fixture_file(tmp_path))))
    client, rt = app.test_client(), app.extensions["mockserver"]
    assert "code" in redirect_params(click_persona(client))
    assert consent_state(rt) == {namespace: {} for namespace in CONSENT_NAMESPACES}
    assert click_persona(client, prompt="consent").status_code == 200  # prompt=consent asks even so
