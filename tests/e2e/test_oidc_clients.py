"""Real OIDC clients, unmodified, against the mock's Authing OIDC provider: the npm
``openid-client`` (6.x) and the OIDC parts of the npm ``authing-node-sdk`` (4.0.x), in Node.

Both log a fixture person in through ``login_hint`` (the redirect followed with fetch, no
browser) and must get the Authing user of that person's mini-program login. Node is required
(see tests/e2e/conftest.py); the packages are pinned in tests/js/package.json.
"""
from __future__ import annotations

import json
import os
import subprocess
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from support import JS_DIR, authing_login


def run(node, script, config):
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    done = subprocess.run([node, script, json.dumps(config)], cwd=JS_DIR, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def miniprogram_user_id(client, rt, alias):
    """The Authing user of the person's mini-program login (authing-wxapp-sdk's loginByCode)."""
    return authing_login(client, alias, rt.authing.apps()[0]["id"], rt.wechat.apps()[0]["appid"])["id"]


def test_openid_client_code_pkce_refresh_userinfo_revocation_end_session(node, live, rt, client):
    app, alias = rt.authing.apps()[0], rt.wechat.users()[0]["alias"]
    report = run(node, "openid_client_flow.mjs",
                 {"issuer": live.url + "/oidc", "appId": app["id"], "secret": app["secret"], "user": alias})
    issuer = live.url + "/oidc"

    assert report["discovery"]["issuer"] == issuer
    assert report["discovery"]["revocation_endpoint"] == issuer + "/token/revocation"
    login = report["login"]
    assert login["status"] == 302 and login["callback"].startswith("http://localhost:5173/callback?code=")
    claims = login["claims"]
    assert claims["iss"] == issuer and claims["aud"] == app["id"] and claims["nonce"]
    assert login["tokens"]["scope"] == "openid profile offline_access" and login["tokens"]["refresh_token"]
    # One person, one Authing user: the OIDC login is the user of the person's mini-program login.
    assert claims["sub"] == miniprogram_user_id(client, rt, alias)

    assert report["userinfo"]["result"]["sub"] == claims["sub"]
    refreshed = report["refresh"]["result"]
    assert refreshed["refresh_token"] == login["tokens"]["refresh_token"]  # Authing does not rotate it
    assert refreshed["access_token"] != login["tokens"]["access_token"]
    assert report["userinfoAfterRefresh"]["result"]["sub"] == claims["sub"]
    assert report["revoke"] == {"result": None}
    assert report["userinfoAfterRevoke"]["thrown"]["status"] == 401
    assert report["revokeRefresh"] == {"result": None}
    assert report["refreshAfterRevoke"]["thrown"]["error"] == "invalid_grant"
    end = report["endSession"]["result"]
    assert end["status"] == 302 and end["location"] == "http://localhost:5173/bye?state=bye-1"
    assert parse_qs(urlsplit(end["url"]).query)["client_id"] == [app["id"]]
    # The id token of the hint no longer counts as a login.
    assert client.post("/oidc/token/introspection", data={"client_id": app["id"], "token": login["tokens"]["id_token"]},
                       base_url=live.url).get_json() == {"active": False}

    basic = report["basicLogin"]
    assert basic["claims"]["sub"] == claims["sub"] and "refresh_token" not in basic["tokens"]
    assert report["introspect"]["result"]["active"] is True
    assert report["introspect"]["result"]["scope"] == "openid email"
    granted = report["clientCredentials"]["result"]
    assert granted["token_type"] == "bearer" and "id_token" not in granted and "refresh_token" not in granted
    assert jwt.decode(granted["access_token"], options={"verify_signature": False})["sub"] == app["id"]
    assert report["introspectClientToken"]["result"]["active"] is True
    assert report["wrongSecret"]["thrown"]["status"] == 401


@pytest.mark.parametrize("method", ["client_secret_post", "client_secret_basic"])
def test_authing_node_sdk_oidc(node, live, rt, client, method):
    app, alias = rt.authing.apps()[0], rt.wechat.users()[1]["alias"]
    report = run(node, "authing_node_sdk_oidc.js",
                 {"server": live.url, "appId": app["id"], "secret": app["secret"], "user": alias, "method": method})
    authorize = report["authorize"]
    assert authorize["status"] == 302
    callback = parse_qs(urlsplit(authorize["callback"]).query)
    assert callback["state"] == [authorize["state"]]
    tokens = report["getAccessTokenByCode"]["result"]
    assert set(tokens) == {"access_token", "id_token", "refresh_token", "token_type", "expires_in", "scope"}
    assert tokens["scope"] == "openid profile offline_access" and tokens["expires_in"] == 3600
    parsed = report["parseIDToken"]["result"]
    assert parsed["nonce"] == authorize["nonce"] and parsed["iss"] == live.url + "/oidc"
    assert parsed["sub"] == miniprogram_user_id(client, rt, alias)
    assert report["getUserInfoByAccessToken"]["result"]["sub"] == parsed["sub"]
    assert report["refresh"]["result"]["refresh_token"] == tokens["refresh_token"]
    assert report["introspect"]["result"]["active"] is True
    assert report["revoke"] == {"result": True}
    assert report["introspectRevoked"] == {"result": {"active": False}}
    assert report["logout"] == {"status": 302, "location": "http://localhost:3000/?state=bye"}
