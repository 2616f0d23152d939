"""The control plane's own contract: apps, users CRUD, health."""
from __future__ import annotations

import re


def test_apps_lists_mini_programs_and_authing_pools_apps_connections(client):
    apps = client.get("/__mock__/apps").get_json()
    mini = apps["wechat"][0]
    assert re.match(r"^wx[0-9a-f]{16}$", mini["appid"]) and re.match(r"^[0-9a-f]{32}$", mini["secret"])
    authing = apps["authing"]
    pool, app, conn = authing["userPools"][0], authing["apps"][0], authing["connections"][0]
    assert re.match(r"^[0-9a-f]{24}$", app["appId"]) and app["userPoolId"] == pool["id"]
    assert re.match(r"^[0-9a-f]{32}$", app["secret"])
    assert conn["extIdpConnidentifier"] and conn["appid"] == mini["appid"]


def test_user_crud(client, wx_app):
    created = client.post("/__mock__/users", json={"alias": "alice", "nickname": "爱丽丝"})
    assert created.status_code == 201
    body = created.get_json()
    openid = body["apps"][wx_app["appid"]]["openid"]
    assert body["nickname"] == "爱丽丝" and body["phone"]  # missing fields made up by Faker
    assert client.post("/__mock__/users", json={"alias": "alice"}).status_code == 409
    assert client.get(f"/__mock__/users/{openid}").get_json()["alias"] == "alice"
    patched = client.patch("/__mock__/users/alice", json={"city": "杭州"}).get_json()
    assert patched["city"] == "杭州" and patched["nickname"] == "爱丽丝"
    assert client.patch("/__mock__/users/alice", json={"alias": "bob"}).status_code == 400
    assert client.delete(f"/__mock__/users/{openid}").get_json() == {"deleted": "alice"}
    assert client.get("/__mock__/users/alice").status_code == 404
    assert client.get(f"/__mock__/users/{openid}").status_code == 404


def test_a_user_pinning_a_taken_openid_is_refused_whole(client, wx_app, alias):
    taken = client.get(f"/__mock__/users/{alias}").get_json()["apps"][wx_app["appid"]]["openid"]
    refused = client.post("/__mock__/users", json={"alias": "copycat", "openids": {wx_app["appid"]: taken}})
    assert refused.status_code == 409 and refused.get_json()["error"] == f"openid {taken} already belongs to another user"
    assert client.get("/__mock__/users/copycat").status_code == 404  # nothing of it was written
    assert client.get(f"/__mock__/users/{taken}").get_json()["alias"] == alias


def test_two_creations_of_one_alias_make_one_user(rt, wx_app):
    """The repository refuses a taken alias atomically (the control plane's early check can race)."""
    user = {"alias": "twin", "nickname": "双"}
    openids = rt.wechat.directory.identities.openid_entries(user, [wx_app])
    assert rt.wechat.repo.add_user(user, openids) is None
    assert rt.wechat.repo.add_user({**user, "nickname": "二"}, openids) == "alias"
    assert rt.wechat.user("twin")["nickname"] == "双"


def test_health(client):
    assert client.get("/__mock__/health").get_json() == {"status": "ok", "backend": "memory"}
