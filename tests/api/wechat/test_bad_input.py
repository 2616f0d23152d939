"""Bad input never gives a 500 or HTML: it gets the service's own error and changes no state."""
from __future__ import annotations

import json

import pytest

from support import mint, rid_ending
from mockserver.wechat.routes import ROUTES


def snapshot(rt):
    return rt.wechat.repo.snapshot()


BAD_BODIES = [b"", b"not json", b"[1,2,3]", b"{\"code\": [1]}", b"\xff\xfe\x00garbage", b"null",
              json.dumps({"scene": {"a": 1}, "touser": 5, "data": "x", "content": 7}).encode()]


@pytest.mark.parametrize("path", sorted(ROUTES))
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
@pytest.mark.parametrize("body", BAD_BODIES)
def test_wechat_routes_answer_garbage_with_errcodes(client, rt, path, method, body):
    before = snapshot(rt)
    answer = client.open(f"{path}?access_token=%00%ff&appid[]=1&js_code=", method=method, data=body)
    assert answer.status_code == 200
    assert answer.content_type.startswith("application/json")
    payload = answer.get_json()
    assert isinstance(payload["errcode"], int) and payload["errcode"] != 0
    assert rid_ending(path).search(payload["errmsg"]), payload
    assert snapshot(rt) == before


def test_wrong_method_gets_require_method_errors(client):
    assert client.post("/wxa/getpaidunionid").get_json()["errcode"] == 43001
    assert client.get("/wxa/msg_sec_check").get_json()["errcode"] == 43002


def test_unknown_wechat_path(client):
    answer = client.get("/cgi-bin/no/such/api")
    assert answer.status_code == 200 and answer.get_json()["errcode"] == 40066


def test_huge_body_is_a_format_error_not_a_crash(client, wx_app):
    answer = client.post("/cgi-bin/stable_token", data=b"{" + b" " * (11 * 1024 * 1024) + b"}")
    assert answer.get_json()["errcode"] == 47001


def test_token_protected_route_with_valid_token_and_bad_body(client, rt, wx_app):
    token = client.get("/cgi-bin/token", query_string={"grant_type": "client_credential", **{
        k: wx_app[k] for k in ("appid", "secret")}}).get_json()["access_token"]
    before = snapshot(rt)
    for path in ("/wxa/business/getuserphonenumber", "/wxa/msg_sec_check", "/cgi-bin/message/subscribe/send",
                 "/wxa/getwxacodeunlimit", "/cgi-bin/stable_token"):
        for body in BAD_BODIES:
            payload = client.post(f"{path}?access_token={token}", data=body).get_json()
            assert payload["errcode"] not in (0, None), (path, body, payload)
    assert snapshot(rt) == before


CONTROL_CALLS = [
    ("POST", "/__mock__/wechat/login"), ("POST", "/__mock__/wechat/phone-code"),
    ("POST", "/__mock__/wechat/encrypted-data"), ("POST", "/__mock__/users"),
    ("PATCH", "/__mock__/users/yuna"), ("POST", "/__mock__/apps"), ("POST", "/__mock__/clock"),
    ("GET", "/__mock__/users/nobody"), ("DELETE", "/__mock__/users/nobody"),
]
CONTROL_BODIES = [b"not json", b"[1]", json.dumps({"appid": 5, "user": ["x"], "kind": "other", "alias": 3,
                                                    "gender": "m", "advance": "soon", "secret": "short"}).encode(),
                  json.dumps({"appid": "wx0000000000000000", "user": "nobody", "nickname": 5}).encode()]


@pytest.mark.parametrize("method, path", CONTROL_CALLS)
@pytest.mark.parametrize("body", CONTROL_BODIES)
def test_control_plane_rejects_bad_input_with_json_4xx(client, rt, method, path, body):
    before = snapshot(rt)
    clock_before = rt.clock.offset
    answer = client.open(path, method=method, data=body)
    assert 400 <= answer.status_code < 500
    assert isinstance(answer.get_json()["error"], str)
    assert snapshot(rt) == before
    assert abs(rt.clock.offset - clock_before) < 1


def test_phone_code_for_user_without_phone_is_a_conflict(client, wx_app):
    client.post("/__mock__/users", json={"alias": "nophone", "phone": ""})
    answer = client.post("/__mock__/wechat/phone-code", json={"appid": wx_app["appid"], "user": "nophone"})
    assert answer.status_code == 409


