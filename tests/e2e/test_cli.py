"""The command line: starts a real WSGI server, prints what a new user needs, reads MOCKSERVER_*."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import requests

from support.processes import start


@pytest.fixture
def server():
    process, url, banner = start("--port", "0", "--seed", "5")
    yield url, banner
    process.terminate()
    process.wait(timeout=10)


def test_banner_shows_url_credentials_and_a_working_example(server):
    url, banner = server
    assert url.startswith("http://127.0.0.1:")
    app = re.search(r"appid (wx[0-9a-f]{16})\s+secret ([0-9a-f]{32})", banner)
    assert app, banner
    assert requests.get(f"{url}/__mock__/health").json() == {"status": "ok", "backend": "memory"}
    # the printed curl example, run by the shell exactly as a user would paste it
    example = [line.strip() for line in banner.splitlines() if line.strip().startswith(("code=", "curl"))]
    assert len(example) == 2
    output = subprocess.run(["bash", "-c", " && ".join(example)], capture_output=True, text=True, timeout=30)
    session = json.loads(output.stdout)
    assert re.match(r"^o[A-Za-z0-9_-]{27}$", session["openid"]) and session["session_key"]


def test_environment_variables_set_flags():
    process, url, banner = start(env={"MOCKSERVER_PORT": "0", "MOCKSERVER_SEED": "9"})
    try:
        assert "seed: 9" in banner
        assert requests.get(f"{url}/__mock__/health").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_help_explains_every_flag():
    out = subprocess.run([sys.executable, "-m", "mockserver", "--help"], capture_output=True, text=True).stdout
    for flag in ("--host", "--port", "--seed", "--fixtures", "--log-level", "--accept-unknown-codes"):
        assert flag in out
    assert "MOCKSERVER_" in out


def test_bad_fixture_is_a_clear_error(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"wechat": {"apps": [{"appid": "nope", "secret": "x"}]}}')
    result = subprocess.run([sys.executable, "-m", "mockserver", "--fixtures", str(broken), "--port", "0"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "apps[0]" in result.stderr and "appid must be" in result.stderr


@pytest.mark.parametrize("args, env, message", [
    (["--threads", "0"], {}, "--threads 0: must be from 1 to 1024"),
    (["--port", "-1"], {}, "--port -1: must be from 0 to 65535"),
    (["--port=70000"], {}, "--port 70000: must be from 0 to 65535"),
    ([], {"MOCKSERVER_PORT": "abc"}, "MOCKSERVER_PORT=abc: not a whole number"),
    (["--port", "0"], {"MOCKSERVER_THREADS": "0"}, "MOCKSERVER_THREADS=0: must be from 1 to 1024"),
    (["--port", "0", "--workers", "0"], {}, "--workers 0: must be from 1 to 256"),
    (["--port", "0", "--journal-size", "0"], {}, "--journal-size 0: must be at least 1"),
    (["--port", "0", "--seed", "x"], {}, "--seed x: not a whole number"),
    (["--port", "0", "--host", "no-such-host.invalid"], {}, "--host no-such-host.invalid: not an address this machine can bind"),
    (["--port", "0", "--public-url", "ftp://example.com"], {},
     "--public-url ftp://example.com: give an http(s) URL such as http://127.0.0.1:8088"),
    (["--port", "0"], {"MOCKSERVER_PUBLIC_URL": "localhost:8088"},
     "MOCKSERVER_PUBLIC_URL=localhost:8088: give an http(s) URL such as http://127.0.0.1:8088"),
    (["--port", "0", "--tls", "--tls-dir", "/proc/mockserver-tls"], {},
     "--tls-dir /proc/mockserver-tls: cannot make the directory"),
    (["--port", "0", "--accept-unknown-codes", "nobody"], {},
     "--accept-unknown-codes nobody: no such user in the fixture (users: "),
    (["--port", "0"], {"MOCKSERVER_ALLOW_REMOTE": "maybe"}, "MOCKSERVER_ALLOW_REMOTE='maybe': say one of"),
    (["--port", "0"], {"MOCKSERVER_ALLOW_REMOTE": "no", "MOCKSERVER_HOST": "0.0.0.0"},
     "MOCKSERVER_HOST=0.0.0.0 would expose the mock"),
    (["--port", "0", "--host", "0.0.0.0"], {}, "--host 0.0.0.0 would expose the mock"),
])
def test_bad_values_are_one_line_naming_the_flag_or_variable(args, env, message):
    """Checked before the server listens: exit status 2, one line on stderr, no traceback."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
    result = subprocess.run([sys.executable, "-m", "mockserver", *args], capture_output=True, text=True, timeout=30,
                            env={**clean, **env})
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("mockserver: " + message), result.stderr
    assert result.stderr.count("\n") == 1 and "listening" not in result.stdout


