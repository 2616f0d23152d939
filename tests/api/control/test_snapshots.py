"""Snapshots: GET /__mock__/state exports the whole state as a fixture file that PUT /__mock__/state
and --fixtures load; a round trip gives the same answers to the same calls, on every backend."""
from __future__ import annotations

import json

import pytest
from mockserver import Config, create_app
from mockserver.core.fixtures import FixtureError
from support import authing_login, mint
from support.processes import state_url

FROZEN_AT = 1_750_000_000


def server(url, **config):
    app = create_app(Config(state=url, **{"clock_start": FROZEN_AT, "clock_frozen": True, **config}))
    runtime = app.extensions["mockserver"]
    runtime.test_client = app.test_client()
    return runtime


@pytest.fixture(params=["memory", "sqlite", "redis"])
def backend(request, tmp_path):
    made = []

    def fresh(**config):
        directory = tmp_path / str(len(made))
        directory.mkdir()
        made.append(server(state_url(request.param, directory, request), **config))
        return made[-1]
    yield fresh
    for runtime in made:
        runtime.store.close()


def manual_session(rt):
    """What a developer might do by hand: logins, a user, a fault, a stub, the clock moved."""
    client, wx, app = rt.test_client, rt.wechat.apps()[0], rt.authing.apps()[0]
    alias = rt.wechat.users()[0]["alias"]
    authing_login(client, alias, app["id"], wx["appid"])
    client.post("/__mock__/users", json={"alias": "snapshotted", "nickname": "快照"})
    client.post("/__mock__/faults", json={"endpoint": "/cgi-bin/token", "errcode": -1, "times": 1})
    client.post("/__mock__/stubs", json={"endpoint": "/wxa/checksession", "body": {"errcode": 0, "errmsg": "{{user}}"}})
    client.post("/__mock__/clock", json={"advance": 3600})
    return mint(client, wx["appid"], alias)["code"]  # live at export, used after


def calls(rt, code):
    """The same calls, answered from the state: codes, tokens, ids, the fault and the stub."""
    client, wx, app = rt.test_client, rt.wechat.apps()[0], rt.authing.apps()[0]
    token = {"grant_type": "client_credential", "appid": wx["appid"], "secret": wx["secret"]}
    return [
        client.get("/sns/jscode2session", query_string={"appid": wx["appid"], "secret": wx["secret"],
                                                        "js_code": code, "grant_type": "authorization_code"}).get_json(),
        client.get("/cgi-bin/token", query_string=token).get_json(),
        client.get("/cgi-bin/token", query_string=token).get_json(),
        mint(client, wx["appid"], "snapshotted"),
        authing_login(client, "snapshotted", app["id"], wx["appid"]),
        client.get("/__mock__/users/snapshotted").get_json(),
        client.get("/__mock__/clock").get_json()["now"],
        [{k: v for k, v in rule.items()} for rule in client.get("/__mock__/faults").get_json()["faults"]],
        client.get("/__mock__/stubs").get_json(),
    ]


def export(rt):
    response = rt.test_client.get("/__mock__/state")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_data(as_text=True)


def test_put_back_a_snapshot_and_the_same_calls_get_the_same_answers(backend):
    rt = backend()
    code = manual_session(rt)
    taken = export(rt)
    first = calls(rt, code)
    assert first[1]["errcode"] == -1 and "access_token" in first[2] and first[0]["openid"]
    rt.test_client.post("/__mock__/clock", json={"advance": 10 * 86400})  # the clock comes back too

    loaded = rt.test_client.put("/__mock__/state", data=taken, content_type="application/json")
    assert (loaded.status_code, loaded.get_json()) == (200, {"status": "loaded"})
    assert calls(rt, code) == first
    # a reset still goes back to the server's own fixture
    rt.test_client.post("/__mock__/reset")
    assert rt.test_client.get("/__mock__/users/snapshotted").status_code == 404


def test_a_server_started_from_a_snapshot_answers_as_the_one_it_was_taken_from(backend, tmp_path):
    rt = backend()
    code = manual_session(rt)
    path = tmp_path / "state.json"
    path.write_text(export(rt), encoding="utf-8")
    first = calls(rt, code)

    started = backend(fixtures=str(path), clock_start=None)
    assert calls(started, code) == first
    started.test_client.post("/__mock__/reset")  # its fixture is the snapshot: back to it
    assert calls(started, code) == first


def test_every_namespace_is_exported_but_the_journal_and_the_stores_bookkeeping(backend):
    rt = backend()
    manual_session(rt)
    # a namespace no part of the control plane names (as a service added now would keep)
    rt.store.put("future.things", "k1", {"n": 1})
    rt.store.put("future.things", "k0", {"n": 0})
    snapshot = json.loads(export(rt))
    assert set(snapshot) == {"format", "description", "state"}
    state = snapshot["state"]
    assert list(state["entries"]["future.things"].items()) == [("k1", {"n": 1}), ("k0", {"n": 0})]
    assert {"wx.users", "wx.openids", "wx.codes", "authing.users", "mock.faults", "mock.stubs"} <= set(state["entries"])
    assert "mock.journal" not in state["entries"] and "mock.meta" not in state["entries"]
    assert "mock.journal" not in state["entries"].get("mock.counters", {})
    assert state["clock"] == {"now": FROZEN_AT + 3600} and len(state["random"]) == 625
    assert state["checksum"].startswith("sha256:")


