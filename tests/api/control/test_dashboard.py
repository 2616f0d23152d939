"""The dashboard page and its forms, through Flask's test client (the browser test is separate):
each form acts, then the JSON API shows it; every form needs the server's token."""
from __future__ import annotations

import re
from html import unescape

import pytest
from mockserver import Config, create_app
from support import authing_login, mint


def page(client, url="/__mock__/"):
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/html"
    return unescape(response.get_data(as_text=True))


def token(client) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]{64})"', page(client)).group(1)


def post(client, url, **data):
    """A dashboard form, as the page posts it: the outcome shown on the page it redirects to."""
    response = client.post(url, data={"csrf": token(client), **data})
    assert response.status_code == 303, response.get_data(as_text=True)
    html = page(client, response.headers["Location"])
    found = re.search(r'<p class="(notice|error)" id="(?:notice|error)">([^<]*)</p>', html)
    return found.group(1), found.group(2)


def section(html, anchor):
    start = html.index(f'id="{anchor}"')
    end = html.find("<h2 ", start + 1)
    return html[start:end if end > 0 else None]


def test_page_shows_apps_users_codes_tokens_requests_faults_and_stubs(client, rt, wx_app, alias):
    code = mint(client, wx_app["appid"], alias)["code"]
    access = client.get("/cgi-bin/token", query_string={
        "grant_type": "client_credential", "appid": wx_app["appid"], "secret": wx_app["secret"]}).get_json()
    client.post("/__mock__/faults", json={"endpoint": "/sns/jscode2session", "errcode": 45011, "times": 2})
    client.post("/__mock__/stubs", json={"endpoint": "/wxa/checksession", "body": {"errcode": 0, "errmsg": "stubbed"}})
    html = page(client)

    assert wx_app["appid"] in html and wx_app["secret"] in html
    authing_app = rt.authing.apps()[0]
    assert authing_app["id"] in html and authing_app["secret"] in html
    users = section(html, "wechat-users")
    for user in rt.wechat.users():
        assert f'data-key="{user["alias"]}"' in users and user["nickname"] in users
    assert code in html and access["access_token"] in html
    assert "GET /cgi-bin/token" in html
    assert "/sns/jscode2session" in html and "45011" in html and "0 / 2" in html
    assert '{"errcode": 0, "errmsg": "stubbed"}' in section(html, "stubs")
    assert "<script" not in html
    assert not re.search(r'(src|href|action)="(https?:)?//', html)  # nothing loaded from elsewhere


def test_the_summary_links_to_every_section_with_its_count(client, rt):
    html = page(client)
    links = re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', section(html, "summary") if 'id="summary"' in html else "")
    anchors = dict(links)
    assert anchors["wechat-users"] == f"WeChat users ({len(rt.wechat.users())})"
    assert anchors["authing-users"] == "Authing users (0)" and anchors["authing-sms"] == "SMS outbox (0)"
    assert anchors["faults"] == "Fault rules (0)" and anchors["stubs"] == "Stubs (0)"
    assert {"apps", "codes", "tokens", "authing-apps", "requests", "state"} <= set(anchors)
    for anchor in anchors:
        assert f'id="{anchor}"' in html


def test_every_openid_is_labelled_with_its_app(client, rt, alias):
    second = client.post("/__mock__/apps", json={"name": "Second", "appid": "wx00000000000000b2"}).get_json()
    row = section(page(client), "wechat-users").split(f'data-key="{alias}"')[1].split("</tr>")[0]
    apps = client.get(f"/__mock__/users/{alias}").get_json()["apps"]
    first = rt.wechat.apps()[0]
    assert f"{first['name']}: {apps[first['appid']]['openid']}" in row
    assert f"Second: {apps[second['appid']]['openid']}" in row
    assert '<select name="choice">' in row  # two apps: the mint button asks which


