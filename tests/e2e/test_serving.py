"""Running like real infrastructure: TLS, CORS, loopback by default, an admin token."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import requests

from mockserver import Config, create_app
from support.processes import start


def stop(process):
    process.terminate()
    process.wait(timeout=10)


def test_tls_serves_https_with_a_certificate_clients_can_trust(tmp_path):
    process, url, banner = start("--port", "0", "--tls", "--tls-dir", str(tmp_path))
    try:
        cert_line = process.stdout.readline()
        cert = re.search(r"TLS certificate .*: (\S+)$", cert_line.strip()).group(1)
        assert url.startswith("https://127.0.0.1:")
        assert requests.get(f"{url}/__mock__/health", verify=cert).json() == {"status": "ok", "backend": "memory"}
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{url}/__mock__/health")  # not trusted unless told
        example = [line.strip() for line in banner.splitlines() if line.strip().startswith(("code=", "curl"))]
        out = subprocess.run(["bash", "-c", " && ".join(example)], capture_output=True, text=True, timeout=30)
        assert "openid" in json.loads(out.stdout)
        node_missing = shutil.which("node") is None
        assert not (node_missing and os.environ.get("CI")), "Node.js is needed in CI for the TLS check"
        if not node_missing:
            script = (f"require('https').get('{url}/__mock__/health', r => {{ let b=''; r.on('data', c => b += c);"
                      " r.on('end', () => console.log(b)); }).on('error', e => { console.error(e.message);"
                      " process.exit(1); });")
            node = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30,
                                  env={"NODE_EXTRA_CA_CERTS": cert, "PATH": "/usr/bin:/usr/local/bin"})
            assert json.loads(node.stdout) == {"status": "ok", "backend": "memory"}, node.stderr
    finally:
        stop(process)


def test_certificate_is_reused_across_starts(tmp_path):
    from mockserver.tls import ensure_certificate

    first = ensure_certificate("127.0.0.1", tmp_path)
    pem = first[0].read_bytes()
    assert ensure_certificate("127.0.0.1", tmp_path)[0].read_bytes() == pem
    assert ensure_certificate("10.9.8.7", tmp_path)[0].read_bytes() != pem  # another name: a new certificate
    assert oct(first[1].stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("path", ["/sns/jscode2session", "/connections/social/wechat-miniprogram/auth",
                                  "/graphql/v2", "/__mock__/wx.js"])
def test_cors_preflight_and_headers(client, path):
    preflight = client.options(path, headers={"Origin": "http://localhost:5173",
                                              "Access-Control-Request-Method": "POST",
                                              "Access-Control-Request-Headers": "authorization,x-authing-app-id"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert "x-authing-app-id" in preflight.headers["Access-Control-Allow-Headers"]
    answer = client.post(path, headers={"Origin": "http://localhost:5173"}, json={})
    assert answer.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"


@pytest.mark.parametrize("method, path", [("GET", "/__mock__/apps"), ("POST", "/__mock__/reset"),
                                          ("POST", "/__mock__/wechat/login"), ("GET", "/__mock__/")])
def test_control_plane_refuses_other_origins(client, rt, method, path):
    users_before = rt.wechat.users()
    client.post("/__mock__/users", json={"alias": "kept"})  # made by a test: no Origin, allowed
    answer = client.open(path, method=method, headers={"Origin": "https://evil.example"},
                         json={"appid": rt.wechat.apps()[0]["appid"]})
    assert answer.status_code == 403 and "another origin" in answer.get_json()["error"]
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert rt.wechat.user("kept") and len(rt.wechat.users()) == len(users_before) + 1
    preflight = client.options(path, headers={"Origin": "https://evil.example",
                                              "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    # its own dashboard (same origin) still works
    same = client.open(path, method=method, headers={"Origin": "http://localhost"},
                       json={"appid": rt.wechat.apps()[0]["appid"]})
    assert same.status_code < 400


def test_preflights_are_not_journaled(client):
    client.delete("/__mock__/requests")
    client.options("/sns/jscode2session", headers={"Origin": "http://x", "Access-Control-Request-Method": "GET"})
    client.get("/sns/jscode2session")
    assert [entry["method"] for entry in client.get("/__mock__/requests").get_json()["requests"]] == ["GET"]


def test_non_loopback_host_needs_allow_remote():
    refused = subprocess.run([sys.executable, "-m", "mockserver", "--host", "0.0.0.0", "--port", "0"],
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode == 2 and "--allow-remote" in refused.stderr
    process, url, _ = start("--host", "0.0.0.0", "--port", "0", "--allow-remote")
    try:
        port = url.rsplit(":", 1)[1]
        assert requests.get(f"http://127.0.0.1:{port}/__mock__/health").status_code == 200
    finally:
        stop(process)
    assert "WARNING" in process.stderr.read()


def test_admin_token_protects_the_control_plane():
    client = create_app(Config(admin_token="s3cret")).test_client()
    denied = client.get("/__mock__/users")
    assert denied.status_code == 401 and "admin token" in denied.get_json()["error"]
    assert client.get("/__mock__/users", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/__mock__/users", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/__mock__/users", headers={"X-Mock-Admin-Token": "s3cret"}).status_code == 200
    assert client.get("/__mock__/health").status_code == 200  # open: reveals nothing
    assert client.get("/sns/jscode2session").status_code == 200  # the emulated APIs stay open
    # the dashboard opened once with the token keeps working through its cookie
    assert client.get("/__mock__/?admin_token=s3cret").status_code == 200
    assert client.get("/__mock__/users").status_code == 200


def test_control_plane_is_open_without_admin_token(client):
    assert client.get("/__mock__/users").status_code == 200


def test_debug_access_log_masks_secrets(wx_app):
    process, url, _ = start("--port", "0", "--log-level", "debug")
    try:
        code = requests.post(f"{url}/__mock__/wechat/login", json={"appid": wx_app["appid"], "user": "yuna"}).json()
        session = requests.get(f"{url}/sns/jscode2session", params={
            "appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": code["code"]}).json()
        token = requests.get(f"{url}/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": wx_app["appid"], "secret": wx_app["secret"]}).json()
        requests.post(f"{url}/wxa/msg_sec_check", params={"access_token": token["access_token"]}, json={"content": "x"})
    finally:
        stop(process)
    log = process.stderr.read()
    assert "GET /sns/jscode2session?appid=" in log and "secret=***" in log
    for secret in (wx_app["secret"], session["session_key"], token["access_token"]):
        assert secret not in log


def test_banner_example_works_with_an_admin_token():
    process, url, banner = start("--port", "0", "--admin-token", "s3cret")
    try:
        example = [line.strip() for line in banner.splitlines() if line.strip().startswith(("code=", "curl"))]
        run = subprocess.run(["bash", "-c", " && ".join(example)], capture_output=True, text=True, timeout=30,
                             env={**os.environ, "MOCKSERVER_ADMIN_TOKEN": "s3cret"})
        assert "openid" in json.loads(run.stdout), run.stderr
        assert "s3cret" not in banner
    finally:
        stop(process)


def test_oidc_me_refuses_bad_tokens_with_401_on_a_real_server():
    from mockserver import MockServer

    with MockServer() as server:  # waitress encodes headers as Latin-1: a real socket is needed
        for headers in ({}, {"Authorization": "Bearer abc"}):
            answer = requests.get(f"{server.url}/oidc/me", headers=headers)
            assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")
