"""The Authing OIDC provider's rules, each error path with its exact RFC 6749 answer, and the race
of 50 clients over one code on memory, SQLite and Redis.

Every test runs on each state backend. The mock is built from ``tests/data/oidc_apps.json``: app OPEN has no OIDC settings (any loopback
URI, every grant and auth method), STRICT exact URIs, two grants and Basic only (HS256, short
lifetimes), MACHINE only client_credentials.
"""
from __future__ import annotations

import base64
import hashlib
import html
import re
import threading
from urllib.parse import parse_qs, quote, urlsplit

import jwt
import pytest

from mockserver import Config, create_app
from mockserver.core.fixtures import FixtureError
from support import DATA, ROOT, authing_login
from support.processes import state_url

FIXTURE = str(DATA / "oidc_apps.json")
WX = "wxccccccccccccccc1"
POOL = "c0c0c0c0c0c0c0c0c0c0c0c0"
OPEN, STRICT, MACHINE = "c1c1c1c1c1c1c1c1c1c1c1c1", "c2c2c2c2c2c2c2c2c2c2c2c2", "c3c3c3c3c3c3c3c3c3c3c3c3"
SECRETS = {OPEN: "c1" * 16, STRICT: "c2" * 16, MACHINE: "c3" * 16}
CALLBACK = "http://localhost:3000/callback"
STRICT_CALLBACK = "https://app.example.com/callback"
VERIFIER = "v" * 43
S256 = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


@pytest.fixture(params=["memory", "sqlite", "redis"])
def app(request, tmp_path):
    """Every test runs on each state backend."""
    app = create_app(Config(fixtures=FIXTURE, state=state_url(request.param, tmp_path, request)))
    yield app
    app.extensions["mockserver"].store.close()


def basic(app_id):
    return (app_id, SECRETS[app_id])


def authorize(client, app_id=OPEN, **params):
    query = {"client_id": app_id, "redirect_uri": CALLBACK if app_id != STRICT else STRICT_CALLBACK,
             "response_type": "code", "scope": "openid profile", "state": "st-1", "login_hint": "alice", **params}
    return client.get("/oidc/auth", query_string={k: v for k, v in query.items() if v is not None})


def redirected(response):
    """The query of a 302 to the redirect URI."""
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def code_for(client, app_id=OPEN, **params):
    return redirected(authorize(client, app_id, **params))["code"]


def token(client, auth=None, **form):
    return client.post("/oidc/token", data=form, auth=auth)


def exchange(client, code, app_id=OPEN, **extra):
    form = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": CALLBACK if app_id != STRICT else STRICT_CALLBACK, **extra}
    return token(client, basic(app_id), **form)


def error(response, status=400):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    return body["error"], body["error_description"]


# --- the authorization endpoint: errors shown, never redirected -----------------------------------------
@pytest.mark.parametrize("params, description", [
    ({"client_id": None}, "missing required parameter 'client_id'"),
    ({"client_id": "0" * 24}, "client_id names no app here"),
    ({"redirect_uri": None}, "missing required parameter 'redirect_uri'"),
    ({"redirect_uri": "https://evil.example/cb"}, "redirect_uri is not one of the app's redirect URIs"),
    ({"redirect_uri": "http://localhost.evil.example/cb"}, "redirect_uri is not one of the app's redirect URIs"),
    ({"redirect_uri": "http://me@localhost/cb"}, "redirect_uri is not one of the app's redirect URIs"),
    ({"redirect_uri": "ftp://localhost/cb"}, "redirect_uri is not one of the app's redirect URIs"),
    ({"redirect_uri": "http://localhost/cb#frag"}, "redirect_uri is not one of the app's redirect URIs"),
])
def test_no_redirect_without_a_good_client_and_redirect_uri(client, rt, params, description):
    before = rt.authing.repo.snapshot()
    assert error(authorize(client, **params)) == ("invalid_request", description)
    assert rt.authing.repo.snapshot() == before


def test_an_empty_parameter_counts_as_absent(client):
    assert error(authorize(client, client_id="")) == ("invalid_request", "missing required parameter 'client_id'")
    assert authorize(client, login_hint="").status_code == 200  # the picker


def test_repeated_client_id_is_not_redirected(client):
    answer = client.get(f"/oidc/auth?client_id={OPEN}&client_id={OPEN}&redirect_uri={quote(CALLBACK)}")
    assert error(answer) == ("invalid_request", "'client_id' parameter must not be provided twice")


def test_strict_app_accepts_only_its_exact_uris(client):
    assert error(authorize(client, STRICT, redirect_uri=CALLBACK))[1] == \
        "redirect_uri is not one of the app's redirect URIs"
    assert error(authorize(client, STRICT, redirect_uri=STRICT_CALLBACK + "/x"))[0] == "invalid_request"
    assert redirected(authorize(client, STRICT))["state"] == "st-1"


@pytest.mark.parametrize("uri", ["http://localhost/cb", "https://localhost:8443/a/b?x=1", "http://127.0.0.1:9/",
                                 "http://[::1]:8080/callback"])
def test_any_loopback_uri_for_an_app_without_uris(client, uri):
    location = authorize(client, redirect_uri=uri).headers["Location"]
    assert location.startswith(uri) and "code=" in location and "state=st-1" in location
    if "?" in uri:
        assert location.startswith(uri + "&code=")