def test_a_known_user_for_unknown_codes_is_accepted():
    from support.processes import start

    process, url, _ = start("--port", "0", "--accept-unknown-codes", "yuna")
    try:
        assert requests.get(f"{url}/__mock__/health", timeout=10).json() == {"status": "ok", "backend": "memory"}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_signing_key_flag_supplies_the_token_key(tmp_path):
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "key.pem"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    default_process, default_url, _ = start("--port", "0")
    process, url, _ = start("--port", "0", "--signing-key", str(pem))
    try:
        default_kid = requests.get(f"{default_url}/oidc/.well-known/jwks.json").json()["keys"][0]["kid"]
        jwk = requests.get(f"{url}/oidc/.well-known/jwks.json").json()["keys"][0]
        assert jwk["kid"] != default_kid
        apps = requests.get(f"{url}/__mock__/apps").json()
        authing = apps["authing"]["apps"][0]
        minted = requests.post(f"{url}/__mock__/authing/tokens", json={"userId": _authing_user(url, apps)}).json()
        token = minted.get("token") or minted.get("id_token")
        claims = jwt.decode(token, key.public_key(), algorithms=["RS256"], audience=authing["appId"])
        assert jwt.get_unverified_header(token)["kid"] == jwk["kid"] and claims["aud"] == authing["appId"]
    finally:
        for p in (process, default_process):
            p.terminate()
            p.wait(timeout=10)


def _authing_user(url, apps):
    """An Authing user made the way a mini program makes one: loginByCode."""
    wx, authing = apps["wechat"][0], apps["authing"]["apps"][0]
    code = requests.post(f"{url}/__mock__/wechat/login", json={"appid": wx["appid"], "user": "yuna"}).json()["code"]
    user = requests.post(f"{url}/connections/social/wechat-miniprogram/auth", json={"code": code}, headers={
        "x-authing-userpool-id": authing["userPoolId"], "x-authing-app-id": authing["appId"]}).json()
    return user["data"]["id"]


def test_a_bad_signing_key_is_a_clear_error(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    not_rsa = tmp_path / "ec.pem"
    not_rsa.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    for path, reason in ((bad, "not an unencrypted PEM private key"), (tmp_path / "missing.pem", "cannot read"),
                         (not_rsa, "must be an RSA key")):
        # checked before the server listens: it exits at once (a server that listens times out here)
        result = subprocess.run([sys.executable, "-m", "mockserver", "--port", "0", "--signing-key", str(path)],
                                capture_output=True, text=True, timeout=15)
        assert result.returncode == 2 and str(path) in result.stderr and "Traceback" not in result.stderr
        assert reason in result.stderr and "listening" not in result.stdout


def test_start_up_leaves_crypto_and_the_dev_key_for_first_use():
    """Start-up time: cryptography, PyJWT and the embedded key load with the first token, not before."""
    script = (
        "import sys\n"
        "from mockserver import create_app\n"
        "app = create_app()\n"
        "key = app.extensions['mockserver'].authing.tokens.codec.key\n"
        "print(sorted(m for m in ('cryptography', 'jwt') if m in sys.modules), 'private_key' in vars(key))\n"
        "app.test_client().get('/oidc/.well-known/jwks.json')\n"
        "print('private_key' in vars(key))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert result.stdout.split("\n")[:2] == ["[] False", "True"], result.stderr


@pytest.mark.parametrize("quiet", [False, True])
def test_each_request_is_one_masked_line_of_the_log_unless_quiet(tmp_path, quiet):
    log = tmp_path / "server.log"
    with open(log, "w") as stderr:
        process, url, banner = start("--port", "0", *(["--quiet"] if quiet else []), stderr=stderr)
        try:
            appid, secret = re.search(r"appid (wx[0-9a-f]{16})\s+secret ([0-9a-f]{32})", banner).groups()
            code = requests.post(f"{url}/__mock__/wechat/login", json={"appid": appid, "user": "yuna"}).json()["code"]
            requests.get(f"{url}/sns/jscode2session", params={"appid": appid, "secret": secret, "js_code": code})
            requests.get(f"{url}/sns/jscode2session", params={"appid": appid, "secret": secret, "js_code": code})
        finally:
            process.terminate()
            process.wait(timeout=10)
    lines = [line for line in log.read_text().splitlines() if "mockserver.access" in line]
    if quiet:
        assert lines == []
        return
    assert len(lines) == 2, lines  # the control plane's request is not logged
    assert f"GET /sns/jscode2session?appid={appid}&secret=***&js_code={code} 200 errcode=0 appid={appid} user=yuna" \
        in lines[0]
    assert "errcode=40163" in lines[1] and secret not in log.read_text()
