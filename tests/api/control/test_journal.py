"""The request journal: what is recorded, masked, filtered and counted, and how much is kept."""
from __future__ import annotations

import io
import json
from urllib.parse import urlencode

import pytest

from support import authing_login, graphql, mint, wechat_session
from mockserver import Config, create_app
from mockserver.cli import config_from_args, parse


def journal(client, **filters):
    response = client.get("/__mock__/requests", query_string=filters)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_wechatpy_calls_are_recorded_with_secrets_masked(wechatpy_client, client, rt, wx_app, alias):
    rt.clock.set(1_800_000_000)
    minted = mint(client, wx_app["appid"], alias)
    session = wechatpy_client.wxa.code_to_session(minted["code"])
    token = wechatpy_client.access_token

    entries = journal(client)["requests"]
    assert [entry["path"] for entry in entries] == ["/cgi-bin/token", "/sns/jscode2session"]
    exchange = entries[1]
    assert exchange["method"] == "GET" and exchange["route"] == "jscode2session"
    assert exchange["status"] == 200 and exchange["errcode"] == 0
    assert exchange["appid"] == wx_app["appid"] and exchange["user"] == alias
    assert exchange["query"]["js_code"] == minted["code"]  # codes are what a test wants to see
    assert exchange["query"]["secret"] == "***" and exchange["query"]["access_token"] == "***"
    assert exchange["response"] == {"session_key": "***", "openid": session["openid"], "unionid": session["unionid"]}
    assert 1_800_000_000 <= exchange["time"] < 1_800_000_060  # the mock clock, not the wall clock
    assert exchange["latency_ms"] >= 0 and exchange["fault"] is None
    assert entries[0]["response"]["access_token"] == "***"

    stored = json.dumps(rt.journal.entries())
    for secret in (wx_app["secret"], token, session["session_key"]):
        assert secret not in stored


def test_bodies_headers_and_nested_secrets_are_masked(client, wx_app):
    client.post("/cgi-bin/stable_token", data=json.dumps({
        "grant_type": "client_credential", "appid": wx_app["appid"], "secret": wx_app["secret"]}))
    client.post("/api/v2/users/me", headers={"Authorization": "Bearer eyJhbGciOi.secret.part"},
                json={"password": "hunter2", "profile": {"refresh_token": "r1", "idToken": "i1", "nickname": "n"},
                      "list": [{"client_secret": "c1"}]})
    client.post("/cgi-bin/token", data="password=p&user=u", content_type="application/x-www-form-urlencoded")

    stable, graph, form = journal(client)["requests"]
    assert stable["body"] == {"grant_type": "client_credential", "appid": wx_app["appid"], "secret": "***"}
    assert stable["response"]["access_token"] == "***" and stable["appid"] == wx_app["appid"]
    assert graph["headers"]["Authorization"] == "***"
    assert graph["body"] == {"password": "***", "profile": {"refresh_token": "***", "idToken": "***", "nickname": "n"},
                             "list": [{"client_secret": "***"}]}
    assert form["body"] == {"password": "***", "user": "u"}
    assert "hunter2" not in json.dumps(journal(client))


def test_filters_and_counts(client, rt, wx_app, alias):
    other = client.post("/__mock__/apps", json={"name": "second"}).get_json()
    rt.clock.set(1_800_000_000)
    wechat_session(client, wx_app, alias)
    client.get("/sns/jscode2session", query_string={"appid": wx_app["appid"], "secret": wx_app["secret"],
                                                    "js_code": "0" * 32})  # 40029
    rt.clock.advance(3600)
    wechat_session(client, other, alias)
    client.get("/cgi-bin/token", query_string={"grant_type": "client_credential", "appid": other["appid"],
                                               "secret": "wrong"})  # 40125

    everything = journal(client)
    assert everything["count"] == 4 and everything["capacity"] == 1000
    assert everything["by_path"] == {"/sns/jscode2session": 3, "/cgi-bin/token": 1}
    assert everything["by_errcode"] == {"0": 2, "40029": 1, "40125": 1}

    assert journal(client, path="/sns/jscode2session")["count"] == 3
    assert journal(client, path="jscode2session")["count"] == 3  # route names work too
    assert [e["errcode"] for e in journal(client, appid=other["appid"])["requests"]] == [0, 40125]
    assert journal(client, errcode=40029)["requests"][0]["query"]["js_code"] == "0" * 32
    assert journal(client, errcode=0, appid=wx_app["appid"])["count"] == 1
    assert journal(client, since=1_800_003_600)["count"] == 2
    assert journal(client, user=alias)["count"] == 2
    assert journal(client, method="post")["count"] == 0
    last = journal(client, limit=1)
    assert last["count"] == 4 and [e["errcode"] for e in last["requests"]] == [40125]


@pytest.mark.parametrize("query, message", [
    ({"since": "yesterday"}, "number"), ({"errcode": "x"}, "integer"), ({"colour": "red"}, "unknown filters"),
    ({"limit": "0"}, "'limit' must be a whole number from 1 to 1000"),
    ({"offset": "-1"}, "'offset' must be a whole number from 0 to 1000000000")])
def test_bad_filters_are_refused(client, query, message):
    response = client.get("/__mock__/requests", query_string=query)
    assert response.status_code == 400 and message in response.get_json()["error"]


def test_control_plane_is_not_recorded_and_delete_clears(client, wx_app, alias):
    mint(client, wx_app["appid"], alias)
    client.get("/__mock__/clock")
    assert journal(client)["count"] == 0
    wechat_session(client, wx_app, alias)
    client.get("/no/such/path")  # a client calling the wrong URL is worth seeing
    assert [e["path"] for e in journal(client)["requests"]] == ["/sns/jscode2session", "/no/such/path"]
    assert client.delete("/__mock__/requests").get_json() == {"deleted": 2}
    assert journal(client)["count"] == 0


