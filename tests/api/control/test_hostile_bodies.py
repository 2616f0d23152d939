"""Hostile bodies cost work bounded by their size, get each service's own error and never break
the journal: JSON nests at most MAX_JSON_DEPTH (64) containers deep, a form has at most 1000
fields (URL-encoded or multipart), a GraphQL query at most 500 tokens."""
from __future__ import annotations

import io

import pytest

from mockserver.core.json_reading import MAX_JSON_DEPTH


def nested(depth: int) -> str:
    """An object whose one field holds lists nested so that the whole body is ``depth`` deep."""
    return '{"x": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000, 200_000])
def test_too_deep_a_body_is_each_services_format_error(client, depth):
    body = nested(depth)
    answers = {path: client.post(path, data=body, content_type="application/json")
               for path in ("/cgi-bin/stable_token", "/api/v3/update-profile", "/graphql/v2", "/__mock__/users")}
    assert answers["/cgi-bin/stable_token"].get_json()["errcode"] == 47001
    v3 = answers["/api/v3/update-profile"].get_json()
    assert (v3["apiCode"], v3["message"]) == (400, "请求体 不是合法的 JSON")
    assert answers["/graphql/v2"].get_json()["errors"][0]["message"]["code"] == 400
    assert answers["/__mock__/users"].status_code == 400
    journal = client.get("/__mock__/requests")
    assert journal.status_code == 200
    assert all(isinstance(entry["body"], str) for entry in journal.get_json()["requests"])  # kept as text


def test_a_body_at_the_limit_is_json(client):
    answer = client.post("/cgi-bin/stable_token", data=nested(MAX_JSON_DEPTH), content_type="application/json")
    assert answer.get_json()["errcode"] == 41002  # parsed: the appid is what is missing
    [entry] = client.get("/__mock__/requests").get_json()["requests"]
    assert isinstance(entry["body"], dict)


def form_of(fields: int) -> str:
    return "&".join(f"f{n}=1" for n in range(fields))


def test_a_form_of_more_than_1000_fields_is_each_services_413(client, rt):
    before = rt.authing.repo.snapshot()
    answers = {path: client.post(path, data=form_of(150_000), content_type="application/x-www-form-urlencoded")
               for path in ("/sns/jscode2session", "/connections/social/wechat-miniprogram/auth",
                            "/api/v3/update-profile", "/oidc/token/introspection")}
    assert answers["/sns/jscode2session"].get_json()["errcode"] == 47001
    assert answers["/connections/social/wechat-miniprogram/auth"].get_json()["code"] == 413
    assert answers["/api/v3/update-profile"].get_json()["apiCode"] == 413
    assert answers["/oidc/token/introspection"].status_code == 413
    assert rt.authing.repo.snapshot() == before
    entries = client.get("/__mock__/requests").get_json()["requests"]
    assert len(entries) == 4 and all(entry["truncated"] == {"body": len(form_of(150_000))} for entry in entries)


def test_a_form_of_1000_fields_is_read(client):
    read = client.post("/oidc/token/introspection", data=form_of(999) + "&token=t",
                       content_type="application/x-www-form-urlencoded")
    assert read.status_code == 401 and read.get_json()["error"] == "invalid_client"  # parsed: no client_id
    refused = client.post("/oidc/token/introspection", data=form_of(1000) + "&token=t",
                          content_type="application/x-www-form-urlencoded")
    assert refused.status_code == 413


def test_a_multipart_body_of_too_many_parts_is_refused_and_summarised(client, rt):
    parts = {f"f{n}": "1" for n in range(1500)}
    answer = client.post("/api/v2/upload", content_type="multipart/form-data",
                         data={**parts, "file": (io.BytesIO(b"png"), "a.png")})
    assert answer.get_json()["code"] == 413 and not rt.store.items("authing.files")
    [entry] = client.get("/__mock__/requests").get_json()["requests"]
    assert entry["body"]["bytes"] > 1500 * 50 and entry["truncated"] is None


def test_graphql_reads_at_most_500_tokens(client):
    def ask(query):
        return client.post("/graphql/v2", json={"query": query}).get_json()["errors"][0]["message"]

    assert ask("{ user { " + "id " * 495 + "} }")["code"] == 2020  # 500 tokens: run (not logged in)
    refused = ask("{ user { " + "id " * 496 + "} }")
    assert refused == {"code": 400, "message": "Syntax Error: Document contains more than 500 tokens. Parsing aborted.",
                       "data": None}
    aliases = "{ " + " ".join(f"a{n}: user {{ id }}" for n in range(20_000)) + " }"  # took minutes to validate
    assert ask(aliases)["code"] == 400