# --- the authorization endpoint: errors by redirect (§4.1.2.1), state passed back -----------------------
@pytest.mark.parametrize("params, expected", [
    ({"response_type": None}, ("invalid_request", "missing required parameter 'response_type'")),
    ({"response_type": "token"}, ("unsupported_response_type", "only response_type=code is supported")),
    ({"scope": "profile email"}, ("invalid_scope", "openid scope must be requested")),
    ({"prompt": "sometimes"}, ("invalid_request", "prompt must be none, login, consent or select_account")),
    ({"code_challenge_method": "S256"}, ("invalid_request", "code_challenge_method given without code_challenge")),
    ({"code_challenge": S256, "code_challenge_method": "S512"},
     ("invalid_request", "code_challenge_method must be S256 or plain")),
    ({"code_challenge": "short"}, ("invalid_request", "code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]")),
    ({"login_hint": None, "prompt": "none"},
     ("login_required", "prompt=none: the user must log in, and no login_hint was given")),
    ({"login_hint": "nobody"}, ("access_denied", "login_hint names no user of this user pool")),
])
def test_errors_go_back_by_redirect_with_state(client, rt, params, expected):
    before = rt.authing.repo.snapshot()
    answer = redirected(authorize(client, **params))
    assert answer == {"error": expected[0], "error_description": expected[1], "state": "st-1"}
    assert rt.authing.repo.snapshot() == before


def test_unauthorized_client_and_repeated_parameters_go_back_by_redirect(client):
    assert redirected(authorize(client, MACHINE))["error"] == "unauthorized_client"
    answer = client.get("/oidc/auth", query_string=[
        ("client_id", OPEN), ("redirect_uri", CALLBACK), ("response_type", "code"), ("scope", "openid"),
        ("scope", "email"), ("login_hint", "alice")])
    assert redirected(answer) == {"error": "invalid_request",
                                  "error_description": "parameters must not be provided twice: scope"}


def test_a_bad_response_mode_is_answered_in_the_query(client):
    assert redirected(authorize(client, response_mode="web_message")) == {
        "error": "invalid_request", "error_description": "response_mode must be query, fragment or form_post",
        "state": "st-1"}


def test_a_blocked_person_or_user_is_denied(client, rt):
    user = authing_login(client, "alice", OPEN, WX)
    client.patch(f"/__mock__/authing/users/{user['id']}", json={"blocked": True})
    assert redirected(authorize(client)) == {"error": "access_denied", "error_description": "用户已被锁定",
                                             "state": "st-1"}
    client.patch("/__mock__/users/bob", json={"blocked": True})
    assert redirected(authorize(client, login_hint="bob"))["error"] == "access_denied"


# --- response modes ----------------------------------------------------------------------------------------
def test_fragment_mode(client):
    answer = authorize(client, response_mode="fragment")
    location = answer.headers["Location"]
    assert answer.status_code == 302 and location.startswith(CALLBACK + "#code=")
    assert parse_qs(urlsplit(location).fragment)["state"] == ["st-1"]
    error_location = authorize(client, response_mode="fragment", scope="email").headers["Location"]
    assert parse_qs(urlsplit(error_location).fragment)["error"] == ["invalid_scope"]


def test_form_post_mode_posts_itself_without_external_scripts(client):
    answer = authorize(client, response_mode="form_post", state='"><b>x')
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.content_type.startswith("text/html")
    assert f'<form method="post" action="{CALLBACK}">' in page
    code = re.search(r'name="code" value="([^"]+)"', page).group(1)
    assert 'name="state" value="&#34;&gt;&lt;b&gt;x"' in page and "<b>x" not in page
    assert "<script>document.forms[0].submit();</script>" in page and "<noscript><button" in page
    assert "src=" not in page
    assert exchange(client, code).status_code == 200


# --- logging in: login_hint, the persona picker, one person one user ----------------------------------------
@pytest.mark.parametrize("prompt", [None, "login", "consent", "none", "login consent"])
def test_login_hint_skips_every_page_whatever_prompt_says(client, prompt):
    assert "code" in redirected(authorize(client, prompt=prompt))


def user_of(client, code, app_id=OPEN):
    answer = exchange(client, code, app_id)
    assert answer.status_code == 200, answer.get_json()
    return jwt.decode(answer.get_json()["id_token"], options={"verify_signature": False})["sub"]


def test_one_person_one_user_whichever_login_comes_first(client, rt):
    oidc_first = user_of(client, code_for(client))
    assert authing_login(client, "alice", OPEN, WX)["id"] == oidc_first
    miniprogram_first = authing_login(client, "bob", OPEN, WX)["id"]
    assert user_of(client, code_for(client, login_hint="bob")) == miniprogram_first
    assert len(rt.authing.users()) == 2