def test_faulted_requests_name_their_rule(client, wx_app, alias):
    rule = client.post("/__mock__/faults", json={"endpoint": "/sns/jscode2session", "errcode": -1, "times": 1}).get_json()
    wechat_session(client, wx_app, alias)
    client.post("/__mock__/faults", json={"endpoint": "/sns/jscode2session", "malformed": True, "times": 1})
    login_code = mint(client, wx_app["appid"], alias)["code"]
    client.get("/sns/jscode2session", query_string={"appid": wx_app["appid"], "secret": wx_app["secret"],
                                                    "js_code": login_code})
    faulted, broken = journal(client)["requests"]
    assert faulted["fault"] == rule["id"] and faulted["errcode"] == -1
    assert broken["fault"] == "f2" and broken["errcode"] is None and broken["response"] is None


def test_authing_calls_are_recorded_with_their_app_and_code(client, rt, wx_app, alias):
    app_id = rt.authing.apps()[0]["id"]
    client.get("/api/v2/users/me", headers={"x-authing-app-id": app_id})
    client.get("/api/v2/logout", query_string={"app_id": app_id})
    graphql(client, app_id, None, "{ checkLoginStatus { code } }")
    client.get("/api/v3/get-profile", headers={"x-authing-app-id": app_id})
    login = authing_login(client, alias, app_id, wx_app["appid"])
    me, logout, status, profile, auth = client.get("/__mock__/requests").get_json()["requests"][-5:]
    assert (profile["response"]["statusCode"], profile["errcode"]) == (401, 2020)  # v3: apiCode, not statusCode
    assert (me["appid"], me["errcode"]) == (app_id, 2020)  # v2: not logged in
    assert logout["appid"] == app_id and status["errcode"] == 0
    assert (auth["appid"], auth["user"], auth["errcode"]) == (wx_app["appid"], alias, 0)  # the code's owner first
    assert login["id"]


def test_ring_buffer_keeps_the_last_n():
    client = create_app(Config(journal_size=3)).test_client()
    for n in range(5):
        client.get("/sns/jscode2session", query_string={"js_code": f"c{n}"})
    kept = journal(client)
    assert kept["capacity"] == 3 and kept["count"] == 3
    assert [e["query"]["js_code"] for e in kept["requests"]] == ["c2", "c3", "c4"]
    assert [e["id"] for e in kept["requests"]] == [3, 4, 5]


def test_journal_size_flag_and_variable(monkeypatch):
    assert config_from_args(parse(["--journal-size", "50"])).journal_size == 50
    monkeypatch.setenv("MOCKSERVER_JOURNAL_SIZE", "7")
    assert config_from_args(parse([])).journal_size == 7
    with pytest.raises(ValueError):
        create_app(Config(journal_size=0))


def test_uploads_are_summarised_not_stored(client):
    client.post("/api/v2/upload?folder=avatar", data={"file": (io.BytesIO(b"\x89PNG" + b"0" * 96), "a.png",
                                                               "image/png"), "token": "t"},
                content_type="multipart/form-data")
    entry = journal(client)["requests"][0]
    assert entry["body"] == {"form": {"token": "***"},
                             "files": {"file": {"filename": "a.png", "content_type": "image/png", "bytes": 100}}}


@pytest.mark.parametrize("data, content_type, recorded", [
    (b'{"secret": "s3", "n": 1}', "application/json", {"secret": "***", "n": 1}),
    (b'{"secret": "s3"}', None, {"secret": "***"}),  # wechatpy sends no Content-Type: still JSON
    (b'["a", {"token": "t"}]', "application/json", ["a", {"token": "***"}]),
    (b"null", "application/json", None),
    (b"   ", "application/json", "   "),  # blank: kept as text, not mistaken for JSON
    (b'{"n": 1', "application/json", '{"n": 1'),  # invalid JSON: text, as sent
    (b"secret=s3&n=1", "application/x-www-form-urlencoded", {"secret": "***", "n": "1"}),
    (b"plain words", "text/plain", "plain words"),
    (b'{"secret": "s3"}', "application/octet-stream", {"binary": "application/octet-stream", "bytes": 16}),
    (b"\x89PNG\r\n", "image/png", {"binary": "image/png", "bytes": 6}),
])
def test_each_kind_of_body_is_recorded_as_what_it_is(client, data, content_type, recorded):
    headers = {"Content-Type": content_type} if content_type else {}
    client.post("/cgi-bin/stable_token", data=data, headers=headers)
    (entry,) = journal(client)["requests"]  # the journal answers (no 500) whatever was recorded
    assert entry["body"] == recorded
    assert "s3" not in json.dumps(entry)


def test_repeated_form_and_query_fields_are_all_kept_in_order():
    # bounds wide enough for every field (test_journal_bounds.py: what is kept past them)
    client = create_app(Config(journal_max_fields=3000, journal_max_bytes=65536)).test_client()
    fields = [("tag", str(n)) for n in range(2000)] + [("one", "x")]
    client.post("/sns/jscode2session?k=1&k=2&single=s", data=urlencode(fields),
                content_type="application/x-www-form-urlencoded")
    [entry] = journal(client)["requests"]
    assert entry["query"] == {"k": ["1", "2"], "single": "s"}
    assert entry["body"]["tag"] == [str(n) for n in range(2000)] and entry["body"]["one"] == "x"
