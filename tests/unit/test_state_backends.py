"""The same behaviour on every state backend: memory, SQLite and Redis.

Each test runs once per backend, through ``create_app(Config(state=...))`` and Flask's test
client for the WeChat flows, and directly on the ``Store`` for its contract.
"""
from __future__ import annotations

import threading

import pytest

from mockserver import Config, create_app
from mockserver.core.backends import create_store
from mockserver.core.store import META, UNCHANGED
from support.processes import state_url

BACKENDS = ["memory", "sqlite", "redis"]
FROZEN_AT = 1_750_000_000


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    return state_url(request.param, tmp_path, request)


@pytest.fixture
def app(url):
    app = create_app(Config(state=url))
    yield app
    app.extensions["mockserver"].store.close()


@pytest.fixture
def wx(app):
    return app.extensions["mockserver"].wechat.apps()[0]


@pytest.fixture
def store(url):
    store = create_store(url)
    yield store
    store.close()


def mint(client, appid, user="yuna"):
    response = client.post("/__mock__/wechat/login", json={"appid": appid, "user": user})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["code"]


def exchange(client, wx, code):
    return client.get("/sns/jscode2session", query_string={
        "appid": wx["appid"], "secret": wx["secret"], "js_code": code,
        "grant_type": "authorization_code"}).get_json()


def fetch_token(client, wx):
    body = client.get("/cgi-bin/token", query_string={
        "grant_type": "client_credential", "appid": wx["appid"], "secret": wx["secret"]}).get_json()
    return body["access_token"]


def check_token(client, token):
    """errcode of a call that needs an access token (0 when the token is accepted)."""
    return client.post(f"/wxa/msg_sec_check?access_token={token}", json={"content": "hello"}).get_json()["errcode"]


def advance(client, seconds):
    assert client.post("/__mock__/clock", json={"advance": seconds}).status_code == 200


# --- WeChat flows -----------------------------------------------------------------------------
def test_code_exchanges_once_then_40163(client, wx):
    code = mint(client, wx["appid"])
    session = exchange(client, wx, code)
    assert set(session) == {"session_key", "openid", "unionid"}
    assert exchange(client, wx, code)["errcode"] == 40163


def test_concurrent_exchanges_of_one_code_succeed_once(app, wx):
    code = mint(app.test_client(), wx["appid"])
    results = []

    def worker():
        results.append(exchange(app.test_client(), wx, code))

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum("openid" in r for r in results) == 1
    assert sorted(r.get("errcode", 0) for r in results) == [0] + [40163] * 19


def test_code_expires_with_the_shared_clock(client, wx):
    fresh, stale = mint(client, wx["appid"]), mint(client, wx["appid"])
    advance(client, 299)
    assert "openid" in exchange(client, wx, fresh)
    advance(client, 2)
    assert exchange(client, wx, stale)["errcode"] == 40029
    assert client.get("/__mock__/clock").get_json()["offset"] == pytest.approx(301, abs=1)


def test_phone_code_is_single_use(client, wx):
    token = fetch_token(client, wx)
    code = client.post("/__mock__/wechat/phone-code", json={"appid": wx["appid"], "user": "yuna"}).get_json()["code"]
    first = client.post(f"/wxa/business/getuserphonenumber?access_token={token}", json={"code": code}).get_json()
    assert first["errcode"] == 0 and first["phone_info"]["purePhoneNumber"]
    again = client.post(f"/wxa/business/getuserphonenumber?access_token={token}", json={"code": code}).get_json()
    assert again["errcode"] == 40029


def test_access_token_refresh_keeps_the_old_token_for_five_minutes(client, wx):
    old = fetch_token(client, wx)
    new = fetch_token(client, wx)
    assert old != new
    assert check_token(client, old) == 0
    advance(client, 299)
    assert check_token(client, old) == 0
    advance(client, 2)
    assert check_token(client, old) == 40001
    assert check_token(client, new) == 0
    advance(client, 7200)
    assert check_token(client, new) == 42001


