"""Stubs: a matching request gets the stub's answer instead of the route's, on every state backend;
a stub whose answer the owning service could not give is refused with a clear error."""
from __future__ import annotations

import base64

import pytest
from mockserver import Config, create_app
from support import access_token, authing_login, mint
from support.processes import state_url

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture(params=["memory", "sqlite", "redis"])
def rt(request, tmp_path):
    app = create_app(Config(state=state_url(request.param, tmp_path, request)))
    runtime = app.extensions["mockserver"]
    runtime.test_client = app.test_client()
    yield runtime
    runtime.store.close()


def add(client, **stub):
    response = client.post("/__mock__/stubs", json=stub)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def exchange(client, wx, code):
    return client.get("/sns/jscode2session", query_string={
        "appid": wx["appid"], "secret": wx["secret"], "js_code": code, "grant_type": "authorization_code"})


def test_a_stub_answers_its_body_with_the_callers_values_times_times(rt):
    client, wx = rt.test_client, rt.wechat.apps()[0]
    alias = rt.wechat.users()[0]["alias"]
    stub = add(client, endpoint="/sns/jscode2session", times=2, match={"user": alias},
               body={"openid": "{{openid}}", "session_key": "stubbed-{{ user }}", "code": "{{code}}"})
    assert (stub["id"], stub["status"], stub["hits"], stub["active"]) == ("s1", 200, 0, True)
    openid = rt.wechat.describe_user(rt.wechat.user(alias))["apps"][wx["appid"]]["openid"]

    code = mint(client, wx["appid"], alias)["code"]
    for _ in range(2):
        answer = exchange(client, wx, code)
        assert answer.get_json() == {"openid": openid, "session_key": f"stubbed-{alias}", "code": code}
        assert answer.headers["Content-Type"] == "application/json; encoding=utf-8"
    # spent: the route answers, and the code the stub answered for was never used up
    real = exchange(client, wx, code).get_json()
    assert real["openid"] == openid and real["session_key"] != f"stubbed-{alias}"

    assert client.get("/__mock__/stubs").get_json()["stubs"] == [{**stub, "hits": 2, "active": False}]
    journal = client.get("/__mock__/requests", query_string={"path": "/sns/jscode2session"}).get_json()
    assert [entry["stub"] for entry in journal["requests"]] == ["s1", "s1", None]
    assert [entry["errcode"] for entry in journal["requests"]] == [0, 0, 0]


def test_a_stub_matches_only_its_user_and_headers_are_sent(rt):
    client, wx = rt.test_client, rt.wechat.apps()[0]
    first, second = (user["alias"] for user in rt.wechat.users()[:2])
    add(client, endpoint="jscode2session", match={"user": first}, headers={"X-Stubbed": "yes"},
        body={"errcode": 40163, "errmsg": "code been used, rid: 1"})
    stubbed = exchange(client, wx, mint(client, wx["appid"], first)["code"])
    assert stubbed.get_json() == {"errcode": 40163, "errmsg": "code been used, rid: 1"}
    assert stubbed.headers["X-Stubbed"] == "yes"
    assert "openid" in exchange(client, wx, mint(client, wx["appid"], second)["code"]).get_json()
    journal = client.get("/__mock__/requests", query_string={"errcode": 40163}).get_json()
    assert journal["total"] == 1 and journal["requests"][0]["user"] == first


@pytest.mark.parametrize("path", ["/wxa/getwxacodeunlimit", "/wxa/getwxacode", "/cgi-bin/wxaapp/createwxaqrcode"])
def test_each_qr_code_route_answers_stubbed_image_bytes(rt, path):
    client, wx = rt.test_client, rt.wechat.apps()[0]
    add(client, endpoint=path, body_base64=base64.b64encode(PNG).decode())
    answer = client.post(path, query_string={"access_token": access_token(client, wx)}, json={"scene": "a=1"})
    assert (answer.status_code, answer.headers["Content-Type"], answer.get_data()) == (200, "image/png", PNG)


def test_an_authing_route_answers_a_stubbed_object_with_its_status(rt):
    client = rt.test_client
    app, wx = rt.authing.apps()[0], rt.wechat.apps()[0]
    user = authing_login(client, rt.wechat.users()[0]["alias"], app["id"], wx["appid"])
    add(client, endpoint="/api/v3/get-profile", status=403,
        body={"statusCode": 403, "apiCode": 40301, "message": "stubbed for {{appid}}"})
    answer = client.get("/api/v3/get-profile", headers={"x-authing-app-id": app["id"],
                                                       "Authorization": "Bearer " + user["token"]})
    assert answer.status_code == 403
    assert answer.get_json() == {"statusCode": 403, "apiCode": 40301, "message": f"stubbed for {app['id']}"}