def test_login_hint_by_openid_phone_username_and_email(client, rt):
    alice = user_of(client, code_for(client))
    openid = rt.wechat.openid(rt.wechat.user("alice"), WX)
    assert user_of(client, code_for(client, login_hint=openid)) == alice
    assert user_of(client, code_for(client, login_hint="13800138000")) == alice  # the person's phone
    bob = user_of(client, code_for(client, login_hint="13900139000"))
    assert bob != alice and authing_login(client, "bob", OPEN, WX)["id"] == bob
    token_ = authing_login(client, "alice", OPEN, WX)["token"]
    renamed = client.post("/api/v3/update-profile", json={"username": "alice_w"},
                          headers={"x-authing-app-id": OPEN, "Authorization": token_}).get_json()
    assert renamed["statusCode"] == 200, renamed
    assert user_of(client, code_for(client, login_hint="alice_w")) == alice
    rt.authing.repo.claim(POOL, "email", "bob@example.com", bob)  # as a registration would write it
    assert user_of(client, code_for(client, login_hint="bob@example.com")) == bob


def test_the_picker_lists_every_person_escaped_and_each_button_logs_in(client):
    created = client.post("/__mock__/users", json={"alias": "eve", "nickname": "<script>alert(1)</script>"})
    assert created.status_code == 201
    answer = authorize(client, login_hint=None, nonce="n-1")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.content_type.startswith("text/html")
    assert answer.headers["X-Frame-Options"] == "DENY"
    personas = re.findall(r'data-persona="([^"]+)"', page)
    assert personas == ["alice", "bob", "eve"]
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page
    # A click submits the form: its hidden fields and the button's login_hint, to the same URL.
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    form = {k: html.unescape(v) for k, v in form.items()}
    assert "login_hint" not in form and form["nonce"] == "n-1"
    button = re.search(r'name="login_hint" value="([^"]+)" data-persona="eve"', page).group(1)
    assert redirected(client.get("/oidc/auth", query_string={**form, "login_hint": button}))["state"] == "st-1"


# --- the token endpoint: the code ---------------------------------------------------------------------------
def test_code_exchange_gives_tokens_once(client, rt):
    code = code_for(client, nonce="n-1")
    answer = exchange(client, code)
    body = answer.get_json()
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Pragma"] == "no-cache"
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "id_token"}  # no offline_access
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["scope"] == "openid profile"
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert claims["nonce"] == "n-1" and claims["aud"] == OPEN and claims["exp"] - claims["iat"] == 3600
    access = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert access["scope"] == "openid profile" and access["sub"] == claims["sub"]
    before = rt.authing.repo.snapshot()
    assert error(exchange(client, code)) == ("invalid_grant", "authorization code has already been used")
    assert rt.authing.repo.snapshot() == before


def test_offline_access_brings_a_refresh_token_whatever_prompt_says(client):
    body = exchange(client, code_for(client, scope="openid offline_access")).get_json()
    assert body["refresh_token"] and body["scope"] == "openid offline_access"


def test_codes_expire_by_the_mock_clock(client):
    code = code_for(client)
    client.post("/__mock__/clock", json={"advance": 599})
    assert exchange(client, code).status_code == 200
    code = code_for(client)
    client.post("/__mock__/clock", json={"advance": 600})
    assert error(exchange(client, code)) == ("invalid_grant", "authorization code is invalid or expired")
    strict = code_for(client, STRICT)  # code_lifetime 30
    client.post("/__mock__/clock", json={"advance": 30})
    assert error(exchange(client, strict, STRICT))[1] == "authorization code is invalid or expired"


@pytest.mark.parametrize("change, description", [
    ({"app_id": STRICT, "redirect_uri": CALLBACK}, "authorization code was issued to another client"),
    ({"redirect_uri": "http://localhost:3000/other"}, "redirect_uri does not match the one of the authorization request"),
    ({"code_verifier": VERIFIER}, "code_verifier given, but the authorization request had no code_challenge"),
])
def test_a_code_is_bound_to_client_and_redirect_uri_and_left_usable(client, change, description):
    code = code_for(client)
    assert error(exchange(client, code, **change)) == ("invalid_grant", description)
    assert exchange(client, code).status_code == 200


@pytest.mark.parametrize("method, challenge", [("S256", S256), ("plain", VERIFIER), (None, VERIFIER)])
def test_pkce(client, method, challenge):
    code = code_for(client, code_challenge=challenge, code_challenge_method=method)
    assert error(exchange(client, code)) == (
        "invalid_grant", "code_verifier is required: the authorization request had a code_challenge")
    assert error(exchange(client, code, code_verifier="w" * 43)) == (
        "invalid_grant", "PKCE verification failed: code_verifier does not match code_challenge")
    # a public client (auth method none): only the client_id, and the verifier
    answer = token(client, grant_type="authorization_code", code=code, redirect_uri=CALLBACK, client_id=OPEN,
                   code_verifier=VERIFIER)
    assert answer.status_code == 200, answer.get_json()


def test_a_public_client_must_use_pkce(client):
    code = code_for(client)
    answer = token(client, grant_type="authorization_code", code=code, redirect_uri=CALLBACK, client_id=OPEN)
    assert error(answer) == ("invalid_grant", "a client without a secret (auth method none) must use PKCE")