def test_user_crud(client, wx):
    created = client.post("/__mock__/users", json={"alias": "mei", "nickname": "小梅"})
    assert created.status_code == 201
    openid = created.get_json()["apps"][wx["appid"]]["openid"]
    assert client.post("/__mock__/users", json={"alias": "mei"}).status_code == 409
    assert client.get(f"/__mock__/users/{openid}").get_json()["nickname"] == "小梅"
    assert client.patch("/__mock__/users/mei", json={"city": "杭州"}).get_json()["city"] == "杭州"
    aliases = [u["alias"] for u in client.get("/__mock__/users").get_json()["users"]]
    assert aliases[-1] == "mei"  # insertion order, unchanged by the update
    assert client.delete("/__mock__/users/mei").get_json() == {"deleted": "mei"}
    assert client.get("/__mock__/users/mei").status_code == 404
    assert exchange(client, wx, mint(client, wx["appid"], "yuna"))["openid"]


def test_reset_restores_fixture_users_and_clock(client, wx):
    before = client.get("/__mock__/users").get_json()
    client.post("/__mock__/users", json={"alias": "mei"})
    client.delete("/__mock__/users/yuna")
    advance(client, 3600)
    code = mint(client, wx["appid"], "mei")
    assert client.post("/__mock__/reset").status_code == 200
    assert client.get("/__mock__/users").get_json() == before
    assert client.get("/__mock__/clock").get_json()["offset"] == pytest.approx(0, abs=1)
    assert exchange(client, wx, code)["errcode"] == 40029


def test_every_backend_answers_like_memory(url, tmp_path):
    """Same seed, same calls, same answers (frozen clock, so timestamps match too)."""
    def script(state):
        app = create_app(Config(state=state, seed=3, clock_start=FROZEN_AT, clock_frozen=True))
        client, wx = app.test_client(), app.extensions["mockserver"].wechat.apps()[0]
        answers = [client.post("/__mock__/users", json={"alias": "mei"}).get_json()]
        code = mint(client, wx["appid"], "mei")
        answers += [code, exchange(client, wx, code), fetch_token(client, wx),
                    client.post("/__mock__/wechat/encrypted-data",
                                json={"appid": wx["appid"], "user": "mei"}).get_json(),
                    client.get("/__mock__/users").get_json(), client.get("/__mock__/clock").get_json()["now"]]
        app.extensions["mockserver"].store.close()
        return answers

    assert script(url) == script("memory://")


# --- the Store contract -----------------------------------------------------------------------
def test_reads_are_copies(store):
    store.put("ns", "k", {"list": [1, 2], "text": "中国"})
    store.get("ns", "k")["list"].append(3)
    store.items("ns")[0][1]["text"] = "changed"
    assert store.get("ns", "k") == {"list": [1, 2], "text": "中国"}


def test_update_keeps_deletes_and_returns(store):
    assert store.update("ns", "k", lambda cur: ({"n": 1}, cur)) is None
    assert store.update("ns", "k", lambda cur: (UNCHANGED, cur["n"])) == 1
    assert store.get("ns", "k") == {"n": 1}
    assert store.update("ns", "k", lambda cur: (None, "gone")) == "gone"
    assert store.get("ns", "k") is None and store.items("ns") == []
    assert store.delete("ns", "k") is False


def test_items_keep_insertion_order(store):
    for key in ["b", "a", "c"]:
        store.put("ns", key, key.upper())
    store.put("ns", "a", "A2")
    store.update("ns", "b", lambda cur: (cur + "2", None))
    assert store.delete("ns", "c") is True
    store.put("ns", "c", "C2")
    assert store.items("ns") == [("b", "B2"), ("a", "A2"), ("c", "C2")]
    assert store.values("other") == []


def test_initialise_loads_once_and_replace_all_keeps_meta(store):
    assert store.initialise({"ns": {"a": 1}}) is True
    store.put("ns", "b", 2)
    store.put(META, "mine", 7)
    assert store.initialise({"ns": {"a": 100}}) is False
    assert store.items("ns") == [("a", 1), ("b", 2)]
    store.replace_all({"other": {"x": [1]}})
    assert store.items("ns") == [] and store.items("other") == [("x", [1])]
    assert store.get(META, "mine") == 7


def test_incr_is_atomic_under_threads(store):
    def worker():
        for _ in range(25):
            store.incr("counters", "hits")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("counters", "hits") == 200


