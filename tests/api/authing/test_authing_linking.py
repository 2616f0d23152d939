"""How logins find, make and link Authing users: concurrent first logins make exactly one user, and a
request that is refused leaves no trace (no user, no claimed phone, username or WeChat link)."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import requests

from support import authing_login, graphql, mint
from mockserver import Config, MockServer, create_app


AUTH = "/connections/social/wechat-miniprogram/auth"
UPDATE = "mutation updateUser($input: UpdateUserInput!) { updateUser(input: $input) { id username } }"


def slow_user_writes(rt, monkeypatch, seconds=0.05):
    """Widen the window between finding no user for a link and creating one (a busy server)."""
    add_user = rt.authing.repo.add_user

    def slow_add_user(*args):
        time.sleep(seconds)
        return add_user(*args)
    monkeypatch.setattr(rt.authing.repo, "add_user", slow_add_user)


def login_all_at_once(url, logins):
    """POST every (app id, code) login at the same moment; the answers, in order."""
    barrier, answers = threading.Barrier(len(logins)), [None] * len(logins)

    def run(i, app_id, code):
        barrier.wait()
        response = requests.post(url + AUTH, json={"code": code}, headers={"x-authing-app-id": app_id}, timeout=30)
        answers[i] = (response.status_code, response.json())
    threads = [threading.Thread(target=run, args=(i, *login)) for i, login in enumerate(logins)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_sixteen_concurrent_first_logins_of_one_wechat_user_make_one_user(live, client, rt, wx_app, alias,
                                                                          monkeypatch):
    app = rt.authing.apps()[0]
    codes = [mint(client, wx_app["appid"], alias)["code"] for _ in range(16)]
    slow_user_writes(rt, monkeypatch)
    answers = login_all_at_once(live.url, [(app["id"], code) for code in codes])
    assert all(status == 200 and body["code"] == 200 for status, body in answers), answers
    assert len({body["data"]["id"] for _, body in answers}) == 1
    users = rt.authing.users()
    assert len(users) == 1 and users[0]["loginsCount"] == 16
    assert {holder for _, holder in rt.authing.repo.links()} == {users[0]["id"]}


@pytest.fixture
def two_mini_programs(tmp_path):
    """Two mini programs of one Open Platform account (one unionid per person) in one user pool."""
    source = Path(create_app(Config()).extensions["mockserver"].fixture_source)
    fixture = json.loads(source.read_text(encoding="utf-8"))
    first = fixture["wechat"]["apps"][0]
    second = {**first, "appid": "wx" + "0123456789abcdef", "secret": "0" * 32, "name": "第二个小程序"}
    fixture["wechat"]["apps"].append(second)
    pool = fixture["authing"]["user_pools"][0]
    pool["connections"].append({"identifier": "second-miniprogram", "appid": second["appid"]})
    pool["apps"].append({"id": "a" * 24, "secret": "b" * 32, "name": "第二个应用", "connection": "second-miniprogram"})
    path = tmp_path / "two.json"
    path.write_text(json.dumps(fixture, ensure_ascii=False), encoding="utf-8")
    app = create_app(Config(fixtures=str(path)))
    with MockServer(app=app, threads=16) as server:
        yield app, server


def test_first_logins_through_two_mini_programs_sharing_a_unionid_make_one_user(two_mini_programs, monkeypatch):
    app, server = two_mini_programs
    rt, client = app.extensions["mockserver"], app.test_client()
    alias = rt.wechat.users()[0]["alias"]
    (one, two), (app_one, app_two) = rt.wechat.apps(), rt.authing.apps()
    logins = []
    for _ in range(4):
        logins += [(app_one["id"], mint(client, one["appid"], alias)["code"]),
                   (app_two["id"], mint(client, two["appid"], alias)["code"])]
    slow_user_writes(rt, monkeypatch)
    answers = login_all_at_once(server.url, logins)
    assert all(body["code"] == 200 for _, body in answers), answers
    users = rt.authing.users()
    assert len(users) == 1, [u["identities"] for u in users]
    # Both identities are recorded, whatever order the logins were saved in.
    assert {i["connectionId"] for i in users[0]["identities"]} == {c["id"] for c in rt.authing.connections()}


def login(client, rt, alias):
    return authing_login(client, alias, rt.authing.apps()[0]["id"], rt.wechat.apps()[0]["appid"])


def gql(client, rt, token, query, variables):
    return graphql(client, rt.authing.apps()[0]["id"], token, query, variables)


def test_a_cleared_username_can_be_taken_by_another_user(client, rt):
    first, second = (u["alias"] for u in rt.wechat.users()[:2])
    a, b = login(client, rt, first), login(client, rt, second)
    assert gql(client, rt, a["token"], UPDATE, {"input": {"username": "alice"}})["data"]["updateUser"]["username"] == "alice"
    assert gql(client, rt, b["token"], UPDATE, {"input": {"username": "alice"}})["errors"][0]["message"]["code"] == 2034
    assert gql(client, rt, a["token"], UPDATE, {"input": {"username": ""}})["data"]["updateUser"]["username"] == ""
    assert gql(client, rt, b["token"], UPDATE, {"input": {"username": "alice"}})["data"]["updateUser"]["username"] == "alice"


def test_a_rename_whose_save_fails_keeps_no_claim(client, rt, monkeypatch):
    from mockserver.authing.errors import AuthingError

    first, second = (u["alias"] for u in rt.wechat.users()[:2])
    a, b = login(client, rt, first), login(client, rt, second)

    def failing_save(*_args, **_kwargs):
        raise AuthingError(1000, "系统繁忙")
    with monkeypatch.context() as patched:
        patched.setattr(rt.authing.directory, "save", failing_save)
        before = rt.authing.repo.links()
        assert gql(client, rt, a["token"], UPDATE, {"input": {"username": "bob"}})["errors"][0]["message"]["code"] == 1000
        assert rt.authing.repo.links() == before
    assert gql(client, rt, b["token"], UPDATE, {"input": {"username": "bob"}})["data"]["updateUser"]["username"] == "bob"


def test_a_refused_phone_login_claims_nothing(client, rt, wx_app):
    """A blocked user's phone login is refused before the phone (or anything else) is linked."""
    alias = rt.wechat.users()[0]["alias"]
    user = login(client, rt, alias)
    assert client.patch(f"/__mock__/authing/users/{user['id']}", json={"blocked": True}).status_code == 200
    state = rt.authing.repo.snapshot()
    code = mint(client, wx_app["appid"], alias)["code"]
    sealed = client.post("/__mock__/wechat/encrypted-data",
                         json={"appid": wx_app["appid"], "user": alias, "kind": "phoneNumber"}).get_json()
    answer = client.post("/connections/social/wechat-miniprogram/auth-by-phone", headers={
        "x-authing-app-id": rt.authing.apps()[0]["id"]}, json={
        "code": code, "iv": sealed["iv"], "encryptedData": sealed["encryptedData"]}).get_json()
    assert answer["code"] == 2005, answer
    assert rt.authing.repo.snapshot() == state


