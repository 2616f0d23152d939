"""The dashboard page and its forms, through Flask's test client (the browser test is separate)."""
from __future__ import annotations

import re
from html import unescape

from support import mint


def page(client, url="/__mock__/"):
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/html"
    return unescape(response.get_data(as_text=True))


def test_page_shows_apps_users_codes_tokens_requests_and_faults(client, rt, wx_app, alias):
    code = mint(client, wx_app["appid"], alias)["code"]
    token = client.get("/cgi-bin/token", query_string={
        "grant_type": "client_credential", "appid": wx_app["appid"], "secret": wx_app["secret"]}).get_json()["access_token"]
    client.post("/__mock__/faults", json={"endpoint": "/sns/jscode2session", "errcode": 45011, "times": 2})
    html = page(client)

    assert wx_app["appid"] in html and wx_app["secret"] in html
    authing_app = rt.authing.apps()[0]
    assert authing_app["id"] in html and authing_app["secret"] in html
    for user in rt.wechat.users():
        assert f'data-user="{user["alias"]}"' in html and user["nickname"] in html
    assert code in html and token in html
    assert "GET /cgi-bin/token" in html
    assert "/sns/jscode2session" in html and "45011" in html and "0 / 2" in html
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'(src|href|action)="(https?:)?//', html)  # nothing loaded from elsewhere


def test_used_and_expired_codes_leave_the_page(client, rt, wx_app, alias):
    used = mint(client, wx_app["appid"], alias)["code"]
    client.get("/sns/jscode2session", query_string={"appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": used})
    expired = mint(client, wx_app["appid"], alias)["code"]
    rt.clock.advance(301)
    fresh = mint(client, wx_app["appid"], alias)["code"]
    html = page(client)
    live_codes = html[html.index('id="codes"'):html.index('id="tokens"')]
    assert fresh in live_codes and used not in live_codes and expired not in live_codes


def test_mint_code_form_shows_a_code_that_logs_the_user_in(client, wx_app, alias):
    response = client.post("/__mock__/dashboard/login-code", data={"appid": wx_app["appid"], "user": alias})
    assert response.status_code == 303
    html = page(client, response.headers["Location"])
    code = re.search(r'<code id="minted-code">([^<]+)</code>', html).group(1)
    assert re.search(r'<strong id="minted-user">([^<]+)</strong>', html).group(1) == alias
    session = client.get("/sns/jscode2session", query_string={
        "appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": code}).get_json()
    assert session["openid"] == client.get(f"/__mock__/users/{alias}").get_json()["apps"][wx_app["appid"]]["openid"]


def test_forms_advance_the_clock_remove_faults_and_clear_the_journal(client, rt, wx_app):
    before = rt.clock.now()
    response = client.post("/__mock__/dashboard/clock", data={"seconds": "7200"})
    assert response.status_code == 303 and rt.clock.now() - before >= 7200
    assert "clock advanced by 7200 s" in page(client, response.headers["Location"])

    rule = client.post("/__mock__/faults", json={"endpoint": "/cgi-bin/token", "errcode": -1}).get_json()
    response = client.post(f"/__mock__/dashboard/faults/{rule['id']}/delete")
    assert client.get("/__mock__/faults").get_json() == {"faults": []}
    assert f"fault rule {rule['id']} removed" in page(client, response.headers["Location"])

    client.get("/cgi-bin/token")
    response = client.post("/__mock__/dashboard/requests/clear")
    assert "journal cleared (1 requests)" in page(client, response.headers["Location"])


def test_form_mistakes_come_back_as_a_message_on_the_page(client, wx_app):
    for url, data, message in [
        ("/__mock__/dashboard/login-code", {"appid": "wx0000000000000000", "user": "x"}, "no mini-program app"),
        ("/__mock__/dashboard/login-code", {"appid": wx_app["appid"], "user": "nobody"}, "no WeChat user"),
        ("/__mock__/dashboard/clock", {"seconds": "soon"}, "give the seconds"),
        ("/__mock__/dashboard/faults/f9/delete", {}, "no fault rule 'f9'"),
    ]:
        response = client.post(url, data=data)
        assert response.status_code == 303
        assert message in page(client, response.headers["Location"])


def test_no_other_site_may_frame_the_dashboard(client, wx_app):
    for response in (client.get("/__mock__/"),
                     client.post("/__mock__/dashboard/clock", data={"seconds": "1"})):
        assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
        assert response.headers["X-Frame-Options"] == "DENY"