def test_update_many_writes_all_or_nothing(store):
    store.put("ns", "a", 1)
    keys = [("ns", "a"), ("ns", "b"), ("other", "c")]
    assert store.update_many(keys, lambda cur: ([cur[0] + 1, "B", UNCHANGED], cur)) == [1, None, None]
    assert (store.get("ns", "a"), store.get("ns", "b"), store.get("other", "c")) == (2, "B", None)

    def refuse(current):
        raise RuntimeError("refused after reading")
    with pytest.raises(RuntimeError):
        store.update_many(keys, refuse)
    assert store.update_many(keys, lambda cur: ([None, UNCHANGED, "C"], "done")) == "done"
    assert store.items("ns") == [("b", "B")] and store.items("other") == [("c", "C")]
    with pytest.raises(AssertionError):  # one new value per key
        store.update_many(keys, lambda cur: (["only one"], None))


def test_update_many_is_atomic_under_threads(store):
    """Moves between two entries never lose or double a unit, whatever the interleaving."""
    store.put("bank", "a", 100)
    store.put("bank", "b", 0)

    def worker():
        for _ in range(10):
            store.update_many([("bank", "a"), ("bank", "b")], lambda cur: ([cur[0] - 1, cur[1] + 1], None))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (store.get("bank", "a"), store.get("bank", "b")) == (20, 80)


def test_the_strict_memory_store_refuses_changes_that_break_the_contract():
    from mockserver.core.store import MemoryStore, StoreContractError

    store = MemoryStore(strict=True)
    with pytest.raises(StoreContractError, match="called store.get"):
        store.update("ns", "k", lambda cur: (store.get("ns", "other"), None))
    draws = iter(range(10))
    with pytest.raises(StoreContractError, match="two answers"):
        store.update("ns", "k", lambda cur: (next(draws), None))
    assert store.items("ns") == []
    runs = []
    assert store.update("ns", "k", lambda cur: (runs.append(1) or {"n": 1}, "ok")) == "ok"
    assert runs == [1, 1] and store.get("ns", "k") == {"n": 1}  # run twice, written once
    lenient = MemoryStore(strict=False)
    assert lenient.update("ns", "k", lambda cur: (lenient.get("ns", "x"), None)) is None


def test_a_user_and_its_openids_are_one_write(app, client):
    """Written in one atomic step: a crash can never leave a user its openid cannot find."""
    store = app.extensions["mockserver"].store
    calls = []
    for name in ("put", "update", "update_many", "delete"):
        original = getattr(store, name)
        setattr(store, name, lambda *args, _name=name, _original=original: calls.append(_name) or _original(*args))
    created = client.post("/__mock__/users", json={"alias": "solo", "nickname": "独自"}).get_json()
    assert calls == ["update_many"]
    openid = next(iter(created["apps"].values()))["openid"]
    assert client.get(f"/__mock__/users/{openid}").get_json()["alias"] == "solo"
    calls.clear()
    assert client.delete("/__mock__/users/solo").status_code == 200
    assert calls == ["update_many"]
    assert client.get(f"/__mock__/users/{openid}").status_code == 404


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_a_request_reads_the_shared_clock_once(kind, tmp_path, request):
    """On a shared store the clock lives in the store; one request reads it once, not per now()."""
    app = create_app(Config(state=state_url(kind, tmp_path, request)))
    rt, client = app.extensions["mockserver"], app.test_client()
    reads = []
    get, get_many = rt.store.get, rt.store.get_many
    rt.store.get = lambda namespace, key: (reads.append(key) if namespace == META else None) or get(namespace, key)

    def counting_get_many(keys):
        reads.extend(key for namespace, key in keys if namespace == META)
        return get_many(keys)
    rt.store.get_many = counting_get_many
    wx_app, authing_app = rt.wechat.apps()[0], rt.authing.apps()[0]
    code = mint(client, wx_app["appid"])
    reads.clear()
    answer = client.post("/connections/social/wechat-miniprogram/auth", json={"code": code},
                         headers={"x-authing-app-id": authing_app["id"]}).get_json()
    assert answer["code"] == 200, answer
    assert reads.count("clock") == 1
    reads.clear()
    before = client.get("/__mock__/clock").get_json()["now"]
    moved = client.post("/__mock__/clock", json={"advance": 60}).get_json()  # the request sees its own move
    assert moved["now"] - before >= 60 and reads.count("clock") == 2
    rt.store.close()