def test_mint_code_gives_a_code_that_logs_the_user_in(client, wx_app, alias):
    kind, notice = post(client, "/__mock__/dashboard/wechat-users/mint", key=alias, choice=wx_app["appid"])
    assert kind == "notice"
    code = re.fullmatch(rf"login code for {alias} in [^:]+: (\w+) \(valid 5 minutes, once\)", notice).group(1)
    session = client.get("/sns/jscode2session", query_string={
        "appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": code}).get_json()
    assert session["openid"] == client.get(f"/__mock__/users/{alias}").get_json()["apps"][wx_app["appid"]]["openid"]


def test_create_block_unblock_and_delete_a_wechat_user(client):
    assert post(client, "/__mock__/dashboard/wechat-users/create", alias="dash", nickname="仪表", phone="13800000000") \
        == ("notice", "WeChat user dash created")
    created = client.get("/__mock__/users/dash").get_json()
    assert (created["nickname"], created["phone"], created["blocked"]) == ("仪表", "13800000000", False)
    assert post(client, "/__mock__/dashboard/wechat-users/block", key="dash") == ("notice", "WeChat user dash blocked")
    assert client.get("/__mock__/users/dash").get_json()["blocked"] is True
    row = section(page(client), "wechat-users").split('data-key="dash"')[1].split("</tr>")[0]
    assert 'class="unblock"' in row and 'class="block"' not in row and "blocked" in row
    assert post(client, "/__mock__/dashboard/wechat-users/unblock", key="dash") == ("notice", "WeChat user dash unblocked")
    assert client.get("/__mock__/users/dash").get_json()["blocked"] is False
    assert post(client, "/__mock__/dashboard/wechat-users/delete", key="dash") == ("notice", "WeChat user dash deleted")
    assert client.get("/__mock__/users/dash").status_code == 404


def test_block_an_authing_user_and_their_token_is_refused(client, rt, wx_app, alias):
    app = rt.authing.apps()[0]
    user = authing_login(client, alias, app["id"], wx_app["appid"])
    profile = {"x-authing-app-id": app["id"], "Authorization": "Bearer " + user["token"]}
    assert client.get("/api/v3/get-profile", headers=profile).get_json()["statusCode"] == 200
    row = section(page(client), "authing-users").split(f'data-key="{user["id"]}"')[1].split("</tr>")[0]
    assert f"{wx_app['name']}: {user['openid']}" in row  # its openid, labelled with its mini program
    assert post(client, "/__mock__/dashboard/authing-users/block", key=user["id"]) == \
        ("notice", f"Authing user {user['id']} blocked: its tokens are refused")
    assert client.get(f"/__mock__/authing/users/{user['id']}").get_json()["blocked"] is True
    assert client.get("/api/v3/get-profile", headers=profile).get_json()["statusCode"] != 200
    assert post(client, "/__mock__/dashboard/authing-users/unblock", key=user["id"])[0] == "notice"
    assert client.get("/api/v3/get-profile", headers=profile).get_json()["statusCode"] == 200


def test_the_sms_outbox_shows_the_codes_sent(client, rt):
    app = rt.authing.apps()[0]
    sent = client.post("/api/v2/sms/send", headers={"x-authing-app-id": app["id"]}, json={"phone": "13900000001"})
    assert sent.get_json()["code"] == 200, sent.get_json()
    outbox = client.get("/__mock__/authing/sms").get_json()["codes"]
    shown = section(page(client), "authing-sms")
    assert "SMS outbox (1)" in shown and outbox[0]["code"] in shown and "13900000001" in shown