# --- the token endpoint: client authentication (§2.3, §5.2) ---------------------------------------------------
def test_client_authentication_errors(client):
    code = code_for(client)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    wrong_basic = token(client, (OPEN, "0" * 32), **form)
    assert error(wrong_basic, 401) == ("invalid_client", "invalid secret provided")
    assert wrong_basic.headers["WWW-Authenticate"] == 'Basic realm="authing"'
    wrong_post = token(client, client_id=OPEN, client_secret="0" * 32, **form)
    assert error(wrong_post, 401) == ("invalid_client", "invalid secret provided")
    assert "WWW-Authenticate" not in wrong_post.headers
    assert error(token(client, **form), 401) == ("invalid_client", "no client authentication mechanism provided")
    assert error(token(client, client_id="0" * 24, client_secret="0" * 32, **form), 401) == (
        "invalid_client", "client is invalid: client_id names no app here")
    assert error(token(client, basic(OPEN), client_secret=SECRETS[OPEN], **form)) == (
        "invalid_request", "client authentication must only be provided using one mechanism")
    assert error(token(client, basic(OPEN), client_id=STRICT, **form)) == (
        "invalid_request", "client_id does not match the client of the Authorization header")
    assert exchange(client, code).status_code == 200  # none of those used the code


def test_an_app_accepts_only_its_auth_methods(client):
    code = code_for(client, STRICT)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": STRICT_CALLBACK}
    assert error(token(client, client_id=STRICT, client_secret=SECRETS[STRICT], **form), 401) == (
        "invalid_client", "the app does not accept the client authentication method client_secret_post")
    assert error(token(client, client_id=STRICT, **form), 401)[1] == \
        "the app does not accept the client authentication method none"
    assert token(client, basic(STRICT), **form).status_code == 200


def test_basic_credentials_are_form_decoded(client):
    every_char = "".join(f"%{ord(char):02x}" for char in SECRETS[OPEN])
    encoded = base64.b64encode(f"{OPEN}:{every_char}".encode()).decode()
    answer = client.post("/oidc/token", data={"grant_type": "client_credentials"},
                         headers={"Authorization": "Basic " + encoded})
    assert answer.status_code == 200


@pytest.mark.parametrize("form, expected", [
    ({}, ("invalid_request", "missing required parameter 'grant_type'")),
    ({"grant_type": "implicit"}, ("unsupported_grant_type", "unsupported grant_type 'implicit'")),
    ({"grant_type": "authorization_code"}, ("invalid_request", "missing required parameter 'code'")),
    ({"grant_type": "authorization_code", "code": "x"}, ("invalid_request", "missing required parameter 'redirect_uri'")),
    ({"grant_type": "authorization_code", "code": "x", "redirect_uri": CALLBACK},
     ("invalid_grant", "authorization code is invalid or expired")),
    ({"grant_type": "refresh_token"}, ("invalid_request", "missing required parameter 'refresh_token'")),
    ({"grant_type": "refresh_token", "refresh_token": "nope"}, ("invalid_grant", "refresh token is invalid or expired")),
    ({"grant_type": "password", "password": "x"}, ("invalid_request", "give exactly one of username, email and phone")),
    ({"grant_type": "password", "username": "a", "email": "b", "password": "x"},
     ("invalid_request", "give exactly one of username, email and phone")),
    ({"grant_type": "password", "username": "a"}, ("invalid_request", "missing required parameter 'password'")),
    ({"grant_type": "password", "username": "nobody", "password": "x"}, ("invalid_grant", "invalid credentials provided")),
])
def test_token_request_errors(client, rt, form, expected):
    before = rt.authing.repo.snapshot()
    assert error(token(client, basic(OPEN), **form)) == expected
    assert rt.authing.repo.snapshot() == before


def test_repeated_token_parameters_and_disabled_grants(client):
    answer = client.post("/oidc/token", data={"grant_type": "client_credentials", "scope": ["a", "b"]},
                         auth=basic(OPEN))
    assert error(answer) == ("invalid_request", "parameters must not be provided twice: scope")
    assert error(token(client, basic(STRICT), grant_type="refresh_token", refresh_token="x")) == (
        "unauthorized_client", "the app does not allow the refresh_token grant")
    assert error(token(client, client_id=MACHINE, client_secret=SECRETS[MACHINE], grant_type="password",
                       username="a", password="b"))[0] == "unauthorized_client"


def test_a_body_without_content_type_is_read_as_a_form(client):
    body = f"grant_type=client_credentials&client_id={OPEN}&client_secret={SECRETS[OPEN]}"
    answer = client.post("/oidc/token", data=body.encode(), headers={"Content-Type": ""})
    assert answer.status_code == 200, answer.get_json()


# --- refresh, client credentials, password ----------------------------------------------------------------------
def refresh_token_of(client):
    return exchange(client, code_for(client, scope="openid profile offline_access")).get_json()["refresh_token"]


def test_refresh_returns_the_same_refresh_token_and_new_tokens(client, rt):
    first = exchange(client, code_for(client, scope="openid profile offline_access")).get_json()
    again = token(client, basic(OPEN), grant_type="refresh_token", refresh_token=first["refresh_token"]).get_json()
    assert again["refresh_token"] == first["refresh_token"]
    assert again["access_token"] != first["access_token"] and again["id_token"] != first["id_token"]
    assert "nonce" not in jwt.decode(again["id_token"], options={"verify_signature": False})
    narrower = token(client, basic(OPEN), grant_type="refresh_token", refresh_token=first["refresh_token"],
                     scope="openid").get_json()
    assert narrower["scope"] == "openid"
    wider = token(client, basic(OPEN), grant_type="refresh_token", refresh_token=first["refresh_token"],
                  scope="openid email")
    assert error(wider) == ("invalid_scope", "scope must be within the scope the refresh token was granted")
    no_openid = token(client, basic(OPEN), grant_type="refresh_token", refresh_token=first["refresh_token"],
                      scope="offline_access").get_json()
    assert no_openid["scope"] == "offline_access" and "id_token" not in no_openid