def edited(snapshot, change):
    data = json.loads(snapshot)
    change(data)
    return data


REFUSED = [
    (lambda d: d["state"]["entries"]["wx.users"].update(intruder={"alias": "intruder"}),
     "PUT /__mock__/state: state: the entries do not match their checksum: a snapshot is loaded as it was taken "
     "(to change apps or users, edit an ordinary fixture's sections instead)"),
    (lambda d: d["state"].pop("checksum"),
     "PUT /__mock__/state: state: a snapshot has exactly checksum, clock, entries, random "
     "(as GET /__mock__/state writes it)"),
    (lambda d: d["state"].update(clock={"now": "soon"}),
     "PUT /__mock__/state: state: clock must be {\"now\": epoch seconds from 0 to 4294967295}"),
    (lambda d: d["state"].update(clock={"now": 2 ** 32}),
     "PUT /__mock__/state: state: clock must be {\"now\": epoch seconds from 0 to 4294967295}"),
    (lambda d: d["state"].update(clock={"now": 10 ** 400}),  # past a float's range: compared, not converted
     "PUT /__mock__/state: state: clock must be {\"now\": epoch seconds from 0 to 4294967295}"),
    (lambda d: d["state"].update(random=[0] * 624),
     "PUT /__mock__/state: state: random must be the 625 words GET /__mock__/state writes"),
    (lambda d: d["state"].update(entries={"wx.users": []}),
     "PUT /__mock__/state: state: entries must map each namespace to an object of its entries"),
    (lambda d: d["state"]["entries"].update({"mock.meta": {}}),
     "PUT /__mock__/state: state: 'mock.meta' is not a namespace a snapshot holds"),
    (lambda d: d["state"]["entries"].update({"mock.journal": {}}),
     "PUT /__mock__/state: state: 'mock.journal' is not a namespace a snapshot holds"),
    (lambda d: d.update(wechat={"apps": []}),
     "PUT /__mock__/state: a snapshot ('state') holds the whole state: it takes no 'wechat' section"),
    (lambda d: d.update(format=2), "PUT /__mock__/state: unsupported fixture format 2 (this version reads 1)"),
    (lambda d: d.update(extra=1), "PUT /__mock__/state: unknown top-level keys ['extra']"),
]


@pytest.mark.parametrize("change, error", REFUSED)
def test_a_snapshot_that_is_not_as_taken_is_refused_and_nothing_changes(client, change, error):
    snapshot = client.get("/__mock__/state").get_data(as_text=True)
    client.post("/__mock__/users", json={"alias": "after"})
    response = client.put("/__mock__/state", json=edited(snapshot, change))
    assert (response.status_code, response.get_json()) == (400, {"error": error})
    assert client.get("/__mock__/users/after").status_code == 200


@pytest.mark.parametrize("fixture", [{"wechat": {"apps": 0}}, {"wechat": {"users": {"a": 1}}},
                                     {"wechat": {"apps": None}}])
def test_an_ordinary_fixture_of_the_wrong_shape_is_refused_and_nothing_changes(client, fixture):
    client.post("/__mock__/users", json={"alias": "after"})
    response = client.put("/__mock__/state", json=fixture)
    name = next(iter(fixture["wechat"]))
    assert (response.status_code, response.get_json()) == (400, {"error": f"PUT /__mock__/state: wechat: {name} must be a list"})
    assert client.get("/__mock__/users/after").status_code == 200


ORDINARY = {"wechat": {"apps": [{"name": "Only", "appid": "wx00000000000000aa", "secret": "0" * 32}],
                       "users": [{"alias": "solo", "nickname": "Solo"}]}}


def test_put_takes_an_ordinary_fixture_too(client, rt):
    client.post("/__mock__/clock", json={"advance": 86400})
    mint(client, rt.wechat.apps()[0]["appid"], "yuna")
    response = client.put("/__mock__/state", json=ORDINARY)
    assert (response.status_code, response.get_json()) == (200, {"status": "loaded"})
    users = client.get("/__mock__/users").get_json()
    assert [user["alias"] for user in users["users"]] == ["solo"]
    # as a server started with it: the clock and the random source from the start
    assert abs(client.get("/__mock__/clock").get_json()["offset"]) < 3600
    fresh = create_app(Config()).test_client()
    fresh.put("/__mock__/state", json=ORDINARY)
    assert mint(client, "wx00000000000000aa", "solo") == mint(fresh, "wx00000000000000aa", "solo")
    bad = client.put("/__mock__/state", json={"wechat": {"apps": "none"}})
    assert bad.status_code == 400 and bad.get_json()["error"].startswith("PUT /__mock__/state: wechat")
    assert client.put("/__mock__/state", json=[1]).get_json() == {"error": "body must be a JSON object"}


def test_an_edited_snapshot_given_to_fixtures_stops_the_start(client, tmp_path):
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(edited(client.get("/__mock__/state").get_data(as_text=True),
                                      lambda d: d["state"]["entries"]["wx.users"].clear())), encoding="utf-8")
    with pytest.raises(FixtureError, match="state: the entries do not match their checksum"):
        create_app(Config(fixtures=str(path)))
