"""Faults on Authing routes: answered in each route's own error format, and as the real npm
authing-wxapp-sdk sees them (Node harness tests/js/wxapp_sdk_faults.js)."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from support import mint
from support import JS_DIR

AUTH = "/connections/social/wechat-miniprogram/auth"


def add(client, **rule):
    response = client.post("/__mock__/faults", json=rule)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def caller(rt):
    app = rt.authing.apps()[0]
    return {"x-authing-userpool-id": app["userPoolId"], "x-authing-app-id": app["id"]}


def test_v2_rest_fault_then_the_same_code_logs_in(client, rt, wx_app, alias, caller):
    add(client, endpoint=AUTH, authing={"code": 2001, "message": "验证码错误"}, times=1)
    code = mint(client, wx_app["appid"], alias)["code"]
    assert client.post(AUTH, json={"code": code}, headers=caller).get_json() == {
        "code": 2001, "message": "验证码错误", "data": None}
    assert rt.authing.users() == []  # the faulted login created nobody
    answer = client.post(AUTH, json={"code": code}, headers=caller).get_json()
    assert answer["code"] == 200 and answer["data"]["token"]


def test_graphql_and_v3_faults_use_their_own_formats(client, caller):
    add(client, endpoint="/graphql/v2", authing={"code": 2020, "message": "尚未登录"})
    add(client, endpoint="/api/v3/get-profile", authing={"code": 2020, "message": "尚未登录"})
    graph = client.post("/graphql/v2", json={"query": "query user { user { id } }", "variables": {}}, headers=caller)
    assert graph.status_code == 200
    assert graph.get_json()["errors"][0]["message"] == {"code": 2020, "message": "尚未登录", "data": None}
    v3 = client.get("/api/v3/get-profile", headers=caller).get_json()
    assert v3["statusCode"] == 401 and v3["apiCode"] == 2020 and v3["message"] == "尚未登录"


def test_authing_faults_match_the_wechat_user_of_a_login_code(client, rt, wx_app, caller):
    first, second = (user["alias"] for user in rt.wechat.users()[:2])
    add(client, endpoint=AUTH, authing={"code": 2005, "message": "用户已被锁定"}, match={"user": second})
    ok = client.post(AUTH, json={"code": mint(client, wx_app["appid"], first)["code"]}, headers=caller).get_json()
    locked = client.post(AUTH, json={"code": mint(client, wx_app["appid"], second)["code"]}, headers=caller).get_json()
    assert ok["code"] == 200 and locked["code"] == 2005


def test_wxapp_sdk_sees_each_fault_kind(node, live, rt, client, wx_app, alias):  # noqa: F811
    add(client, endpoint=AUTH, authing={"code": 2001, "message": "验证码错误"}, times=1)
    add(client, endpoint=AUTH, malformed=True, times=1)
    add(client, endpoint=AUTH, drop=True, times=1)
    add(client, endpoint=AUTH, latency_ms=300, times=1)
    add(client, endpoint="/graphql/v2", authing={"code": 2020, "message": "尚未登录"}, times=1)
    app = rt.authing.apps()[0]
    config = {"server": live.url, "appId": app["id"], "userPoolId": app["userPoolId"], "wxAppid": wx_app["appid"],
              "user": alias, "loginSteps": ["authingError", "malformed", "dropped", "slowButFine", "again"],
              "profileSteps": ["graphqlError", "profileOk"]}
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    done = subprocess.run([node, "wxapp_sdk_faults.js", json.dumps(config)], cwd=JS_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)

    assert report["authingError"] == {"thrown": {"code": 2001, "message": "验证码错误", "data": None}, "token": None}
    # A body that is not JSON fails the SDK's call; a dropped connection reaches it as "aborted".
    assert "thrown" in report["malformed"] and report["malformed"]["token"] is None
    assert report["dropped"] == {"thrown": {"error": "aborted"}, "token": None}
    # Latency alone: the login goes through, with the code no faulted attempt used up.
    assert report["slowButFine"]["result"]["token"] == report["slowButFine"]["token"]
    assert report["again"]["thrown"]["code"] != 200  # now the code really is used
    assert report["graphqlError"]["thrown"] == {"code": 2020, "message": "尚未登录", "data": None}
    assert report["profileOk"]["result"]["nickname"] == "profileOk"

    journal = client.get("/__mock__/requests", query_string={"path": AUTH}).get_json()["requests"]
    assert [entry["fault"] for entry in journal] == ["f1", "f2", "f3", "f4", None]
    assert journal[3]["latency_ms"] >= 300