def test_refresh_token_rules(client, rt):
    refresh = refresh_token_of(client)
    other = token(client, client_id=MACHINE, client_secret=SECRETS[MACHINE], grant_type="refresh_token",
                  refresh_token=refresh)
    assert error(other)[0] == "unauthorized_client"
    user_id = rt.authing.repo.refresh_token(refresh)["userId"]
    client.patch(f"/__mock__/authing/users/{user_id}", json={"blocked": True})
    assert error(token(client, basic(OPEN), grant_type="refresh_token", refresh_token=refresh)) == (
        "invalid_grant", "用户已被锁定")
    client.patch(f"/__mock__/authing/users/{user_id}", json={"blocked": False})
    client.post("/__mock__/clock", json={"advance": 30 * 24 * 3600})
    assert error(token(client, basic(OPEN), grant_type="refresh_token", refresh_token=refresh)) == (
        "invalid_grant", "refresh token is invalid or expired")


def test_a_refresh_token_of_another_app_is_invalid(client, rt):
    refresh = refresh_token_of(client)
    repo = rt.authing.repo
    rt.store.put("authing.oidc.rt", refresh, {**repo.refresh_token(refresh), "appId": STRICT})
    assert error(token(client, basic(OPEN), grant_type="refresh_token", refresh_token=refresh)) == (
        "invalid_grant", "refresh token is invalid or expired")


def test_client_credentials_needs_no_scope_and_introspects_active(client):
    answer = token(client, client_id=MACHINE, client_secret=SECRETS[MACHINE], grant_type="client_credentials")
    body = answer.get_json()
    assert answer.status_code == 200 and set(body) == {"access_token", "token_type", "expires_in", "scope"}
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == MACHINE == claims["aud"] and claims["gty"] == "client_credentials"
    active = client.post("/oidc/token/introspection", data={
        "client_id": MACHINE, "client_secret": SECRETS[MACHINE], "token": body["access_token"]}).get_json()
    assert active["active"] is True and active["sub"] == MACHINE
    me = client.get("/oidc/me", headers={"Authorization": "Bearer " + body["access_token"]})
    assert error(me, 401)[0] == "invalid_token"  # no user behind it
    scoped = token(client, basic(OPEN), grant_type="client_credentials", scope="book:read").get_json()
    assert scoped["scope"] == "book:read"
    public = token(client, client_id=OPEN, grant_type="client_credentials")
    assert error(public) == ("unauthorized_client", "client_credentials needs a client secret")


def test_password_grant(client, rt):
    user = authing_login(client, "alice", OPEN, WX)
    client.post("/api/v3/update-profile", json={"username": "alice_w"},
                headers={"x-authing-app-id": OPEN, "Authorization": user["token"]})
    set_password = client.put(f"/__mock__/authing/users/{user['id']}/password", json={"password": "s3cret!"})
    assert set_password.status_code == 200 and set_password.get_json() == {"userId": user["id"]}
    stored = rt.authing.repo.password_hash(user["id"])
    assert stored.startswith("pbkdf2_sha256$") and "s3cret!" not in stored
    assert "s3cret!" not in str(rt.authing.repo.snapshot()["authing.users"])
    wrong = token(client, basic(OPEN), grant_type="password", username="alice_w", password="nope")
    assert error(wrong) == ("invalid_grant", "invalid credentials provided")
    answer = token(client, basic(OPEN), grant_type="password", username="alice_w", password="s3cret!")
    body = answer.get_json()
    assert answer.status_code == 200 and body["scope"] == "openid profile" and "refresh_token" not in body
    assert jwt.decode(body["id_token"], options={"verify_signature": False})["sub"] == user["id"]
    offline = token(client, basic(OPEN), grant_type="password", username="alice_w", password="s3cret!",
                    scope="openid offline_access").get_json()
    assert offline["refresh_token"]
    journal = client.get("/__mock__/requests", query_string={"path": "/oidc/token"}).get_json()["requests"]
    assert "s3cret!" not in str(journal)
    client.patch(f"/__mock__/authing/users/{user['id']}", json={"blocked": True})
    assert error(token(client, basic(OPEN), grant_type="password", username="alice_w", password="s3cret!")) == (
        "invalid_grant", "用户已被锁定")


@pytest.mark.parametrize("body", [{}, {"password": ""}, {"password": 5}, {"password": "x" * 129}])
def test_control_plane_passwords_are_checked(client, body):
    user = authing_login(client, "alice", OPEN, WX)
    answer = client.put(f"/__mock__/authing/users/{user['id']}/password", json=body)
    assert answer.status_code == 400
    assert answer.get_json() == {"error": "password must be a non-empty string of at most 128 characters"}
    assert client.put("/__mock__/authing/users/" + "0" * 24 + "/password", json={"password": "x"}).status_code == 404