def test_stubs_are_removed_one_by_one_or_all_and_by_reset(rt):
    client = rt.test_client
    ids = [add(client, endpoint="/cgi-bin/token", body={"access_token": str(i), "expires_in": 7200})["id"]
           for i in range(3)]
    assert ids == ["s1", "s2", "s3"]
    assert client.delete("/__mock__/stubs/s2").get_json() == {"deleted": "s2"}
    missing = client.delete("/__mock__/stubs/s2")
    assert (missing.status_code, missing.get_json()) == (404, {"error": "no stub 's2'"})
    assert [stub["id"] for stub in client.get("/__mock__/stubs").get_json()["stubs"]] == ["s1", "s3"]
    assert client.delete("/__mock__/stubs").get_json() == {"deleted": 2}
    add(client, endpoint="/cgi-bin/token", body={})
    client.post("/__mock__/reset")
    assert client.get("/__mock__/stubs").get_json() == {"stubs": []}


def test_faults_are_looked_at_before_stubs(rt):
    client, wx = rt.test_client, rt.wechat.apps()[0]
    add(client, endpoint="/cgi-bin/token", body={"access_token": "stubbed", "expires_in": 7200})
    client.post("/__mock__/faults", json={"endpoint": "/cgi-bin/token", "errcode": -1, "times": 1})
    query = {"grant_type": "client_credential", "appid": wx["appid"], "secret": wx["secret"]}
    assert client.get("/cgi-bin/token", query_string=query).get_json()["errcode"] == -1
    assert client.get("/cgi-bin/token", query_string=query).get_json()["access_token"] == "stubbed"


REFUSED = [
    ({"endpoint": "/sns/jscode2session"}, "give the answer as 'body' (JSON) or 'body_base64' (bytes), one of them"),
    ({"endpoint": "/sns/jscode2session", "body": {}, "body_base64": "AA=="},
     "give the answer as 'body' (JSON) or 'body_base64' (bytes), one of them"),
    ({"endpoint": "/sns/jscode2session", "body": ["openid"]}, "a WeChat answer is a JSON object"),
    ({"endpoint": "/sns/jscode2session", "body": {"errcode": "40029"}}, "a WeChat answer's 'errcode' is an integer"),
    ({"endpoint": "/sns/jscode2session", "body": {"errcode": True}}, "a WeChat answer's 'errcode' is an integer"),
    ({"endpoint": "/sns/jscode2session", "body": {"errmsg": 1}}, "a WeChat answer's 'errmsg' is a string"),
    ({"endpoint": "/sns/jscode2session", "body": {}, "status": 500},
     "WeChat answers HTTP 200, errors included (the errcode is in the body): leave 'status' out or give 200"),
    ({"endpoint": "/sns/jscode2session", "body_base64": base64.b64encode(PNG).decode()},
     "wechat.jscode2session answers JSON: give 'body', an object"),
    ({"endpoint": "/wxa/getwxacodeunlimit", "body_base64": "aGVsbG8="},
     "WeChat answers bytes only on the QR-code routes, as a PNG or JPEG image"),
    ({"endpoint": "/wxa/getwxacodeunlimit", "body": {"errcode": 0}},
     "the QR-code routes answer an image on success: give 'body_base64', or a JSON body with a non-zero errcode"),
    ({"endpoint": "/wxa/getwxacodeunlimit", "body_base64": "not base64!"}, "'body_base64' is not valid base64"),
    ({"endpoint": "/wxa/getwxacodeunlimit", "body_base64": 12}, "'body_base64' must be a base64 string"),
    ({"endpoint": "/wxa/getwxacodeunlimit", "body_base64": base64.b64encode(PNG + bytes(262144)).decode()},
     "'body_base64' must decode to at most 262144 bytes"),
    ({"endpoint": "/sns/jscode2session", "body": {"openid": "{{ secret }}"}},
     "unknown placeholders ['secret'] in 'body' (known: appid, user, code, openid, unionid)"),
    ({"endpoint": "/api/v3/get-profile", "body": {"openid": "{{openid}}"}},
     "unknown placeholders ['openid'] in 'body' (known: appid, user, code)"),
    ({"endpoint": "/api/v3/get-profile", "body": "ok"}, "an Authing answer is a JSON object: give it as 'body'"),
    ({"endpoint": "/api/v3/get-profile", "body": {"statusCode": "200"}}, "an Authing answer's 'statusCode' is an integer"),
    ({"endpoint": "/api/v3/get-profile", "body": {"message": []}}, "an Authing answer's 'message' is a string"),
    ({"endpoint": "/sns/jscode2session", "body": {}, "status": 99}, "'status' must be an HTTP status from 200 to 599"),
    ({"endpoint": "/api/v3/get-profile", "body": {}, "status": 204},
     "a 204 answer has no body (HTTP): give a status that carries one"),
    ({"endpoint": "/sns/jscode2session", "body": {}, "headers": {"Content-Length": "5"}},
     "'headers': 'Content-Length' is not a header a stub may set"),
    ({"endpoint": "/sns/jscode2session", "body": {}, "headers": {"Bad Name": "x"}},
     "'headers': 'Bad Name' is not a header a stub may set"),
    ({"endpoint": "/sns/jscode2session", "body": {}, "headers": {"X-A": "one\r\nSet-Cookie: x"}},
     "'headers': the value of 'X-A' must be printable ASCII, at most 4096 characters"),
    ({"endpoint": "/sns/jscode2session", "body": {}, "headers": ["X-A"]},
     "'headers' must be an object of header names to string values"),
    ({"endpoint": "/sns/jscode2session", "body": {"x": "y" * 300_000}},
     "'body' must encode to at most 262144 bytes of JSON"),
    ({"endpoint": "/sns/jscode2session", "body": {}, "errcode": -1},
     "unknown rule fields ['errcode'] (known: ['body', 'body_base64', 'endpoint', 'headers', 'latency_ms', "
     "'match', 'probability', 'status', 'times'])"),
    ({"endpoint": "/nowhere", "body": {}}, None),
    ({"endpoint": "/sns/jscode2session", "body": {}, "times": 0}, "'times' must be a positive integer"),
    ({"endpoint": "/sns/jscode2session", "body": {}, "match": {"user": "nobody"}},
     "no WeChat user with alias or openid 'nobody'"),
]


