"""Same seed + same fixtures + same calls → identical responses."""
from __future__ import annotations

from mockserver import Config, create_app


def session_of_calls(seed: int):
    app = create_app(Config(seed=seed, clock_start=1_800_000_000, clock_frozen=True))
    client = app.test_client()
    rt = app.extensions["mockserver"]
    wx_app = rt.wechat.apps()[0]
    creds = {"appid": wx_app["appid"], "secret": wx_app["secret"]}
    answers = []
    for alias in ("yuna", None, "jinyang"):
        minted = client.post("/__mock__/wechat/login", json={"appid": wx_app["appid"], "user": alias}).get_json()
        answers.append(minted)
        answers.append(client.get("/sns/jscode2session", query_string={**creds, "js_code": minted["code"]}).get_json())
        answers.append(client.post("/__mock__/wechat/encrypted-data",
                                   json={"appid": wx_app["appid"], "user": minted["openid"]}).get_json())
    answers.append(client.get("/cgi-bin/token", query_string={**creds, "grant_type": "client_credential"}).get_json())
    answers.append(client.get("/sns/jscode2session", query_string={**creds, "js_code": "0" * 32}).get_json())
    answers.append(client.post("/__mock__/wechat/phone-code", json={"appid": wx_app["appid"], "user": "yuna"}).get_json())
    answers.append(client.get("/__mock__/users").get_json())
    return answers


def test_same_seed_gives_identical_responses():
    first, second = session_of_calls(7), session_of_calls(7)
    assert first == second
    assert first[1]["openid"] and "errcode" in first[-3]  # the sequence really exercised the API


def test_other_seed_gives_other_codes_and_ids():
    first, other = session_of_calls(7), session_of_calls(8)
    assert first[0]["code"] != other[0]["code"]
    assert first[1]["openid"] != other[1]["openid"]
    assert first[1]["session_key"] != other[1]["session_key"]


def test_reset_returns_to_fixture_state_and_replays_identically():
    app = create_app(Config(seed=3, clock_start=1_800_000_000, clock_frozen=True))
    client = app.test_client()
    appid = app.extensions["mockserver"].wechat.apps()[0]["appid"]
    first = client.post("/__mock__/wechat/login", json={"appid": appid}).get_json()
    users_after = len(client.get("/__mock__/users").get_json()["users"])
    client.post("/__mock__/clock", json={"advance": 50})
    assert client.post("/__mock__/reset").get_json() == {"status": "reset"}
    assert len(client.get("/__mock__/users").get_json()["users"]) == users_after - 1
    assert client.get("/__mock__/clock").get_json()["now"] == 1_800_000_000
    assert client.post("/__mock__/wechat/login", json={"appid": appid}).get_json() == first


def test_derived_ids_stay_the_same_across_versions():
    """Teams pin the mock's openids in their own tests: a change of derivation would break them.
    These values were computed before the derivation was last optimised (the openid's when its
    per-app prefix came: issue 13)."""
    app = create_app(Config(seed=0))
    rt = app.extensions["mockserver"]
    appid = rt.wechat.apps()[0]["appid"]
    minted = app.test_client().post("/__mock__/wechat/login", json={"appid": appid, "user": "yuna"}).get_json()
    assert minted["openid"] == "orx4BRP7DmKLw2zC7BWvSCw7Lh_q"
    assert rt.random.derive("openid", "someone", "wx0000000000000000") == "Aso9YJjL2sJgm6UJm1hobtQQ9fe"
    assert rt.random.derive("x", length=40, alphabet="0123456789abcdef") == "54cf09ba4b5fc076b8319c71b06fc409c923c067"


def test_openids_of_one_app_share_a_prefix_of_six_characters_and_differ_across_apps():
    app = create_app(Config(seed=0))
    rt = app.extensions["mockserver"]
    other = app.test_client().post("/__mock__/apps", json={"name": "second"}).get_json()["appid"]
    first = rt.wechat.apps()[0]["appid"]
    users = rt.wechat.users()[:5]
    openids = {appid: [rt.wechat.openid(user, appid) for user in users] for appid in (first, other)}
    for appid, ids in openids.items():
        assert len({openid[:6] for openid in ids}) == 1 and len(set(ids)) == len(ids), ids
        assert all(len(openid) == 28 and openid[0] == "o" for openid in ids)
    assert openids[first][0][:6] != openids[other][0][:6]


def templates_and_messages(seed: int):
    """Template ids, msgids and trace ids: all drawn from the seeded source."""
    app = create_app(Config(seed=seed, clock_start=1_800_000_000, clock_frozen=True))
    client = app.test_client()
    wx_app = app.extensions["mockserver"].wechat.apps()[0]
    token = client.get("/cgi-bin/token", query_string={"grant_type": "client_credential", "appid": wx_app["appid"],
                                                       "secret": wx_app["secret"]}).get_json()["access_token"]
    added = client.post(f"/wxaapi/newtmpl/addtemplate?access_token={token}", json={"tid": 1822, "kidList": [1, 2]})
    template_id = added.get_json()["priTmplId"]
    openid = client.post("/__mock__/wechat/subscriptions", json={
        "appid": wx_app["appid"], "user": "yuna", "template_ids": [template_id]}).get_json()["openid"]
    sent = client.post(f"/cgi-bin/message/subscribe/send?access_token={token}", json={
        "touser": openid, "template_id": template_id,
        "data": {"amount1": {"value": "¥1"}, "time2": {"value": "12:00"}}}).get_json()
    client.post("/__mock__/wechat/login", json={"appid": wx_app["appid"], "user": "yuna"})  # a visit, for v2
    checked = client.post(f"/wxa/msg_sec_check?access_token={token}", json={
        "content": "hi", "version": 2, "scene": 1, "openid": openid}).get_json()
    return template_id, sent["msgid"], checked["trace_id"]


def test_templates_messages_and_trace_ids_follow_the_seed():
    assert templates_and_messages(5) == templates_and_messages(5)
    assert templates_and_messages(5)[0] != templates_and_messages(6)[0]