def test_unknown_state_urls_are_refused():
    for url in ["postgres://x", "sqlite://", "sqlite:///no/such/dir/x.db"]:
        with pytest.raises(ValueError):
            create_store(url)


# --- primitives for 100,000 users: bulk writes, pages, counts, the ring buffer, expiry ---------
def test_get_many_answers_in_order_with_none_for_the_absent(store):
    store.put("ns", "a", {"n": 1})
    store.put("other", "b", [2])
    assert store.get_many([("other", "b"), ("ns", "missing"), ("ns", "a")]) == [[2], None, {"n": 1}]
    assert store.get_many([]) == []


def test_put_many_writes_everything_unless_its_guard_exists(store):
    assert store.put_many([("apps", "a1", {"id": "a1"}), ("ids", "x", "a1"), ("ids", "y", "a1")],
                          unless=("apps", "a1")) is True
    assert store.put_many([("apps", "a1", {"id": "again"}), ("ids", "z", "a1")], unless=("apps", "a1")) is False
    assert store.items("ids") == [("x", "a1"), ("y", "a1")] and store.get("apps", "a1") == {"id": "a1"}
    assert store.put_many([("ids", "x", "b2")]) is True  # no guard: overwrites in place
    assert store.items("ids") == [("x", "b2"), ("y", "a1")]


def test_pages_and_counts_follow_insertion_order(store):
    for i in range(7):
        store.put("ns", f"k{i}", i)
    store.delete("ns", "k2")
    store.put("ns", "k2", "back")
    assert store.count("ns") == 7 and store.count("empty") == 0
    assert store.page("ns", 0, 3) == [("k0", 0), ("k1", 1), ("k3", 3)]
    assert store.page("ns", 5, 10) == [("k6", 6), ("k2", "back")]
    assert store.page("ns", 7, 10) == [] and store.page("ns", 0, 0) == []


def test_append_is_a_ring_buffer_with_its_own_counter(store):
    numbers = [store.append("ring", {"n": n}, keep=3) for n in range(5)]
    assert numbers == [1, 2, 3, 4, 5]
    assert store.items("ring") == [("3", {"n": 2}), ("4", {"n": 3}), ("5", {"n": 4})]
    assert store.get("mock.counters", "ring") == 5


def test_append_numbers_stay_unique_under_threads(store):
    numbers = []

    def worker():
        for _ in range(20):
            numbers.append(store.append("ring", "x", keep=1000))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == list(range(1, 121)) and store.count("ring") == 120


def expiring_store(store):
    store.index_expiry("codes", lambda record: record["expires_at"])
    return store


def test_expiring_lists_the_live_entries_soonest_first(store):
    store = expiring_store(store)
    for key, at in [("c", 300), ("a", 100), ("b", 200), ("d", 400)]:
        store.put("codes", key, {"expires_at": at})
    store.put("codes", "unreadable", {"no": "expiry"})  # not indexed: never listed nor pruned
    live = store.expiring("codes", after=150, limit=2)
    assert live.total == 3 and live.entries == [("b", {"expires_at": 200}), ("c", {"expires_at": 300})]
    store.update("codes", "d", lambda record: ({"expires_at": 150}, None))  # a used code ends now
    assert [key for key, _ in store.expiring("codes", after=150, limit=10).entries] == ["b", "c"]
    store.delete("codes", "b")
    assert store.expiring("codes", after=0, limit=10).total == 3  # a, d, c
    store.put_many([("codes", "c", {"no": "expiry"})])  # rewritten without one: out of the index
    assert [key for key, _ in store.expiring("codes", after=0, limit=10).entries] == ["a", "d"]
    assert store.expiring("nothing", after=0, limit=10) == (0, [])