@pytest.mark.parametrize("stub, error", REFUSED)
def test_a_stub_the_service_could_not_answer_is_refused_and_nothing_is_stored(client, stub, error):
    response = client.post("/__mock__/stubs", json=stub)
    assert response.status_code in (400, 404)
    if error is None:
        assert response.get_json()["error"].startswith("no emulated route '/nowhere'; known paths: ")
    else:
        assert response.get_json() == {"error": error}
    assert client.get("/__mock__/stubs").get_json() == {"stubs": []}


def test_a_service_without_stub_support_takes_no_stubs():
    from mockserver import registry
    from mockserver.wechat import SERVICE

    app = create_app(Config(), [SERVICE._replace(stubs=None), *registry.load()[1:]])
    response = app.test_client().post("/__mock__/stubs", json={"endpoint": "/sns/jscode2session", "body": {}})
    assert (response.status_code, response.get_json()) == (400, {"error": "WeChat routes take no stubs"})


def test_at_most_a_hundred_stubs(client):
    for i in range(100):
        assert client.post("/__mock__/stubs", json={"endpoint": "/cgi-bin/token", "body": {"n": i}}).status_code == 201
    refused = client.post("/__mock__/stubs", json={"endpoint": "/cgi-bin/token", "body": {}})
    assert (refused.status_code, refused.get_json()) == (
        400, {"error": "there are 100 stubs already, the most there may be: remove some first"})
    client.delete("/__mock__/stubs/s1")
    assert client.post("/__mock__/stubs", json={"endpoint": "/cgi-bin/token", "body": {}}).get_json()["id"] == "s101"


def test_a_stub_is_bounded_whole_not_only_its_body(client):
    """Headers and matches count too: every emulated request reads every stub."""
    headers = {f"X-H{i}": "a" * 4000 for i in range(300)}
    answer = client.post("/__mock__/stubs", json={"endpoint": "/cgi-bin/token", "headers": headers,
                                                  "body": {"errcode": 0}})
    assert answer.status_code == 400 and answer.get_json() == {"error": "a stub must encode to at most 1048576 bytes "
                                                                        "of JSON"}
    assert client.get("/__mock__/stubs").get_json()["stubs"] == []


def test_the_stubs_together_are_bounded(client):
    big = {"errcode": 0, "pad": "x" * 250_000}
    added = [client.post("/__mock__/stubs", json={"endpoint": "/cgi-bin/token", "body": big}) for _ in range(5)]
    assert [a.status_code for a in added] == [201, 201, 201, 201, 400]
    assert added[-1].get_json()["error"].startswith("the stubs would take more than 1048576 bytes of JSON together")
    assert len(client.get("/__mock__/stubs").get_json()["stubs"]) == 4
