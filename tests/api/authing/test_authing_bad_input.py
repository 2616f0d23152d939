"""Bad input to the Authing routes: Authing's own error shapes, never a 500 or HTML, no state change."""
from __future__ import annotations

import io

import pytest

from support import mint

GARBAGE = [b"", b"not json", b"[1, 2]", b'"text"', b'{"code": 5, "iv": [], "encryptedData": {}}',
           b'{"phone": "abc", "code": null}', b'{"query": 7}', b'{"query": "{ nope }"}',
           b'{"query": "mutation { updateUser(input: {nickname: 5}) { id } }"}',
           b'{"connection": "wechat_mini_program_code", "extIdpConnidentifier": "wechat-miniprogram"}',
           b'{"nickname": 7, "gender": "X", "customData": 3, "password": "x"}']

ROUTES = [
    ("POST", "/connections/social/wechat-miniprogram/auth", "v2"),
    ("POST", "/connections/social/wechat-miniprogram/auth-by-phone", "v2"),
    ("POST", "/connections/social/wechat-miniprogram/getphone", "v2"),
    ("GET", "/api/v2/users/me", "v2"),
    ("POST", "/api/v2/sms/send", "v2"),
    ("GET", "/api/v2/logout", "v2"),
    ("GET", "/logout", "v2"),
    ("POST", "/api/v2/upload", "v2"),
    ("GET", "/api/v2/oidc/validate_token", "v2"),
    ("GET", "/files/avatar/missing.png", "v2"),
    ("POST", "/api/v3/signin-by-mobile", "v3"),
    ("GET", "/api/v3/get-profile", "v3"),
    ("POST", "/api/v3/update-profile", "v3"),
    ("POST", "/api/v3/decrypt-wechat-miniprogram-data", "v3"),
    ("POST", "/graphql/v2", "graphql"),
    ("GET", "/oidc/me", "oidc"),
    ("POST", "/oidc/token/introspection", "oidc"),
]


def state(rt):
    return rt.authing.repo.snapshot()