def test_the_control_plane_blocks_and_unblocks_a_user(client, rt, wx_app):
    """``PATCH /__mock__/authing/users/<id> {"blocked": true}``: logins and token calls answer 2005."""
    alias = rt.wechat.users()[0]["alias"]
    user = login(client, rt, alias)
    app = rt.authing.apps()[0]
    h = {"x-authing-app-id": app["id"], "Authorization": "Bearer " + user["token"]}
    blocked = client.patch(f"/__mock__/authing/users/{user['id']}", json={"blocked": True})
    assert blocked.status_code == 200 and blocked.get_json()["blocked"] is True
    code = mint(client, wx_app["appid"], alias)["code"]
    assert client.post(AUTH, json={"code": code}, headers={"x-authing-app-id": app["id"]}).get_json()["code"] == 2005
    assert client.get("/api/v2/users/me", headers=h).get_json()["code"] == 2005
    assert gql(client, rt, user["token"], UPDATE, {"input": {"nickname": "x"}})["errors"][0]["message"]["code"] == 2005
    assert client.get("/api/v3/get-profile", headers=h).get_json()["apiCode"] == 2005
    assert rt.authing.user_record(user["id"])["loginsCount"] == 1
    assert client.patch(f"/__mock__/authing/users/{user['id']}", json={"blocked": False}).status_code == 200
    assert client.get("/api/v2/users/me", headers=h).get_json()["code"] == 200
    code = mint(client, wx_app["appid"], alias)["code"]
    assert client.post(AUTH, json={"code": code}, headers={"x-authing-app-id": app["id"]}).get_json()["code"] == 200