# --- introspection, revocation, userinfo ---------------------------------------------------------------------------
def test_introspection_auth_methods_and_token_kinds(client):
    tokens = exchange(client, code_for(client, scope="openid offline_access")).get_json()
    for auth in ({"data": {"client_id": OPEN}}, {"data": {"client_id": OPEN, "client_secret": SECRETS[OPEN]}},
                 {"data": {}, "auth": basic(OPEN)}):
        for kind in ("access_token", "id_token", "refresh_token"):
            answer = client.post("/oidc/token/introspection", data={**auth["data"], "token": tokens[kind]},
                                 auth=auth.get("auth")).get_json()
            assert answer["active"] is True and answer["client_id"] == OPEN, (auth, kind, answer)
            assert None not in answer.values() and ("jti" in answer) == (kind != "refresh_token")  # left out, not null
    inactive = client.post("/oidc/token/introspection", data={"client_id": OPEN, "token": "garbage"}).get_json()
    assert inactive == {"active": False}
    foreign = client.post("/oidc/token/introspection", data={
        "client_id": MACHINE, "client_secret": SECRETS[MACHINE], "token": tokens["refresh_token"]}).get_json()
    assert foreign == {"active": False}
    user_id = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"]
    client.patch(f"/__mock__/authing/users/{user_id}", json={"blocked": True})
    for kind in ("access_token", "refresh_token"):
        blocked = client.post("/oidc/token/introspection", data={"client_id": OPEN, "token": tokens[kind]})
        assert blocked.get_json() == {"active": False}, kind
    assert error(client.post("/oidc/token/introspection", data={"client_id": OPEN})) == (
        "invalid_request", "missing required parameter 'token'")
    assert error(client.post("/oidc/token/introspection", data={"client_id": STRICT, "token": "x"}), 401)[0] == \
        "invalid_client"


def test_revocation(client, rt):
    tokens = exchange(client, code_for(client, scope="openid offline_access")).get_json()
    bearer = {"Authorization": "Bearer " + tokens["access_token"]}
    assert client.get("/oidc/me", headers=bearer).status_code == 200
    foreign = client.post("/oidc/token/revocation", data={
        "client_id": MACHINE, "client_secret": SECRETS[MACHINE], "token": tokens["access_token"]})
    assert foreign.status_code == 200 and foreign.get_data() == b""
    assert client.get("/oidc/me", headers=bearer).status_code == 200  # another client cannot revoke it
    assert client.post("/oidc/token/revocation", data={
        "client_id": MACHINE, "client_secret": SECRETS[MACHINE], "token": tokens["refresh_token"]}).status_code == 200
    assert token(client, basic(OPEN), grant_type="refresh_token", refresh_token=tokens["refresh_token"]
                 ).status_code == 200
    unknown = client.post("/oidc/token/revocation", data={"client_id": OPEN, "token": "garbage"})
    assert unknown.status_code == 200 and unknown.get_data() == b""
    assert client.post("/oidc/token/revocation", data={"client_id": OPEN, "token": tokens["access_token"]}
                       ).status_code == 200
    assert error(client.get("/oidc/me", headers=bearer), 401)[0] == "invalid_token"
    assert client.post("/oidc/token/revocation", data={"token": tokens["refresh_token"]},
                       auth=basic(OPEN)).status_code == 200
    assert error(token(client, basic(OPEN), grant_type="refresh_token", refresh_token=tokens["refresh_token"]))[0] \
        == "invalid_grant"
    assert error(client.post("/oidc/token/revocation", data={"client_id": OPEN})) == (
        "invalid_request", "missing required parameter 'token'")
    assert error(client.post("/oidc/token/revocation", data={"token": "x"}, auth=(OPEN, "0" * 32)), 401)[0] == \
        "invalid_client"


def test_userinfo_takes_the_token_one_way(client):
    access = exchange(client, code_for(client)).get_json()["access_token"]
    bearer = {"Authorization": "Bearer " + access}
    for answer in (client.get("/oidc/me", headers=bearer), client.post("/oidc/me", headers=bearer),
                   client.get("/oidc/me", query_string={"access_token": access}),
                   client.post("/oidc/me", query_string={"access_token": access}),
                   client.post("/oidc/me", data={"access_token": access})):
        assert answer.status_code == 200 and answer.get_json()["nickname"] == "爱丽丝", answer.get_json()
    twice = client.get("/oidc/me", headers=bearer, query_string={"access_token": access})
    assert error(twice) == ("invalid_request", "the access token must be given in one way only")
    assert error(client.get("/oidc/me"), 401)[0] == "invalid_token"