@pytest.mark.parametrize("method, path, family", ROUTES)
@pytest.mark.parametrize("token", [None, "garbage", "a.b.c"])
def test_garbage_gets_authing_errors_and_changes_nothing(client, rt, method, path, family, token):
    app = rt.authing.apps()[0]
    before = state(rt)
    for raw in GARBAGE:
        headers = {"x-authing-app-id": app["id"], "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        response = client.open(path, method=method, data=raw, headers=headers)
        assert response.status_code < 500 and response.is_json, (path, raw, response.data[:200])
        body = response.get_json()
        if family == "v2":
            assert body["code"] != 200 and isinstance(body["message"], str), (path, raw, body)
        elif family == "v3":
            assert body["statusCode"] >= 400 and body["apiCode"] and body["message"], (path, raw, body)
        elif family == "graphql":
            assert set(body["errors"][0]["message"]) == {"code", "message", "data"}, (path, raw, body)
        else:
            assert body["error"] and response.status_code in (400, 401), (path, raw, body)
    assert state(rt) == before
    # sms/send with a valid phone is the only garbage-free write; it is not in GARBAGE.
    assert rt.authing.sms_outbox() == []


def test_wrong_method_and_unknown_app(client, rt, wx_app, alias):
    wrong = client.get("/connections/social/wechat-miniprogram/auth")
    assert wrong.status_code == 200 and wrong.get_json()["code"] == 405
    code = mint(client, wx_app["appid"], alias)["code"]
    unknown = client.post("/connections/social/wechat-miniprogram/auth", json={"code": code},
                          headers={"x-authing-app-id": "0" * 24}).get_json()
    assert unknown["code"] == 2011
    # The code was not spent by the refused request.
    app = rt.authing.apps()[0]
    ok = client.post("/connections/social/wechat-miniprogram/auth", json={"code": code},
                     headers={"x-authing-app-id": app["id"]}).get_json()
    assert ok["code"] == 200


def test_another_apps_code_and_expired_codes_fail(client, rt, alias):
    other = client.post("/__mock__/apps", json={"name": "另一个小程序"}).get_json()
    app = rt.authing.apps()[0]
    headers = {"x-authing-app-id": app["id"]}
    foreign = mint(client, other["appid"], alias)["code"]
    answer = client.post("/connections/social/wechat-miniprogram/auth", json={"code": foreign}, headers=headers)
    assert answer.get_json()["data"]["errcode"] == 40029
    code = mint(client, rt.wechat.apps()[0]["appid"], alias)["code"]
    rt.clock.advance(301)
    answer = client.post("/connections/social/wechat-miniprogram/auth", json={"code": code}, headers=headers)
    assert answer.get_json()["data"]["errcode"] == 40029
    assert rt.authing.users() == []


def test_sms_codes_expire_and_are_single_use(client, rt, wx_app, alias):
    app = rt.authing.apps()[0]
    code = mint(client, wx_app["appid"], alias)["code"]
    token = client.post("/connections/social/wechat-miniprogram/auth", json={"code": code},
                        headers={"x-authing-app-id": app["id"]}).get_json()["data"]["token"]
    headers = {"x-authing-app-id": app["id"], "Authorization": "Bearer " + token}
    bind = "mutation bindPhone($phone: String!, $phoneCode: String!) { bindPhone(phone: $phone, phoneCode: $phoneCode) { phone } }"
    assert client.post("/api/v2/sms/send", json={"phone": "13900000002"}, headers=headers).get_json()["code"] == 200
    sms = client.get("/__mock__/authing/sms").get_json()["codes"][0]
    rt.clock.advance(301)
    late = client.post("/graphql/v2", headers=headers, json={"query": bind, "variables": {
        "phone": "13900000002", "phoneCode": sms["code"]}}).get_json()
    assert late["errors"][0]["message"]["code"] == 2001 and rt.authing.users()[0]["phone"] is None
    client.post("/api/v2/sms/send", json={"phone": "13900000002"}, headers=headers)
    fresh = client.get("/__mock__/authing/sms").get_json()["codes"][-1]["code"]
    ok = client.post("/graphql/v2", headers=headers, json={"query": bind, "variables": {
        "phone": "13900000002", "phoneCode": fresh}}).get_json()
    assert ok["data"]["bindPhone"]["phone"] == "13900000002"
    assert client.get("/__mock__/authing/sms").get_json()["codes"][-1]["used"] is True


def test_introspection_query_is_answered_with_null_data(client):
    answer = client.post("/graphql/v2", json={"query": "query IntrospectionQuery { __schema { types { name } } }"})
    assert answer.status_code == 200 and answer.get_json() == {"data": None}


@pytest.mark.parametrize("method, path, family, status", [
    ("GET", "/connections/social/wechat-miniprogram/auth", "v2", 405),
    ("GET", "/api/v2/nowhere", "v2", 404),
    ("GET", "/graphql/v2", "graphql", 405),
    ("POST", "/graphql/nowhere", "graphql", 404),
    ("GET", "/api/v3/signin-by-mobile", "v3", 405),
    ("GET", "/api/v3/nowhere", "v3", 404),
    ("GET", "/oidc/nowhere", "oidc", 404),
])
def test_http_errors_are_http_200_for_v2_and_graphql_only(client, method, path, family, status):
    """axios rejects a non-2xx answer before authing-wxapp-sdk reads ``code`` (it then reports
    "网络请求错误"): v2 and GraphQL errors are HTTP 200; v3 and OIDC keep the real status."""
    answer = client.open(path, method=method)
    body = answer.get_json()
    if family == "v2":
        assert answer.status_code == 200 and body["code"] == status, body
    elif family == "graphql":
        assert answer.status_code == 200 and body["errors"][0]["message"]["code"] == status, body
    elif family == "v3":
        assert answer.status_code == status and body["apiCode"] == status, body
    else:
        assert answer.status_code == status and body["error"], body


@pytest.mark.parametrize("path, family", [("/api/v2/upload", "v2"), ("/graphql/v2", "graphql"),
                                          ("/api/v3/update-profile", "v3")])
def test_too_large_and_unexpected_failures_follow_the_same_rule(path, family, monkeypatch):
    import mockserver.authing.graphql as graphql  # the module itself: the package's `graphql` is its route module
    from mockserver import Config, create_app

    app = create_app(Config(max_body_bytes=1024))
    client, runtime = app.test_client(), app.extensions["mockserver"]
    big = client.post(path, data=b"x" * 4096, headers={"Content-Type": "application/octet-stream"})
    assert big.status_code == (413 if family == "v3" else 200), big.data[:200]

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")
    monkeypatch.setattr(runtime.authing.files, "upload", broken)
    monkeypatch.setattr(runtime.authing.account, "update_profile", broken)
    monkeypatch.setattr(graphql, "execute", broken)
    if family == "v2":
        failed = client.post(path, data={"file": (io.BytesIO(b"png"), "a.png")})
        assert failed.status_code == 200 and failed.get_json()["code"] == 1000, failed.data[:200]
    elif family == "graphql":
        failed = client.post(path, json={"query": "{ user { id } }"})
        assert failed.status_code == 200 and failed.get_json()["errors"][0]["message"]["code"] == 1000
    else:
        failed = client.post(path, json={"nickname": "x"})
        assert failed.status_code == 500 and failed.get_json()["statusCode"] == 500, failed.data[:200]


@pytest.mark.parametrize("raw_data", ["not json", "[1]", '"text"'])
def test_malformed_raw_data_is_refused_before_the_code_is_spent(client, rt, wx_app, alias, raw_data):
    app = rt.authing.apps()[0]
    headers = {"x-authing-app-id": app["id"]}
    code = mint(client, wx_app["appid"], alias)["code"]
    refused = client.post("/connections/social/wechat-miniprogram/auth", json={"code": code, "rawData": raw_data},
                          headers=headers).get_json()
    assert refused["code"] == 400 and "rawData" in refused["message"], refused
    ok = client.post("/connections/social/wechat-miniprogram/auth", headers=headers, json={
        "code": code, "rawData": '{"nickName": "小红", "gender": 2}'}).get_json()
    assert ok["code"] == 200 and ok["data"]["nickname"] == "小红" and ok["data"]["gender"] == "F", ok


def test_an_sms_code_is_found_without_scanning_every_sms(client, rt, wx_app, alias, monkeypatch):
    """The newest code of (pool, phone) is looked up directly; the outbox listing still shows them all."""
    app = rt.authing.apps()[0]
    code = mint(client, wx_app["appid"], alias)["code"]
    token = client.post("/connections/social/wechat-miniprogram/auth", json={"code": code},
                        headers={"x-authing-app-id": app["id"]}).get_json()["data"]["token"]
    headers = {"x-authing-app-id": app["id"], "Authorization": "Bearer " + token}
    for phone in ("13900000003", "13900000004", "13900000003"):
        assert client.post("/api/v2/sms/send", json={"phone": phone}, headers=headers).get_json()["code"] == 200
        rt.clock.advance(61)  # one code per phone per minute
    listed = client.get("/__mock__/authing/sms").get_json()["codes"]
    assert [c["phone"] for c in listed] == ["13900000003", "13900000004", "13900000003"]
    scans = []
    listing = rt.authing.repo.codes
    monkeypatch.setattr(rt.authing.repo, "codes", lambda kind: scans.append(kind) or listing(kind))
    bind = "mutation bindPhone($phone: String!, $phoneCode: String!) { bindPhone(phone: $phone, phoneCode: $phoneCode) { phone } }"
    older = client.post("/graphql/v2", headers=headers, json={"query": bind, "variables": {
        "phone": "13900000003", "phoneCode": listed[0]["code"]}}).get_json()
    assert older["errors"][0]["message"]["code"] == 2001 or listed[0]["code"] == listed[2]["code"]
    ok = client.post("/graphql/v2", headers=headers, json={"query": bind, "variables": {
        "phone": "13900000003", "phoneCode": listed[2]["code"]}}).get_json()
    assert ok["data"]["bindPhone"]["phone"] == "13900000003", ok
    assert scans == []  # the code was found without listing every message
    assert [c["used"] for c in client.get("/__mock__/authing/sms").get_json()["codes"]] == [False, False, True]


def test_a_failing_graphql_resolver_is_the_mocks_failure_not_a_bad_request(client, rt, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")
    monkeypatch.setattr(rt.authing.tokens, "check_login_status", broken)
    answer = client.post("/graphql/v2", json={"query": "{ checkLoginStatus { code } }"})
    assert answer.status_code == 200
    assert answer.get_json()["errors"][0]["message"]["code"] == 1000
    assert "a bug" in caplog.text
    wrong_variable = client.post("/graphql/v2", json={
        "query": "query checkLoginStatus($token: String) { checkLoginStatus(token: $token) { code } }",
        "variables": {"token": ["x"]}}).get_json()
    assert wrong_variable["errors"][0]["message"]["code"] == 400


def test_an_uploaded_page_is_never_run_as_the_mocks_origin(client):
    import io
    from urllib.parse import urlsplit

    page = b"<script>fetch('/__mock__/apps')</script>"
    uploaded = client.post("/api/v2/upload?folder=avatar",
                           data={"file": (io.BytesIO(page), "x.html", "text/html")}).get_json()
    served = client.get(urlsplit(uploaded["data"]["url"]).path)
    assert served.status_code == 200 and served.data == page
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]


@pytest.mark.parametrize("raw_data", ['{"nickName": "小红", "gender": 2}', {"nickName": "小红", "gender": 2}])
def test_raw_data_as_a_json_string_or_an_object_sets_the_profile(client, rt, wx_app, alias, raw_data):
    code = mint(client, wx_app["appid"], alias)["code"]
    user = client.post("/connections/social/wechat-miniprogram/auth", json={"code": code, "rawData": raw_data},
                       headers={"x-authing-app-id": rt.authing.apps()[0]["id"]}).get_json()["data"]
    assert (user["nickname"], user["gender"]) == ("小红", "F")
