"""Secrets the journal never keeps, wherever they travel: keys in a WeChat answer, passwords
written into a GraphQL query or passed in a variable of any name, a push URL's password and query."""
from __future__ import annotations

import socket
import threading
import time

from support import access_token, wechat_session
from support.push_receiver import PushReceiver

from mockserver.wechat import crypto
from mockserver.wechat.delivery import masked_url


def journal(client):
    return client.get("/__mock__/requests").get_json()["requests"]


def test_a_users_encryption_keys_are_masked_in_the_answer_kept(client, wx_app, alias):
    session = wechat_session(client, wx_app, alias)
    answer = client.get("/wxa/business/getuserencryptkey", query_string={
        "access_token": access_token(client, wx_app), "openid": session["openid"], "sig_method": "hmac_sha256",
        "signature": crypto.session_signature(session["session_key"])}).get_json()
    key = answer["key_info_list"][0]["encrypt_key"]
    [entry] = [e for e in journal(client) if e["path"] == "/wxa/business/getuserencryptkey"]
    kept = entry["response"]["key_info_list"][0]
    assert kept["encrypt_key"] == "***" and key not in str(entry)


def test_graphql_passwords_are_masked_in_the_query_and_in_the_variables_that_carry_them(client):
    apps = client.get("/__mock__/apps").get_json()["authing"]["apps"]
    headers = {"x-authing-app-id": apps[0]["appId"], "x-authing-userpool-id": apps[0]["userPoolId"]}
    query = ('mutation($p: String!, $who: String!) { loginByUsername(input: {username: $who, password: $p}) { id } '
             'other: loginByEmail(input: {email: "a@example.com", password: "Literal-Pass-1"}) { id } }')
    client.post("/graphql/v2", json={"query": query, "variables": {"p": "Variable-Pass-2", "who": "carol"}},
                headers=headers)
    [entry] = [e for e in journal(client) if e["path"] == "/graphql/v2"]
    text = str(entry)
    assert "Literal-Pass-1" not in text and "Variable-Pass-2" not in text
    assert 'password: "***"' in entry["body"]["query"]
    assert entry["body"]["variables"] == {"p": "***", "who": "carol"}


def test_a_push_url_is_journaled_without_its_password_or_query_values():
    assert masked_url("http://hook:pass@example.com:8080/wx?key=webhook-secret&a=") == \
        "http://hook:***@example.com:8080/wx?key=***&a=***"
    assert masked_url("https://[::1]/push") == "https://[::1]/push"


def test_the_journal_shows_the_masked_push_url(client):
    with PushReceiver() as backend:
        url = backend.url.replace("http://", "http://hook:pass@") + "?key=webhook-secret"
        answer = client.post("/__mock__/apps", json={"name": "pushed", "push": {"url": url, "token": "tok3n", "mode": "plain"}})
        assert answer.status_code == 201, answer.get_json()
    verified = [e for e in journal(client) if e["route"] == "push-verify"]
    assert verified and all("webhook-secret" not in e["path"] and "pass@" not in e["path"] for e in verified)


def test_a_backend_that_drips_its_answer_is_cut_off_at_the_deadline(client, rt):
    """Each header line well within the socket's timeout, the whole answer (6 s) far past the
    deadline: the exchange ends as timed out, not with the answer."""
    listener = socket.create_server(("127.0.0.1", 0))

    def drip():
        conn, _ = listener.accept()
        conn.recv(65536)
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            for _ in range(60):
                time.sleep(0.1)
                conn.sendall(b"X-Drip: 1\r\n")
            conn.sendall(b"Content-Length: 7\r\n\r\nsuccess")
        except OSError:
            pass
        conn.close()
    threading.Thread(target=drip, daemon=True).start()
    rt.wechat.push.timeout = 0.5
    exchange = rt.wechat.push._request("GET", f"http://127.0.0.1:{listener.getsockname()[1]}/", {})
    listener.close()
    assert (exchange.status, exchange.error) == (None, "TimeoutError: timed out")


def test_a_push_the_mock_cannot_send_is_settled_as_failed_not_left_sending(client, rt):
    """A push configuration no check made (a hand-edited snapshot loads entries as they are):
    the delivery fails with what went wrong, and the sender goes on with the next one."""
    from support.push_receiver import settled

    with PushReceiver() as backend:
        app = client.post("/__mock__/apps", json={"name": "pushed", "push": {
            "url": backend.url, "token": "tok3n", "mode": "plain"}}).get_json()
        record = rt.store.get("wx.apps", app["appid"])
        rt.store.put("wx.apps", app["appid"], {**record, "push": {"url": backend.url}})  # no token, mode, ...
        client.post("/__mock__/wechat/push", json={"appid": app["appid"], "user": "yuna", "message": "hi"})
        [delivery] = settled(client, 1)
    assert delivery["status"] == "failed"
    assert delivery["tries"][0]["error"] == "the mock could not send it: KeyError"