# --- end session ------------------------------------------------------------------------------------------------
def test_end_session(client):
    tokens = exchange(client, code_for(client)).get_json()
    bye = client.get("/oidc/session/end", query_string={
        "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "http://127.0.0.1:3000/bye", "state": "s"})
    assert bye.status_code == 302 and bye.headers["Location"] == "http://127.0.0.1:3000/bye?state=s"
    introspected = client.post("/oidc/token/introspection", data={"client_id": OPEN, "token": tokens["id_token"]})
    assert introspected.get_json() == {"active": False}
    assert error(client.get("/oidc/session/end", query_string={"id_token_hint": tokens["id_token"]})) == (
        "invalid_request", "could not validate id_token_hint")
    page = client.get("/oidc/session/end")
    assert page.status_code == 200 and "已退出登录" in page.get_data(as_text=True)
    by_client = client.get("/oidc/session/end", query_string={"client_id": OPEN,
                                                             "post_logout_redirect_uri": "http://localhost/x"})
    assert by_client.headers["Location"] == "http://localhost/x"


@pytest.mark.parametrize("params, description", [
    ({"post_logout_redirect_uri": "http://localhost/x"}, "post_logout_redirect_uri needs id_token_hint or client_id"),
    ({"client_id": OPEN, "post_logout_redirect_uri": "https://evil.example/"},
     "post_logout_redirect_uri is not one of the app's logout redirect URIs"),
    ({"client_id": STRICT, "post_logout_redirect_uri": "http://localhost/x"},
     "post_logout_redirect_uri is not one of the app's logout redirect URIs"),
    ({"client_id": "0" * 24}, "client_id names no app here"),
    ({"id_token_hint": "garbage"}, "could not validate id_token_hint"),
])
def test_end_session_errors(client, rt, params, description):
    before = rt.authing.repo.snapshot()
    assert error(client.get("/oidc/session/end", query_string=params)) == ("invalid_request", description)
    assert rt.authing.repo.snapshot() == before


def test_end_session_parameters_must_not_repeat(client):
    answer = client.get("/oidc/session/end", query_string={"state": ["a", "b"]})
    assert error(answer) == ("invalid_request", "parameters must not be provided twice: state")


def test_end_session_hint_and_client_must_agree(client):
    tokens = exchange(client, code_for(client)).get_json()
    answer = client.get("/oidc/session/end", query_string={"id_token_hint": tokens["id_token"], "client_id": STRICT})
    assert error(answer) == ("invalid_request", "client_id does not match the audience of id_token_hint")
    strict = client.get("/oidc/session/end", query_string={"client_id": STRICT,
                                                          "post_logout_redirect_uri": "https://app.example.com/bye"})
    assert strict.headers["Location"] == "https://app.example.com/bye"


# --- discovery and the app's own paths ------------------------------------------------------------------------------
def test_discovery_lists_exactly_what_is_served(client, app):
    doc = client.get("/oidc/.well-known/openid-configuration").get_json()
    served = {rule.rule for rule in app.url_map.iter_rules()}
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
                 "introspection_endpoint", "revocation_endpoint", "end_session_endpoint"):
        assert urlsplit(doc[name]).path in served, name
    assert doc["response_types_supported"] == ["code"]
    assert doc["response_modes_supported"] == ["query", "fragment", "form_post"]
    assert doc["grant_types_supported"] == ["authorization_code", "refresh_token", "client_credentials", "password"]
    assert doc["code_challenge_methods_supported"] == ["S256", "plain"]


def test_an_apps_own_issuer(client):
    doc = client.get(f"/{STRICT}/oidc/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == f"http://localhost/{STRICT}/oidc"
    assert doc["token_endpoint"] == f"http://localhost/{STRICT}/oidc/token"
    assert doc["grant_types_supported"] == ["authorization_code", "client_credentials"]
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_basic"]
    assert client.get(f"/{OPEN}/oidc/.well-known/jwks.json").get_json() == \
        client.get("/oidc/.well-known/jwks.json").get_json()
    assert client.get("/" + "0" * 24 + "/oidc/.well-known/jwks.json").status_code == 404


def test_a_login_under_the_apps_own_paths(client):
    query = {"client_id": OPEN, "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid",
             "login_hint": "alice"}
    code = redirected(client.get(f"/{OPEN}/oidc/auth", query_string=query))["code"]
    answer = client.post(f"/{OPEN}/oidc/token", data={"grant_type": "authorization_code", "code": code,
                                                      "redirect_uri": CALLBACK}, auth=basic(OPEN))
    tokens = answer.get_json()
    assert jwt.decode(tokens["id_token"], options={"verify_signature": False})["iss"] == f"http://localhost/{OPEN}/oidc"
    # Its tokens are the mock's on every path.
    assert client.get(f"/{OPEN}/oidc/me", query_string={"access_token": tokens["access_token"]}).status_code == 200
    assert client.get("/oidc/me", query_string={"access_token": tokens["access_token"]}).status_code == 200
    profile = client.get("/api/v3/get-profile", headers={"x-authing-app-id": OPEN,
                                                         "Authorization": tokens["access_token"]}).get_json()
    assert profile["statusCode"] == 200, profile
    # This app's paths take only this app's tokens.
    other_app = client.get(f"/{STRICT}/oidc/me", query_string={"access_token": tokens["access_token"]})
    assert error(other_app, 401)[0] == "invalid_token"
    # Another app's client on this app's paths.
    other = client.get(f"/{STRICT}/oidc/auth", query_string=query)
    assert error(other) == ("invalid_request", "client_id names no app here")
    assert error(client.post(f"/{STRICT}/oidc/token", data={"grant_type": "client_credentials"}, auth=basic(OPEN)),
                 401) == ("invalid_client", "client is invalid: client_id names no app here")


# --- fixtures, determinism ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("field, value, message", [
    ("redirect_uris", "http://localhost/", "redirect_uris must be a list of absolute http(s) URLs without a fragment"),
    ("redirect_uris", ["/relative"], "redirect_uris must be a list of absolute http(s) URLs without a fragment"),
    ("post_logout_redirect_uris", ["http://x/#f"],
     "post_logout_redirect_uris must be a list of absolute http(s) URLs without a fragment"),
    ("grant_types", ["implicit"],
     "grant_types must be a list of ['authorization_code', 'refresh_token', 'client_credentials', 'password']"),
    ("token_endpoint_auth_methods", "none",
     "token_endpoint_auth_methods must be a list of ['none', 'client_secret_post', 'client_secret_basic']"),
    ("code_lifetime", 0, "code_lifetime must be a positive number of seconds, at most 3153600000 (100 years)"),
    ("access_token_lifetime", True,
     "access_token_lifetime must be a positive number of seconds, at most 3153600000 (100 years)"),
])
def test_fixture_oidc_settings_are_checked(tmp_path, field, value, message):
    import json

    fixture = json.loads(open(FIXTURE, encoding="utf-8").read())
    fixture["authing"]["user_pools"][0]["apps"][0][field] = value
    path = tmp_path / "f.json"
    path.write_text(json.dumps(fixture), encoding="utf-8")
    with pytest.raises(FixtureError) as raised:
        create_app(Config(fixtures=str(path)))
    assert str(raised.value).endswith(f"authing.user_pools[0].apps[0]: {message}")