def test_prune_deletes_the_longest_expired_first_and_no_more_than_asked(store):
    store = expiring_store(store)
    store.put_many([("codes", f"k{at}", {"expires_at": at}) for at in (500, 100, 400, 200, 300)])
    assert store.prune("codes", before=400, limit=2) == 2
    assert [key for key, _ in store.items("codes")] == ["k500", "k400", "k300"]
    assert store.prune("codes", before=400, limit=10) == 1
    assert store.prune("codes", before=400, limit=10) == 0
    assert store.expiring("codes", after=0, limit=10).total == 2
    assert store.prune("elsewhere", before=1e12, limit=10) == 0


FIXTURE_STATE = {"users": {f"u{i}": {"n": i} for i in range(5)}, "apps": {"a": {"id": "a"}}}


def test_a_reset_restores_changed_deleted_and_added_entries_in_their_places(store):
    store = expiring_store(store)
    assert store.initialise(FIXTURE_STATE) is True
    store.put("users", "u1", {"n": "changed"})
    store.delete("users", "u3")
    store.put("users", "new", {"n": 9})
    store.put_many([("users", "u4", "in bulk"), ("apps", "b", {"id": "b"})])
    store.put("codes", "c", {"expires_at": 10})
    store.append("journal", {"path": "/x"}, keep=10)
    store.put(META, "kept", 1)
    store.replace_all(FIXTURE_STATE)
    assert store.items("users") == list(FIXTURE_STATE["users"].items())
    assert store.items("apps") == [("a", {"id": "a"})]
    assert store.items("codes") == [] and store.expiring("codes", after=0, limit=5).total == 0
    assert store.items("journal") == [] and store.get("mock.counters", "journal") is None
    assert store.get(META, "kept") == 1
    store.put("users", "later", {"n": 10})  # new entries still come after the fixture's
    assert [key for key, _ in store.items("users")][-2:] == ["u4", "later"]


def test_a_reset_to_another_state_reloads_everything(store):
    store.initialise(FIXTURE_STATE)
    store.put("users", "u0", {"n": "changed"})
    other = {"users": {"z": {"n": 26}}}
    store.replace_all(other)
    assert store.items("users") == [("z", {"n": 26})] and store.items("apps") == []
    store.delete("users", "z")
    store.replace_all(other)
    assert store.items("users") == [("z", {"n": 26})]
    store.replace_all(FIXTURE_STATE)
    assert store.items("users") == list(FIXTURE_STATE["users"].items())


@pytest.fixture(params=["sqlite", "redis"])
def shared_url(request, tmp_path):
    return state_url(request.param, tmp_path, request)


def changed_count(store) -> int:
    """How many entries the shared store has noted as changed since its snapshot was loaded."""
    if hasattr(store, "_redis"):
        return store._redis.scard(store._prefix + "changed")
    return store._db().execute("SELECT COUNT(*) FROM changed").fetchone()[0]


def test_a_reset_by_another_process_restores_what_this_one_changed(shared_url):
    """Two stores on one shared state: the snapshot one loaded is the one the other resets to."""
    first, second = create_store(shared_url), create_store(shared_url)
    try:
        assert first.initialise(FIXTURE_STATE) is True
        assert second.initialise({"users": {f"u{i}": {"n": i} for i in range(5)}, "apps": {"a": {"id": "a"}}}) is False
        first.put("users", "u2", "changed")
        first.put("users", "extra", 1)
        second.replace_all(FIXTURE_STATE)  # an equal state (another object): same snapshot
        assert first.items("users") == list(FIXTURE_STATE["users"].items())
    finally:
        first.close()
        second.close()


def test_the_changed_log_forgets_new_entries_once_they_are_gone(shared_url):
    store = expiring_store(create_store(shared_url))
    try:
        store.initialise(FIXTURE_STATE)
        for i in range(30):
            store.put("codes", f"c{i}", {"expires_at": i})
            store.append("journal", i, keep=5)
        store.delete("users", "u0")  # a fixture entry: noted, a reset must bring it back
        assert changed_count(store) == 30 + 5 + 1 + 1  # codes, journal, its counter, u0
        assert store.prune("codes", before=100, limit=100) == 30
        assert changed_count(store) == 5 + 1 + 1
        store.replace_all(FIXTURE_STATE)
        assert changed_count(store) == 0 and store.get("users", "u0") == {"n": 0}
    finally:
        store.close()


