"""Paged listings with totals — WeChat users, Authing users, the journal — and the dashboard's
first page, on every state backend."""
from __future__ import annotations

import json
from html import unescape

import pytest
from mockserver import Config, create_app
from support import ROOT, authing_login, wechat_session
from support.processes import state_url

USERS = 250


@pytest.fixture(scope="module")
def fixture_file(tmp_path_factory):
    """The default fixture's apps, with 250 WeChat users u000 ... u249."""
    default = json.loads((ROOT / "mockserver" / "data" / "default.json").read_text(encoding="utf-8"))
    default["wechat"]["users"] = [{"alias": f"u{i:03d}", "nickname": f"用户{i}"} for i in range(USERS)]
    path = tmp_path_factory.mktemp("fixture") / "users.json"
    path.write_text(json.dumps(default, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(params=["memory", "sqlite", "redis"])
def rt(request, tmp_path, fixture_file):
    app = create_app(Config(state=state_url(request.param, tmp_path, request), fixtures=str(fixture_file)))
    runtime = app.extensions["mockserver"]
    runtime.test_client = app.test_client()
    yield runtime
    runtime.store.close()


def listing(client, path, **query):
    response = client.get(path, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_wechat_users_come_in_pages_with_their_total(rt):
    client = rt.test_client
    first = listing(client, "/__mock__/users")
    assert (first["total"], first["offset"], first["limit"]) == (USERS, 0, 100)
    assert [user["alias"] for user in first["users"]] == [f"u{i:03d}" for i in range(100)]
    appid = rt.wechat.apps()[0]["appid"]
    assert first["users"][0]["apps"][appid]["openid"] == listing(client, "/__mock__/users/u000")["apps"][appid]["openid"]
    last = listing(client, "/__mock__/users", offset=240, limit=20)
    assert [user["alias"] for user in last["users"]] == [f"u{i}" for i in range(240, 250)]
    assert listing(client, "/__mock__/users", offset=USERS)["users"] == []
    assert len(listing(client, "/__mock__/users", limit=1000)["users"]) == USERS
    client.post("/__mock__/users", json={"alias": "newest"})
    client.delete("/__mock__/users/u001")
    after = listing(client, "/__mock__/users", offset=USERS - 2, limit=5)
    assert after["total"] == USERS and [user["alias"] for user in after["users"]] == ["u249", "newest"]


def test_authing_users_come_in_pages_with_their_total(rt):
    client = rt.test_client
    app, appid = rt.authing.apps()[0], rt.wechat.apps()[0]["appid"]
    ids = [authing_login(client, f"u{i:03d}", app["id"], appid)["id"] for i in range(5)]
    page = listing(client, "/__mock__/authing/users", offset=3, limit=5)
    assert (page["total"], page["offset"], page["limit"]) == (5, 3, 5)
    assert [user["id"] for user in page["users"]] == ids[3:]
    assert [user["id"] for user in listing(client, "/__mock__/authing/users")["users"]] == ids


def test_the_journal_pages_back_from_the_newest(rt):
    client = rt.test_client
    wx = rt.wechat.apps()[0]
    for i in range(7):
        wechat_session(client, wx, f"u{i:03d}")
    users = [entry["user"] for entry in listing(client, "/__mock__/requests")["requests"]]
    assert users == [f"u{i:03d}" for i in range(7)]
    newest = listing(client, "/__mock__/requests", limit=3)
    assert (newest["count"], newest["total"], newest["offset"], newest["limit"]) == (7, 7, 0, 3)
    assert [entry["user"] for entry in newest["requests"]] == ["u004", "u005", "u006"]
    before = listing(client, "/__mock__/requests", offset=3, limit=3)
    assert [entry["user"] for entry in before["requests"]] == ["u001", "u002", "u003"]
    assert [entry["user"] for entry in listing(client, "/__mock__/requests", offset=6)["requests"]] == ["u000"]
    assert listing(client, "/__mock__/requests", offset=7)["requests"] == []
    assert [entry["id"] for entry in newest["requests"]] == [5, 6, 7]


@pytest.mark.parametrize("query, error", [
    ({"limit": "0"}, "'limit' must be a whole number from 1 to 1000"),
    ({"limit": "1001"}, "'limit' must be a whole number from 1 to 1000"),
    ({"limit": "1.5"}, "'limit' must be a whole number from 1 to 1000"),
    ({"offset": "-1"}, "'offset' must be a whole number from 0 to 1000000000"),
    ({"offset": "abc"}, "'offset' must be a whole number from 0 to 1000000000"),
    ({"offset": "99999999999999999999"}, "'offset' must be a whole number from 0 to 1000000000"),
])
@pytest.mark.parametrize("path", ["/__mock__/users", "/__mock__/authing/users", "/__mock__/requests"])
def test_bad_pages_are_refused(client, path, query, error):
    response = client.get(path, query_string=query)
    assert response.status_code == 400 and response.get_json() == {"error": error}


def test_the_dashboard_shows_the_first_rows_and_the_totals(rt):
    client = rt.test_client
    app, appid = rt.authing.apps()[0], rt.wechat.apps()[0]["appid"]
    authing_login(client, "u000", app["id"], appid)
    html = unescape(client.get("/__mock__/").get_data(as_text=True))
    assert f"WeChat users ({USERS})" in html and "Authing users (1)" in html
    users = html[html.index('id="wechat-users"'):html.index('id="authing-apps"')]
    assert users.count('data-key="') == 50 and 'data-key="u049"' in users and 'data-key="u050"' not in users
    assert 'href="?wechat-users-offset=50#wechat-users"' in users
    second = unescape(client.get("/__mock__/", query_string={"wechat-users-offset": "200"}).get_data(as_text=True))
    users = second[second.index('id="wechat-users"'):second.index('id="authing-apps"')]
    assert users.count('data-key="') == 50 and 'data-key="u200"' in users and 'data-key="u249"' in users
    assert "Rows 201–250 of 250" in users and 'href="?wechat-users-offset=150#wechat-users"' in users
    assert 'class="next"' not in users
    assert "Live login codes (0)" in html  # the one minted was used by the login