def test_same_seed_same_codes_and_tokens():
    answers = []
    for _ in range(2):
        client = create_app(Config(fixtures=FIXTURE, seed=7)).test_client()
        code = code_for(client, scope="openid offline_access")
        answers.append((code, exchange(client, code).get_json()["refresh_token"]))
    assert answers[0] == answers[1]


# --- the race: one code, 50 clients, every backend ------------------------------------------------------------------------
def test_a_code_is_exchanged_once_by_50_racing_clients(app):
    code = code_for(app.test_client(), scope="openid offline_access")
    barrier = threading.Barrier(50)
    answers = []

    def racer():
        client = app.test_client()
        barrier.wait()
        answers.append(exchange(client, code))
    threads = [threading.Thread(target=racer) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer.status_code for answer in answers) == [200] + [400] * 49
    assert {answer.get_json()["error_description"] for answer in answers if answer.status_code == 400} == {
        "authorization code has already been used"}
    assert len(app.extensions["mockserver"].store.items("authing.oidc.rt")) == 1  # one token set


# --- README ------------------------------------------------------------------------------------------------------------
def test_the_readme_example_runs_as_written():
    """README's "Log in through OIDC" example (a loopback MockServer), run as it is written."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### Log in through OIDC")
    section = text[start:text.index("\n### ", start + 1)]
    (example,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    exec(compile(example, "README.md", "exec"), {})


def test_expired_codes_and_refresh_tokens_are_pruned(client, rt):
    """Each is indexed by expiry and pruned (after the grace) as new ones are written."""
    from mockserver.core.pruning import EVERY, GRACE
    store = rt.store
    old_code, old_refresh = code_for(client), refresh_token_of(client)  # the second's code is used
    client.post("/__mock__/clock", json={"advance": 30 * 24 * 3600 + GRACE + 1})  # past every lifetime
    for _ in range(EVERY):
        refresh_token_of(client)  # a code and a refresh token each
    assert store.get("authing.oidc.codes", old_code) is None
    assert rt.authing.repo.refresh_token(old_refresh) is None
    assert store.count("authing.oidc.codes") == EVERY and store.count("authing.oidc.rt") == EVERY
    assert error(exchange(client, old_code)) == ("invalid_grant", "authorization code is invalid or expired")


@pytest.mark.parametrize("scope, expected", [
    ("openid", {"sub"}),
    ("openid email", {"sub", "email", "email_verified"}),
    ("openid phone", {"sub", "phone_number", "phone_number_verified"}),
    ("openid profile", {"sub", "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
                        "profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"}),
    ("openid address", {"sub", "address"}),
])
def test_userinfo_gives_the_claims_of_the_scopes_granted(client, scope, expected):
    """OIDC Core §5.4: each scope brings its claims, every one present, null where the user has none."""
    access = exchange(client, code_for(client, scope=scope)).get_json()["access_token"]
    me = client.get("/oidc/me", headers={"Authorization": "Bearer " + access}).get_json()
    assert set(me) == expected
    if "address" in expected:
        assert set(me["address"]) == {"formatted", "street_address", "locality", "region", "postal_code", "country"}
    if "email" in expected:
        assert me["email"] is None and me["email_verified"] is False  # alice has no email: null, not missing


def test_userinfo_of_an_authing_login_token_has_the_v3_scopes(client):
    """A token of Authing's own logins (here the mini-program login's) was granted openid profile phone email."""
    token = authing_login(client, "alice", OPEN, WX)["token"]
    me = client.get("/oidc/me", headers={"Authorization": "Bearer " + token}).get_json()
    assert {"email", "phone_number", "nickname"} <= set(me) and "address" not in me