def test_redis_uploads_the_snapshot_again_when_redis_lost_it(redis_server):
    from mockserver.core.store_redis import RedisStore

    store = RedisStore.from_url(redis_server.url())
    try:
        store.initialise(FIXTURE_STATE)
        store.put("users", "u1", "changed")
        for key in store._redis.scan_iter(store._prefix + "*"):
            store._redis.delete(key)  # as a FLUSHDB would
        store.replace_all(FIXTURE_STATE)
        assert store.items("users") == list(FIXTURE_STATE["users"].items()) and store.get(META, "initialised")
        assert not list(store._redis.scan_iter(store._prefix + "staging:*"))  # loaded, not left behind
    finally:
        store.close()


def test_redis_drops_an_upload_that_another_process_made_needless(redis_server):
    from mockserver.core.store_redis import RedisStore

    url = redis_server.url()
    first, second = RedisStore.from_url(url), RedisStore.from_url(url)
    upload = second._upload

    def racing_upload(rows, digest):
        assert first.initialise(FIXTURE_STATE) is True  # the other process gets there first
        return upload(rows, digest)
    second._upload = racing_upload
    try:
        assert second.initialise(FIXTURE_STATE) is False
        assert not list(second._redis.scan_iter(second._prefix + "staging:*"))
        assert second.items("users") == list(FIXTURE_STATE["users"].items())
    finally:
        first.close()
        second.close()


def test_dump_encodes_every_entry_but_meta_by_namespace_in_insertion_order(store):
    store.replace_all({"b.things": {"z": {"n": "一"}, "a": [1, 2.5]}, "a.things": {"k": None}})
    store.put("b.things", "m", True)
    store.delete("b.things", "z")
    store.put("b.things", "z", {"back": 1})  # a new entry: last
    store.put("0.things", "new", 0)  # a namespace made last, named first
    assert store.dump() == [("0.things", "new", "0"), ("a.things", "k", "null"), ("b.things", "a", "[1,2.5]"),
                            ("b.things", "m", "true"), ("b.things", "z", '{"back":1}')]


def test_dump_sees_writes_that_belong_together_whole(store):
    store.replace_all({"pairs": {"a": 0, "b": 0}})
    stop = threading.Event()

    def writer():
        n = 0
        while not stop.is_set():
            n += 1
            store.update_many([("pairs", "a"), ("pairs", "b")], lambda values, n=n: ((n, n), None))
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(30):
            rows = dict((key, value) for _, key, value in store.dump())
            assert rows["a"] == rows["b"]
    finally:
        stop.set()
        thread.join()


def test_stored_values_are_never_shared_with_callers(store):
    assert_never_shared(store)


def test_the_lenient_memory_store_shares_no_value_either():
    """As users run it: without the strict mode's second call of each change."""
    from mockserver.core.store import MemoryStore
    assert_never_shared(MemoryStore(strict=False))


def assert_never_shared(store):
    """What a caller passes in, reads out or gives a change is its own copy, at every depth."""
    nested = {"tokens": [{"jti": "a", "scopes": ["openid"]}], "n": 1}
    store.put("ids", "v", nested)
    nested["tokens"][0]["scopes"].append("leaked")
    read = store.get("ids", "v")
    read["tokens"][0]["jti"] = "changed"
    read["tokens"].append({})
    seen = []

    def change(current):
        seen.append(current[0])
        current[0]["tokens"][0]["scopes"].append("in the change")
        return [UNCHANGED], None
    store.update_many([("ids", "v")], change)
    written = {"tokens": [{"jti": "b", "scopes": []}]}
    store.update_many([("ids", "w")], lambda current: ([written], None))
    written["tokens"][0]["scopes"].append("after")
    assert store.get("ids", "v") == {"tokens": [{"jti": "a", "scopes": ["openid"]}], "n": 1}
    assert store.get("ids", "w") == {"tokens": [{"jti": "b", "scopes": []}]}
    assert [value for _, value in store.items("ids")][0]["tokens"][0]["scopes"] == ["openid"]