def test_add_and_remove_a_fault_rule_with_the_apis_fields(client, wx_app):
    assert post(client, "/__mock__/dashboard/faults", endpoint="/sns/jscode2session", errcode="45011",
                **{"match.appid": wx_app["appid"]}, latency_ms='{"min": 10, "max": 20}', times="2") \
        == ("notice", "fault rule f1 added")
    rule = client.get("/__mock__/faults").get_json()["faults"][0]
    assert (rule["errcode"], rule["match"], rule["latency_ms"], rule["times"]) == \
        (45011, {"appid": wx_app["appid"]}, {"min": 10, "max": 20}, 2)
    assert post(client, "/__mock__/dashboard/faults", endpoint="/cgi-bin/token", errcode="40013", errmsg="123")[1] \
        == "fault rule f2 added"  # an errmsg is text as typed, even one that reads as a number
    assert client.get("/__mock__/faults").get_json()["faults"][1]["errmsg"] == "123"
    client.delete("/__mock__/faults/f2")
    assert post(client, "/__mock__/dashboard/faults", endpoint="/sns/jscode2session", drop="true")[1] == \
        "fault rule f3 added"
    assert client.get("/__mock__/faults").get_json()["faults"][1]["action"] == "drop"
    assert post(client, "/__mock__/dashboard/faults/f1/delete") == ("notice", "fault rule f1 removed")
    assert [r["id"] for r in client.get("/__mock__/faults").get_json()["faults"]] == ["f3"]


def test_add_and_remove_a_stub(client, wx_app, alias):
    assert post(client, "/__mock__/dashboard/stubs", endpoint="jscode2session", **{"match.user": alias},
                body='{"openid": "{{openid}}", "session_key": "from-the-dashboard"}') == ("notice", "stub s1 added")
    answer = client.get("/sns/jscode2session", query_string={
        "appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": mint(client, wx_app["appid"], alias)["code"]})
    assert answer.get_json()["session_key"] == "from-the-dashboard"
    assert post(client, "/__mock__/dashboard/stubs/s1/delete") == ("notice", "stub s1 removed")
    assert client.get("/__mock__/stubs").get_json() == {"stubs": []}


def test_reset_clock_and_journal_forms(client, rt):
    client.post("/__mock__/users", json={"alias": "temporary"})
    assert post(client, "/__mock__/dashboard/reset") == ("notice", "reset to the fixture state")
    assert client.get("/__mock__/users/temporary").status_code == 404

    before = rt.clock.now()
    kind, notice = post(client, "/__mock__/dashboard/clock", seconds="7200")
    assert rt.clock.now() - before >= 7200 and notice.startswith("clock advanced by 7200 s")
    client.get("/cgi-bin/token")
    assert post(client, "/__mock__/dashboard/requests/clear") == ("notice", "journal cleared (1 requests)")


def test_the_page_shows_only_the_notices_its_own_forms_wrote(client):
    """A link from elsewhere cannot make the page say what it likes: notices are signed."""
    response = client.post("/__mock__/dashboard/reset", data={"csrf": token(client)})
    written = response.headers["Location"]
    assert "reset to the fixture state" in page(client, written)
    for forged in ("/__mock__/?notice=Your+mock+is+compromised", "/__mock__/?error=run+this",
                   written.replace("reset+to", "wiped+by")):
        html = page(client, forged)
        assert 'id="notice"' not in html and 'id="error"' not in html and "compromised" not in html


@pytest.mark.parametrize("url, data, message", [
    ("/__mock__/dashboard/wechat-users/mint", {"choice": "wx0000000000000000", "key": "x"}, "no mini-program app"),
    ("/__mock__/dashboard/wechat-users/block", {"key": "nobody"}, "no WeChat user"),
    ("/__mock__/dashboard/wechat-users/create", {"nickname": "no alias"}, "give the new user an alias"),
    ("/__mock__/dashboard/authing-users/block", {"key": "nobody"}, "no Authing user"),
    ("/__mock__/dashboard/nowhere/at-all", {}, "the dashboard has no form nowhere/at-all"),
    ("/__mock__/dashboard/clock", {"seconds": "soon"}, "give the seconds"),
    ("/__mock__/dashboard/faults/f9/delete", {}, "no fault rule 'f9'"),
    ("/__mock__/dashboard/stubs/s9/delete", {}, "no stub 's9'"),
    ("/__mock__/dashboard/faults", {"endpoint": "/sns/jscode2session", "errcode": "zero"},
     "'errcode' must be a non-zero integer"),
    ("/__mock__/dashboard/stubs", {"endpoint": "/sns/jscode2session", "body": "not json"},
     "a WeChat answer is a JSON object"),
    ("/__mock__/dashboard/faults", {"endpoint": "/sns/jscode2session", "errcode": "[" * 3000 + "]" * 3000},
     "'errcode' must be a non-zero integer"),  # read as JSON within the API's bounds: too deep, kept as text
    ("/__mock__/dashboard/stubs", {"endpoint": "/sns/jscode2session", "body": '{"x": NaN}'},
     "a WeChat answer is a JSON object"),
])
def test_form_mistakes_come_back_as_a_message_on_the_page(client, url, data, message):
    kind, shown = post(client, url, **data)
    assert kind == "error" and message in shown


