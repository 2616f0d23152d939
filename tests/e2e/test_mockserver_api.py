"""``MockServer`` and its helpers: a live server in a thread, driven from Python."""
from __future__ import annotations

import base64
import json
import socket

import pytest
import requests
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from mockserver import Config, MockServer
from mockserver.core.errors import ControlError


@pytest.fixture(scope="module")
def server():
    with MockServer(seed=11) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(server):
    server.reset()


def exchange(server, code):
    query = {"appid": server.appid, "secret": server.secret, "js_code": code, "grant_type": "authorization_code"}
    return requests.get(server.url + "/sns/jscode2session", params=query, timeout=5).json()


def decrypt(session_key: str, iv: str, data: str) -> dict:
    decryptor = Cipher(algorithms.AES(base64.b64decode(session_key)), modes.CBC(base64.b64decode(iv))).decryptor()
    plain = decryptor.update(base64.b64decode(data)) + decryptor.finalize()
    return json.loads(plain[:-plain[-1]])


def test_serves_on_a_free_loopback_port_until_stopped():
    server = MockServer().start()
    url = server.url
    assert url.startswith("http://127.0.0.1:") and server.config.port == 0
    assert requests.get(url + "/__mock__/health", timeout=5).json() == {"status": "ok", "backend": "memory"}
    server.stop()
    assert not server.running
    with pytest.raises(RuntimeError, match="not running"):
        server.url
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_context_manager_starts_and_stops():
    with MockServer(Config(seed=3, port=0)) as server:
        assert server.running and server.config.seed == 3
        assert requests.get(server.url + "/__mock__/health", timeout=5).ok
    assert not server.running


def test_start_twice_keeps_one_listener(server):
    url = server.url
    assert server.start() is server and server.url == url


def test_login_code_exchanges_for_that_users_session(server):
    code = server.login("yuna")
    answer = exchange(server, code)
    assert answer["openid"] == server.user("yuna")["apps"][server.appid]["openid"]
    assert exchange(server, code)["errcode"] == 40163


def test_login_without_user_creates_one(server):
    before = len(server.users)
    answer = exchange(server, server.login())
    assert len(server.users) == before + 1
    assert server.user(answer["openid"])["alias"] == server.users[-1]["alias"]


def test_helpers_answer_what_the_control_plane_answers():
    """Same seed, same calls: a helper and its /__mock__/ route give identical results."""
    with MockServer(seed=5) as by_helper, MockServer(seed=5) as by_http:
        def control(path, body):
            return requests.post(by_http.url + "/__mock__" + path, json=body, timeout=5).json()

        assert by_helper.login("qqian") == control("/wechat/login", {"appid": by_http.appid, "user": "qqian"})["code"]
        assert by_helper.login() == control("/wechat/login", {"appid": by_http.appid})["code"]
        assert by_helper.phone_code("qqian") == control("/wechat/phone-code",
                                                       {"appid": by_http.appid, "user": "qqian"})["code"]
        assert by_helper.encrypted_data("qqian", "phoneNumber") == control(
            "/wechat/encrypted-data", {"appid": by_http.appid, "user": "qqian", "kind": "phoneNumber"})
        assert by_helper.users == requests.get(by_http.url + "/__mock__/users", timeout=5).json()["users"]


def test_helper_errors_are_the_control_planes(server):
    with pytest.raises(ControlError, match="no WeChat user") as raised:
        server.login("nobody")
    assert raised.value.status == 404


def test_phone_code_gives_the_users_number(server):
    token = requests.get(server.url + "/cgi-bin/token", timeout=5, params={
        "grant_type": "client_credential", "appid": server.appid, "secret": server.secret}).json()["access_token"]
    answer = requests.post(server.url + "/wxa/business/getuserphonenumber", params={"access_token": token},
                           json={"code": server.phone_code("jinyang")}, timeout=5).json()
    assert answer["phone_info"]["purePhoneNumber"] == server.user("jinyang")["phone"]


def test_encrypted_data_decrypts_with_the_session_key(server):
    session_key = exchange(server, server.login("xiena"))["session_key"]
    data = server.encrypted_data("xiena")
    payload = decrypt(session_key, data["iv"], data["encryptedData"])
    assert payload["openId"] == server.user("xiena")["apps"][server.appid]["openid"]
    assert payload["watermark"]["appid"] == server.appid


def test_advance_clock_expires_codes(server):
    code = server.login("yuna")
    before = server.runtime.clock.now()
    assert server.advance_clock(301) >= before + 301
    assert exchange(server, code)["errcode"] == 40029


def test_reset_restores_the_fixture(server):
    fixture_users = [u["alias"] for u in server.users]
    server.login()  # creates a user
    server.advance_clock(3600)
    server.reset()
    assert [u["alias"] for u in server.users] == fixture_users
    assert abs(server.runtime.clock.offset) < 5


def test_control_reaches_every_route_in_process(server):
    assert server.control("GET", "/health") == {"status": "ok", "backend": "memory"}
    created = server.control("POST", "/users", {"alias": "newcomer"})
    assert created["alias"] == "newcomer" and server.user("newcomer")
    with pytest.raises(ControlError, match="already exists") as raised:
        server.control("POST", "/users", {"alias": "newcomer"})
    assert raised.value.status == 409


def test_credentials_of_the_default_apps(server):
    apps = requests.get(server.url + "/__mock__/apps", timeout=5).json()
    assert (server.appid, server.secret) == (apps["wechat"][0]["appid"], apps["wechat"][0]["secret"])
    assert server.authing_app == apps["authing"]["apps"][0]


def test_control_takes_paths_with_or_without_the_prefix(server):
    health = {"status": "ok", "backend": "memory"}
    assert server.control("GET", "/health") == server.control("GET", "/__mock__/health") == health