@pytest.mark.parametrize("body", [{"blocked": "yes"}, {"nickname": "x"}, {"isDeleted": True}])
def test_the_control_plane_changes_only_blocked(client, rt, body):
    user = login(client, rt, rt.wechat.users()[0]["alias"])
    answer = client.patch(f"/__mock__/authing/users/{user['id']}", json=body)
    assert answer.status_code == 400 and "error" in answer.get_json()
    assert client.patch("/__mock__/authing/users/" + "0" * 24, json={"blocked": True}).status_code == 404


def test_a_new_persons_code_login_racing_a_code_and_phone_login_makes_one_user(live, client, rt, wx_app,
                                                                                monkeypatch):
    """Each first login finds no user, then makes one: the code login's holds the WeChat identity,
    the phone login's holds the phone and the identity too, so the second to write finds the first's."""
    app, conn = rt.authing.apps()[0], rt.authing.connections()[0]
    people = [client.post("/__mock__/users", json={"alias": f"racer{i}"}).get_json()["alias"] for i in range(6)]
    requests_to_send = []
    for alias in people:
        code_only = {"code": mint(client, wx_app["appid"], alias)["code"]}
        phone_code = client.post("/__mock__/wechat/phone-code", json={"appid": wx_app["appid"], "user": alias})
        with_phone = {"extIdpConnidentifier": conn["identifier"], "connection": "wechat_mini_program_code_and_phone",
                      "wechatMiniProgramCodeAndPhonePayload": {
                          "wxLoginInfo": {"code": mint(client, wx_app["appid"], alias)["code"]},
                          "wxPhoneInfo": {"code": phone_code.get_json()["code"]}}}
        requests_to_send += [(AUTH, code_only), ("/api/v3/signin-by-mobile", with_phone)]
    slow_user_writes(rt, monkeypatch)
    barrier, answers = threading.Barrier(len(requests_to_send)), []

    def send(path, body):
        barrier.wait()
        answers.append(requests.post(live.url + path, json=body, headers={"x-authing-app-id": app["id"]}, timeout=30))
    threads = [threading.Thread(target=send, args=request) for request in requests_to_send]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(answer.status_code == 200 for answer in answers), [answer.text for answer in answers]
    users = rt.authing.users()
    assert len(users) == len(people), [(u["id"], u["phone"], u["unionid"]) for u in users]
    assert all(user["phone"] and len(user["identities"]) == 1 for user in users)


def test_a_phone_login_never_writes_an_identity_another_user_took_meanwhile(client, rt, wx_app, monkeypatch):
    """A phone user found, and the WeChat identity free when looked at: a concurrent code login
    that makes the identity's user before this login claims it keeps it, and the phone user gets
    no copy of it (one identity, one user)."""
    from mockserver.authing.users import phone_fields
    app, conn = rt.authing.apps()[0], rt.authing.connections()[0]
    phone = "13911112222"
    by_phone = rt.authing.directory.create(conn["userPoolId"], phone_fields(phone, "86"), "phone", phone, "test")
    client.post("/__mock__/users", json={"alias": "late", "phone": phone})
    claim, landed, phone_login = rt.authing.directory.claim, [], threading.current_thread()

    def claim_after_a_concurrent_code_login(pool, kind, value, user_id):
        if kind != "phone" and threading.current_thread() is phone_login and not landed:
            # the code login runs (in a thread of its own) and lands first
            other = threading.Thread(target=lambda: landed.append(
                authing_login(client, "late", app["id"], wx_app["appid"])))
            other.start()
            other.join()
        return claim(pool, kind, value, user_id)
    monkeypatch.setattr(rt.authing.directory, "claim", claim_after_a_concurrent_code_login)
    phone_code = client.post("/__mock__/wechat/phone-code", json={"appid": wx_app["appid"], "user": "late"})
    answer = client.post("/api/v3/signin-by-mobile", headers={"x-authing-app-id": app["id"]}, json={
        "extIdpConnidentifier": conn["identifier"], "connection": "wechat_mini_program_code_and_phone",
        "wechatMiniProgramCodeAndPhonePayload": {"wxLoginInfo": {"code": mint(client, wx_app["appid"], "late")["code"]},
                                                 "wxPhoneInfo": {"code": phone_code.get_json()["code"]}}}).get_json()
    assert answer["statusCode"] == 200 and landed
    holders = {user["id"]: user for user in rt.authing.users() if user["identities"]}
    assert list(holders) == [landed[0]["id"]] and by_phone["id"] not in holders