@pytest.mark.parametrize("url", ["/__mock__/dashboard/reset", "/__mock__/dashboard/wechat-users/delete",
                                 "/__mock__/dashboard/faults", "/__mock__/dashboard/clock"])
@pytest.mark.parametrize("sent", [None, "0" * 64])
def test_a_form_without_this_servers_token_is_refused_and_changes_nothing(client, rt, alias, url, sent):
    users = len(rt.wechat.users())
    now = rt.clock.now()
    data = {"key": alias, "endpoint": "/cgi-bin/token", "errcode": "-1", "seconds": "86400",
            **({"csrf": sent} if sent else {})}
    response = client.post(url, data=data)
    assert (response.status_code, response.get_json()) == (403, {
        "error": "this form did not come from this mock's dashboard (its token is missing or stale): "
                 "reload /__mock__/ and submit it again"})
    assert len(rt.wechat.users()) == users and rt.clock.now() - now < 3600
    assert client.get("/__mock__/faults").get_json() == {"faults": []}


def test_forms_work_behind_the_admin_token_and_the_token_is_the_servers_own():
    client = create_app(Config(admin_token="s3cret")).test_client()
    html = unescape(client.get("/__mock__/?admin_token=s3cret").get_data(as_text=True))  # sets the cookie
    form_token = re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1)
    response = client.post("/__mock__/dashboard/wechat-users/create", data={"csrf": form_token, "alias": "admin-made"})
    assert response.status_code == 303 and client.get("/__mock__/users/admin-made").status_code == 200
    other = create_app(Config(admin_token="s3cret")).test_client()
    other.get("/__mock__/?admin_token=s3cret")
    refused = other.post("/__mock__/dashboard/wechat-users/create", data={"csrf": form_token, "alias": "x"})
    assert refused.status_code == 403  # another server's token


def test_the_favicon_is_answered_and_not_journaled(client):
    client.delete("/__mock__/requests")
    for path in ("/favicon.ico", "/__mock__/favicon.svg"):
        icon = client.get(path)
        assert (icon.status_code, icon.mimetype) == (200, "image/svg+xml") and icon.data.startswith(b"<svg")
    page(client)
    client.get("/cgi-bin/token")
    journal = client.get("/__mock__/requests").get_json()
    assert [entry["path"] for entry in journal["requests"]] == ["/cgi-bin/token"]


def test_the_state_can_be_downloaded_from_the_page(client):
    link = re.search(r'<a href="([^"]+)" download="mockserver-state.json" id="download-state">', page(client))
    assert link and client.get("/__mock__/" + link.group(1)).get_json()["state"]["entries"]["wx.users"]


def test_no_other_site_may_frame_the_dashboard(client):
    for response in (client.get("/__mock__/"),
                     client.post("/__mock__/dashboard/clock", data={"csrf": token(client), "seconds": "1"})):
        assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
        assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("offset", ["²", "-1", "9" * 12, "x", "100000"])
def test_any_page_offset_gives_a_page(client, offset):
    html = page(client, f"/__mock__/?wechat-users-offset={offset}")
    assert 'id="wechat-users"' in html


def test_servers_sharing_a_store_accept_each_others_forms(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = (create_app(Config(state=url)).test_client() for _ in range(2))
    form_token = token(first)
    assert token(second) == form_token
    response = second.post("/__mock__/dashboard/wechat-users/create", data={"csrf": form_token, "alias": "shared"})
    assert response.status_code == 303 and first.get("/__mock__/users/shared").status_code == 200