def test_deleted_users_code_fails_cleanly(client, wx_app, alias):
    code = mint(client, wx_app["appid"], alias)["code"]
    client.delete(f"/__mock__/users/{alias}")
    answer = client.get("/sns/jscode2session", query_string={
        "appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": code}).get_json()
    assert answer["errcode"] == 40029


@pytest.mark.parametrize("fields", [{"open_platform": 5}, {"open_platform": ""}, {"pages": [1, 2]},
                                    {"subscribe_templates": "tmpl"}, {"name": ["x"]}, {"login_minute_quota": True}])
def test_bad_app_fields_are_refused_and_break_nothing(client, rt, fields):
    before = snapshot(rt)
    answer = client.post("/__mock__/apps", json=fields)
    assert answer.status_code == 400 and answer.get_json()["error"]
    assert snapshot(rt) == before
    assert client.get("/__mock__/users").status_code == 200


@pytest.mark.parametrize("fields", [{"openids": {"wx7bcfa6ed0b1e34bd": 5}}, {"unionids": {"p": "bad id!"}},
                                    {"gender": True}, {"gender": "1"}])
def test_bad_user_fields_are_refused(client, rt, fields):
    before = snapshot(rt)
    answer = client.post("/__mock__/users", json={"alias": "zz1", **fields})
    assert answer.status_code == 400, answer.get_json()
    assert snapshot(rt) == before


def test_a_pinned_openid_cannot_take_another_users(client, rt, wx_app, alias):
    theirs = client.get(f"/__mock__/users/{alias}").get_json()["apps"][wx_app["appid"]]["openid"]
    before = snapshot(rt)
    answer = client.post("/__mock__/users", json={"alias": "thief", "openids": {wx_app["appid"]: theirs}})
    assert answer.status_code == 409
    assert snapshot(rt) == before
    assert client.get(f"/__mock__/users/{theirs}").get_json()["alias"] == alias


def test_a_rejected_user_creation_does_not_move_the_random_source(wx_app):
    from mockserver import Config, create_app

    def first_code(bad_request_first):
        client = create_app(Config(seed=11)).test_client()
        if bad_request_first:
            assert client.post("/__mock__/users", json={"gender": 9}).status_code == 400
            assert client.post("/__mock__/users", json={"alias": "yuna"}).status_code == 409
        return client.post("/__mock__/wechat/login", json={"appid": wx_app["appid"]}).get_json()

    assert first_code(True) == first_code(False)


@pytest.mark.parametrize("body", [{"advance": float("inf")}, {"advance": 1e300}, {"set": 1e20}, {"set": -5},
                                  {"advance": True}, {"advance": 1, "set": 2}, {}])
def test_clock_refuses_what_would_break_it(client, rt, body):
    before = rt.clock.now()
    answer = client.post("/__mock__/clock", data=json.dumps(body))
    assert answer.status_code == 400
    assert abs(rt.clock.now() - before) < 2
    assert client.get("/sns/jscode2session").get_json()["errcode"] == 41002  # errors still render


def test_clock_refuses_nan_infinity_in_raw_json(client, rt):
    for raw in ('{"advance": Infinity}', '{"advance": NaN}', '{"set": -Infinity}'):
        assert client.post("/__mock__/clock", data=raw).status_code == 400
    assert client.get("/sns/jscode2session").status_code == 200


def test_blocked_users_spent_code_still_says_spent(client, wx_app, alias):
    code = mint(client, wx_app["appid"], alias)["code"]
    query = {"appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": code}
    assert "openid" in client.get("/sns/jscode2session", query_string=query).get_json()
    client.patch(f"/__mock__/users/{alias}", json={"blocked": True})
    assert client.get("/sns/jscode2session", query_string=query).get_json()["errcode"] == 40163


def test_empty_access_token_on_a_post_route_is_missing(client):
    answer = client.post("/wxa/msg_sec_check?access_token=", json={"content": "x"}).get_json()
    assert answer["errcode"] == 41001


def test_a_qr_code_path_with_a_lone_surrogate_is_drawn(client, token):
    """Read as U+FFFD (see tests/api/control/test_hostile_bodies.py): a code is drawn, not errcode -1."""
    answer = client.post(f"/wxa/getwxacode?access_token={token}", data=b'{"path": "pages/a?q=\\ud800"}',
                         content_type="application/json")
    assert answer.status_code == 200 and answer.content_type == "image/jpeg"
