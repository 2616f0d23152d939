"""errmsgs as each of WeChat's path families writes them: the separator before the rid, and the
newer texts some families send."""
from __future__ import annotations

import re

from support import RID


def test_sns_errmsgs_put_a_comma_before_the_rid(client):
    body = client.get("/sns/jscode2session").get_json()
    assert body["errcode"] == 41002
    assert re.fullmatch(f"appid missing, rid: {RID}", body["errmsg"]), body


def test_cgi_bin_errmsgs_put_a_plain_space_before_the_rid(client):
    body = client.get("/cgi-bin/token", query_string={"grant_type": "client_credential", "appid": "wx" + "0" * 16,
                                                      "secret": "0" * 32}).get_json()
    assert body["errcode"] == 40013
    assert re.fullmatch(f"invalid appid rid: {RID}", body["errmsg"]), body


def test_wxa_errmsgs_put_a_plain_space_before_the_rid(client):
    body = client.post("/wxa/msg_sec_check", json={"content": "hi"}).get_json()
    assert body["errcode"] == 41001
    assert re.fullmatch(f"access_token missing rid: {RID}", body["errmsg"]), body


def test_cgi_bin_40001_points_at_the_stable_token(client):
    body = client.post("/cgi-bin/message/subscribe/send?access_token=" + "A" * 40, json={}).get_json()
    assert body["errcode"] == 40001
    assert re.fullmatch("invalid credential, access_token is invalid or not latest, could get access_token by "
                        f"getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r rid: {RID}",
                        body["errmsg"]), body


def test_wxa_40001_keeps_the_short_text(client):
    body = client.post("/wxa/msg_sec_check?access_token=" + "A" * 40, json={}).get_json()
    assert body["errcode"] == 40001
    assert re.fullmatch(f"invalid credential, access_token is invalid or not latest rid: {RID}", body["errmsg"]), body


def test_a_fault_rules_own_errmsg_is_kept_with_its_familys_separator(client):
    assert client.post("/__mock__/faults", json={"endpoint": "/cgi-bin/token", "errcode": 40001,
                                                 "errmsg": "my text"}).status_code == 201
    body = client.get("/cgi-bin/token").get_json()
    assert body["errcode"] == 40001 and re.fullmatch(f"my text rid: {RID}", body["errmsg"]), body