def test_encrypted_data_that_decrypts_to_deep_json_is_authings_decrypt_error(client, rt, wx_app, alias):
    import base64

    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    app = rt.authing.apps()[0]
    code = client.post("/__mock__/wechat/login", json={"appid": wx_app["appid"], "user": alias}).get_json()["code"]
    key, iv = base64.b64decode(rt.store.get("wx.codes", code)["session_key"]), b"\x07" * 16  # the client knows its key
    padder = padding.PKCS7(128).padder()
    padded = padder.update(nested(5000).encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    sealed = encryptor.update(padded) + encryptor.finalize()
    answer = client.post("/api/v3/decrypt-wechat-miniprogram-data", headers={"x-authing-app-id": app["id"]}, json={
        "code": code, "iv": base64.b64encode(iv).decode(), "encryptedData": base64.b64encode(sealed).decode(),
        "extIdpConnidentifier": app["connection"]}).get_json()
    assert (answer["statusCode"], answer["apiCode"]) == (400, 400)
    assert answer["message"] == "解密微信数据失败：encryptedData、iv 与 session_key 不匹配"


# --- JSON text only Python reads: lone surrogates, NaN, Infinity, numbers past a double ---------------------
LONE = b'"\\ud800x"'  # the escape of a lone surrogate, as JSON.stringify writes one


def test_a_lone_surrogate_is_read_as_u_fffd_everywhere(client, rt):
    """Kept as Python reads it, it cannot be written as UTF-8: every answer showing it would fail."""
    refused = client.post("/cgi-bin/stable_token", data=b'{"appid": ' + LONE + b', "\\udfff": 1}',
                          content_type="application/json")
    assert refused.get_json()["errcode"] == 40013  # the appid read as "\ufffdx": not an app
    raw_bytes = b'{"nickname": "\xed\xa0\x80y"}'  # the surrogate's own bytes, which json.loads lets through
    assert client.patch("/__mock__/users/yuna", data=raw_bytes, content_type="application/json").status_code == 200
    assert client.get("/__mock__/users/yuna").get_json()["nickname"] == "\ufffdy"
    client.patch("/__mock__/users/yuna", data=b'{"nickname": ' + LONE + b'}', content_type="application/json")
    assert client.get("/__mock__/users/yuna").get_json()["nickname"] == "\ufffdx"
    pair = b'{"nickname": "\\ud83d\\ude00"}'  # a pair is one character, left as it is
    client.patch("/__mock__/users/yuna", data=pair, content_type="application/json")
    assert client.get("/__mock__/users/yuna").get_json()["nickname"] == "\U0001F600"
    journal = client.get("/__mock__/requests?path=/cgi-bin/stable_token").get_json()["requests"]
    assert journal[0]["body"] == {"appid": "\ufffdx", "\ufffd": 1}
    assert client.get("/__mock__/").status_code == 200


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400"])
def test_nan_infinity_and_numbers_past_a_double_are_not_json(client, literal):
    body = b'{"appid": ' + literal + b', "secret": "s", "grant_type": "client_credential"}'
    assert client.post("/cgi-bin/stable_token", data=body, content_type="application/json").get_json()["errcode"] == 47001
    stub = client.post("/__mock__/stubs", data=b'{"endpoint": "/sns/jscode2session", "body": {"x": ' + literal + b"}}",
                       content_type="application/json")
    assert stub.status_code == 400 and client.get("/__mock__/stubs").get_json() == {"stubs": []}
    assert client.get("/__mock__/requests").get_json()["requests"][0]["body"] == body.decode()  # kept as text


def test_the_largest_double_is_json(client):
    """Read, so the answer is about the appid: a number is no app's (not 47001, not JSON)."""
    body = b'{"appid": 1.7976931348623157e308}'
    assert client.post("/cgi-bin/stable_token", data=body, content_type="application/json").get_json()["errcode"] == 40013


def test_a_byte_order_mark_is_read_as_json_loads_reads_it():
    """Bytes may start with one (their encoding says so); text that does is not JSON."""
    from mockserver.core.json_reading import INVALID_JSON, parse_json
    assert parse_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    assert parse_json('\ufeff{"a": 1}') is INVALID_JSON
