"""Backend faults are answered, not hidden (issue 15): a state backend that is stopped, frozen,
refusing writes, locked or found empty — with live mocks on a private redis-server, and in-process.

While the backend cannot serve a request, each service answers in its own error format and
``/__mock__/health`` says 503 naming the backend, every answer within the backend timeout (the
clients below wait at most ``BOUND`` seconds: a bound, not a measurement); when it serves again,
so does the mock, without a restart; a backend found without its state is reloaded from the
fixture and says so in ``/__mock__/health``.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests
from redis.backoff import NoBackoff
from redis.retry import Retry

from mockserver import Config, create_app
from mockserver.cli import config_from_args, parse
from mockserver.core.backends import create_store
from support import ROOT
from support.processes import MockProcess, free_port
from support.stores import FlakyStore

TIMEOUT = 1  # the mock's backend timeout in these tests (seconds)
BOUND = TIMEOUT + 2  # the longest any client here waits for an answer (the default timeout is 5 s)
MESSAGE = "服务暂时不可用，请稍后再试"
RID = re.compile(r"^system error(?:, | )rid: ([0-9a-f]{8})-[0-9a-f]{8}-[0-9a-f]{8}$")  # sns: ", rid"
REDIS_LOST = "Redis holds none of this mock's state (restarted without persistence, flushed or evicted)"


class PrivateRedis:
    """A redis-server of this test's own, without persistence, that it may stop, freeze and
    restart on the same loopback port."""

    def __init__(self, directory: Path):
        if shutil.which("redis-server") is None:
            pytest.fail("redis-server is not installed: run scripts/ensure-redis")
        self.directory, self.port, self.process = directory, free_port(), None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.client().ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=BOUND, decode_responses=True)

    def url(self, **params) -> str:
        query = "&".join(f"{name}={value}" for name, value in {"timeout": TIMEOUT, **params}.items())
        return f"redis://127.0.0.1:{self.port}/0?{query}"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGCONT)  # a frozen server cannot stop
        self.process.terminate()
        self.process.wait(timeout=10)

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    yield server
    if server.process.poll() is None:
        server.stop()


class Live:
    """Calls to a mock over HTTP, each bounded by ``BOUND``: (status, JSON body)."""

    def __init__(self, url: str):
        self.url = url

    def __call__(self, method: str, path: str, **kwargs):
        response = requests.request(method, self.url + path, timeout=BOUND, **kwargs)
        return response.status_code, response.json()


class InProcess:
    """The same calls through Flask's test client, on one thread of their own (as a server's
    thread serves one request after another), each given ``BOUND`` seconds."""

    def __init__(self, app):
        self.client = app.test_client()
        self.thread = ThreadPoolExecutor(1)

    def __call__(self, method: str, path: str, params=None, **kwargs):
        answer = self.thread.submit(self.client.open, path, method=method, query_string=params, **kwargs)
        response = answer.result(timeout=BOUND)
        return response.status_code, response.get_json()


def apps(call):
    found = call("GET", "/__mock__/apps")[1]
    return found["wechat"][0], found["authing"]["apps"][0]["appId"]


def login(call, wx, user="yuna"):
    """A WeChat login through the mock: jscode2session's answer."""
    status, minted = call("POST", "/__mock__/wechat/login", json={"appid": wx["appid"], "user": user})
    assert status == 200, minted
    return exchange(call, wx, minted["code"])


def exchange(call, wx, code):
    return call("GET", "/sns/jscode2session", params={"appid": wx["appid"], "secret": wx["secret"], "js_code": code,
                                                      "grant_type": "authorization_code"})[1]


def assert_outage_answered(call, wx, app_id, backend: str, error_start: str) -> str:
    """Every service answers the outage in its own format; health says 503. The error health gives."""
    status, health = call("GET", "/__mock__/health")
    assert (status, health["status"], health["backend"]) == (503, "unavailable", backend), health
    assert health["error"].startswith(error_start), health
    assert set(health) == {"status", "backend", "error"}
    for path, params in (("/sns/jscode2session", {"appid": wx["appid"], "secret": wx["secret"], "js_code": "0" * 32,
                                                  "grant_type": "authorization_code"}),
                         ("/cgi-bin/token", {"grant_type": "client_credential", "appid": wx["appid"],
                                             "secret": wx["secret"]})):
        status, body = call("GET", path, params=params)
        assert (status, set(body), body["errcode"]) == (200, {"errcode", "errmsg"}, -1), body
        assert RID.match(body["errmsg"]), body
    headers = {"x-authing-app-id": app_id}
    assert call("POST", "/connections/social/wechat-miniprogram/auth", json={"code": "0" * 32}, headers=headers) == (
        200, {"code": 500, "message": MESSAGE, "data": None})
    status, v3 = call("GET", "/api/v3/get-profile", headers=headers)
    assert re.fullmatch(r"[0-9a-f]{32}", v3.pop("requestId"))
    assert (status, v3) == (500, {"statusCode": 500, "message": MESSAGE, "apiCode": 500})
    assert call("POST", "/graphql/v2", json={"query": "{ user { id } }"}, headers=headers) == (
        200, {"data": None, "errors": [{"message": {"code": 500, "message": MESSAGE, "data": None}}]})
    assert call("GET", "/oidc/me", headers={"Authorization": "Bearer x"}) == (
        500, {"error": "server_error", "error_description": MESSAGE})
    assert call("GET", "/__mock__/users") == (503, {"error": f"the {backend} state backend is unavailable: "
                                                             f"{health['error']}"})
    return health["error"]


# --- Redis, live ---------------------------------------------------------------------------------
def test_redis_stopped_then_restarted_empty(private_redis):
    mock = MockProcess("--state", private_redis.url(), "--quiet")
    try:
        call = Live(mock.url)
        wx, app_id = apps(call)
        assert call("GET", "/__mock__/health") == (200, {"status": "ok", "backend": "redis"})
        assert "openid" in login(call, wx)
        private_redis.stop()
        error = assert_outage_answered(call, wx, app_id, "redis", "ConnectionError: ")
        assert "Connection refused" in error
        private_redis.start()  # without persistence: it comes back empty
        status, health = call("GET", "/__mock__/health")
        lost = health.pop("lost_state")
        assert (status, health) == (200, {"status": "ok", "backend": "redis"})
        assert (lost["why"], lost["action"]) == (REDIS_LOST, "reloaded the fixture")
        assert "openid" in login(call, wx)  # the fixture's apps and users are back
    finally:
        code, stderr = mock.stop()
    assert stderr.count("the redis state backend is unavailable") == 1, stderr  # logged once, not per request
    assert f"{REDIS_LOST}: reloaded the fixture" in stderr
    assert "the redis state backend answers again" in stderr


def test_redis_frozen_answers_within_the_timeout_then_resumes(private_redis):
    mock = MockProcess("--state", private_redis.url(), "--quiet")
    try:
        call = Live(mock.url)
        wx, app_id = apps(call)
        code = call("POST", "/__mock__/wechat/login", json={"appid": wx["appid"], "user": "yuna"})[1]["code"]
        private_redis.freeze()  # connections are accepted, nothing is answered
        assert_outage_answered(call, wx, app_id, "redis", "TimeoutError: Timeout reading from socket")
        private_redis.thaw()
        assert call("GET", "/__mock__/health") == (200, {"status": "ok", "backend": "redis"})  # nothing lost
        assert "openid" in exchange(call, wx, code)  # the code minted before is still there
    finally:
        mock.stop()


def test_redis_flushed_is_reloaded_from_the_fixture(private_redis):
    mock = MockProcess("--state", private_redis.url(check_ms=0), "--quiet")
    try:
        call = Live(mock.url)
        wx, _ = apps(call)
        assert call("POST", "/__mock__/users", json={"alias": "mei"})[0] == 201
        call("POST", "/__mock__/clock", json={"advance": 86400})
        private_redis.client().flushall()
        assert "openid" in login(call, wx)  # the very next request finds the fixture again
        aliases = [user["alias"] for user in call("GET", "/__mock__/users")[1]["users"]]
        assert "yuna" in aliases and "mei" not in aliases
        assert abs(call("GET", "/__mock__/clock")[1]["offset"]) < 3600  # the clock started again, too
        assert call("GET", "/__mock__/health")[1]["lost_state"]["why"] == REDIS_LOST
    finally:
        mock.stop()


# --- Redis, in-process -----------------------------------------------------------------------------
def state_checks(server: PrivateRedis) -> int:
    """How many EXISTS (the state check's one command) Redis has answered since its stats were reset."""
    return server.client().info("commandstats").get("cmdstat_exists", {}).get("calls", 0)


def test_a_started_clock_runs_again_after_a_reload(private_redis):
    start = 1_700_000_000
    call = InProcess(create_app(Config(state=private_redis.url(check_ms=0), clock_start=start)))
    private_redis.client().flushall()
    first = call("GET", "/__mock__/clock")[1]["now"]
    time.sleep(0.05)
    second = call("GET", "/__mock__/clock")[1]["now"]
    assert start <= first and second < start + 3600  # from the start again,
    assert second - first >= 0.04  # and running with real time (a clock without its state stands at its start)


def test_the_redis_client_retries_a_broken_connection_once_without_back_off(private_redis):
    """Pinned, since redis-py's defaults differ by version (from none to ten retries with back-off)."""
    store = create_store(private_redis.url())
    retry = store._redis.connection_pool.connection_kwargs["retry"]
    assert retry == Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))
    store.close()


@pytest.mark.parametrize("check_ms", [0, 3_600_000])
def test_the_state_check_costs_one_round_trip_at_most_every_check_ms(private_redis, check_ms):
    app = create_app(Config(state=private_redis.url(check_ms=check_ms)))
    call = InProcess(app)
    wx, _ = apps(call)
    private_redis.client().config_resetstat()
    for _ in range(5):
        login(call, wx)
    checks = state_checks(private_redis)
    assert (checks >= 10) if check_ms == 0 else (checks == 0), checks  # 0: before every call; else: not yet due
    app.extensions["mockserver"].store.close()


def test_a_redis_that_accepts_no_connection_is_refused_within_the_timeout(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)  # never accepted: once its queue is full, connecting hangs
    port = listener.getsockname()[1]
    fillers = [socket.socket() for _ in range(3)]
    for filler in fillers:
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
    outcome = []
    url = f"redis://127.0.0.1:{port}/0?timeout=0.5"
    worker = threading.Thread(target=lambda: outcome.append(pytest.raises(ValueError, create_store, url)), daemon=True)
    worker.start()
    worker.join(BOUND)  # redis-py's own defaults retry here for some 50 s
    assert outcome, f"no answer within {BOUND} s"
    assert str(outcome[0].value).startswith(f"cannot reach Redis at {url!r}: Timeout connecting to server")
    for sock in (listener, *fillers):
        sock.close()


def test_default_check_interval_still_lets_health_notice_at_once(private_redis):
    app = create_app(Config(state=private_redis.url(check_ms=3_600_000)))
    call = InProcess(app)
    private_redis.client().flushall()
    status, health = call("GET", "/__mock__/health")
    assert (status, health["lost_state"]["why"]) == (200, REDIS_LOST)


def test_a_restarted_redis_is_noticed_on_the_first_call_that_reconnects(private_redis):
    app = create_app(Config(state=private_redis.url(check_ms=3_600_000)))
    call = InProcess(app)
    wx, _ = apps(call)
    private_redis.stop()
    private_redis.start()
    status, users = call("GET", "/__mock__/users")  # its first store call reads the users: run again once reloaded
    assert status == 200 and "yuna" in [user["alias"] for user in users["users"]], users
    private_redis.stop()
    private_redis.start()
    status, body = call("GET", "/cgi-bin/token", params={"grant_type": "client_credential", "appid": wx["appid"],
                                                         "secret": wx["secret"]})
    assert status == 200 and "access_token" in body, body  # not 40013: the app was reloaded before the answer


def test_a_fixture_load_may_wait_longer_than_a_call(private_redis):
    call = InProcess(create_app(Config(state=private_redis.url(timeout=0.25, check_ms=3_600_000))))
    private_redis.freeze()
    threading.Timer(1.0, private_redis.thaw).start()  # a reset of a big fixture blocks Redis about so long
    assert call("POST", "/__mock__/reset") == (200, {"status": "reset"})


def busy_script(server: PrivateRedis):
    """A script that keeps Redis busy until killed; returns its thread once Redis answers BUSY."""
    server.client().config_set("busy-reply-threshold", 50)
    killed = []

    def run():
        try:
            server.client().eval("while true do end", 0)
        except redis.ResponseError as exc:
            killed.append(str(exc))
    thread = threading.Thread(target=run)
    thread.start()
    probe, deadline = server.client(), time.monotonic() + BOUND
    while time.monotonic() < deadline:
        try:
            probe.ping()
            time.sleep(0.02)
        except redis.ResponseError as exc:
            assert str(exc).startswith("BUSY"), exc
            return thread
    raise AssertionError("the script never made Redis busy")


@pytest.mark.parametrize("refusal", ["out of memory", "read-only replica", "busy running a script"])
def test_redis_refusing_writes_is_an_outage(private_redis, refusal):
    app = create_app(Config(state=private_redis.url()))
    call = InProcess(app)
    wx, _ = apps(call)
    admin = private_redis.client()
    undo, expected = {
        "out of memory": (lambda: admin.config_set("maxmemory", 0), "OutOfMemoryError: "),
        "read-only replica": (lambda: admin.execute_command("REPLICAOF", "NO", "ONE"), "ReadOnlyError: "),
        "busy running a script": (lambda: (admin.script_kill(), thread.join()), "ResponseError: BUSY "),
    }[refusal]
    thread = None
    if refusal == "out of memory":
        admin.config_set("maxmemory", 1)
    elif refusal == "read-only replica":
        admin.execute_command("REPLICAOF", "127.0.0.1", free_port())
    else:
        thread = busy_script(private_redis)
    status, body = call("GET", "/cgi-bin/token", params={"grant_type": "client_credential", "appid": wx["appid"],
                                                         "secret": wx["secret"]})
    assert (status, body["errcode"]) == (200, -1), body
    status, body = call("POST", "/__mock__/users", json={"alias": "mei"})
    assert status == 503 and body["error"].startswith(f"the redis state backend is unavailable: {expected}"), body
    undo()
    assert call("POST", "/__mock__/users", json={"alias": "mei"})[0] == 201


# --- SQLite --------------------------------------------------------------------------------------
def sqlite_files(path: Path):
    return [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]


def test_sqlite_locked_past_its_busy_timeout(tmp_path):
    path = tmp_path / "mock.db"
    call = InProcess(create_app(Config(state=f"sqlite:///{path}?timeout=0.2")))
    wx, app_id = apps(call)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
    status, body = call("GET", "/cgi-bin/token", params={"grant_type": "client_credential", "appid": wx["appid"],
                                                         "secret": wx["secret"]})
    assert (status, body["errcode"]) == (200, -1) and RID.match(body["errmsg"]), body
    assert call("POST", "/__mock__/users", json={"alias": "mei"}) == (
        503, {"error": f"the sqlite state backend is unavailable: database is locked ({path})"})
    holder.execute("ROLLBACK")
    assert call("POST", "/__mock__/users", json={"alias": "mei"})[0] == 201


def test_sqlite_file_deleted_is_reloaded(tmp_path):
    path = tmp_path / "mock.db"
    call = InProcess(create_app(Config(state=f"sqlite:///{path}?check_ms=0")))
    wx, _ = apps(call)
    assert call("POST", "/__mock__/users", json={"alias": "mei"})[0] == 201
    for file in sqlite_files(path):
        file.unlink()
    assert "openid" in login(call, wx)
    assert "mei" not in [user["alias"] for user in call("GET", "/__mock__/users")[1]["users"]]
    status, health = call("GET", "/__mock__/health")
    assert (status, health["backend"], health["lost_state"]["why"]) == (
        200, "sqlite", f"{path} was deleted or replaced")
    assert path.exists()


def test_sqlite_file_replaced_by_another_mocks_state_is_resumed(tmp_path):
    path, other = tmp_path / "mock.db", tmp_path / "other.db"
    call = InProcess(create_app(Config(state=f"sqlite:///{path}?check_ms=0")))
    other_app = create_app(Config(state=f"sqlite:///{other}"))
    assert other_app.test_client().post("/__mock__/users", json={"alias": "mei"}).status_code == 201
    other_app.extensions["mockserver"].store.close()
    for file in sqlite_files(path)[1:]:
        file.unlink()
    os.replace(other, path)
    assert "mei" in [user["alias"] for user in call("GET", "/__mock__/users")[1]["users"]]
    assert call("GET", "/__mock__/health") == (200, {"status": "ok", "backend": "sqlite"})


def test_sqlite_file_replaced_by_garbage_is_an_outage_until_it_is_gone(tmp_path):
    path = tmp_path / "mock.db"
    call = InProcess(create_app(Config(state=f"sqlite:///{path}?check_ms=0")))
    wx, app_id = apps(call)
    for file in sqlite_files(path):
        file.unlink()
    path.write_bytes(b"not a database, " * 512)
    assert_outage_answered(call, wx, app_id, "sqlite", "file is not a database")
    path.unlink()
    status, health = call("GET", "/__mock__/health")
    assert (status, health["status"], "lost_state" in health) == (200, "ok", True)
    assert "openid" in login(call, wx)


# --- in-process, a store that raises -----------------------------------------------------------------
@pytest.fixture
def flaky(monkeypatch):
    store = FlakyStore()
    monkeypatch.setattr("mockserver.runtime.create_store", lambda url: store)
    return store


def test_a_store_that_raises_is_answered_in_every_format(flaky):
    app = create_app(Config(clock_start=1_700_000_000, clock_frozen=True))
    call = InProcess(app)
    wx, app_id = apps(call)
    flaky.failing = "all"
    assert_outage_answered(call, wx, app_id, "flaky", "switched off by the test")
    body = call("GET", "/sns/jscode2session", params={"appid": wx["appid"]})[1]
    assert RID.match(body["errmsg"]).group(1) == f"{1_700_000_000:08x}"  # the clock's time, though it cannot be read
    flaky.failing = None
    journal = call("GET", "/__mock__/requests")
    assert journal[0] == 200 and journal[1]["count"] == 0  # nothing journaled during the outage, nothing broken
    assert "openid" in login(call, wx)


def test_the_rid_of_an_outage_carries_the_time_last_read(flaky):
    start = 1_700_000_000
    config = Config(clock_start=start, clock_frozen=True)
    mover, app = InProcess(create_app(config)), create_app(config)  # two processes on one store
    call = InProcess(app)
    wx, _ = apps(call)
    mover("POST", "/__mock__/clock", json={"advance": 1000})
    call("GET", "/__mock__/clock")  # reads the clock another process moved
    flaky.failing = "all"
    assert RID.match(exchange(call, wx, "x")["errmsg"]).group(1) == f"{start + 1000:08x}"
    flaky.failing = None
    call("POST", "/__mock__/clock", json={"advance": 1000})  # moves it itself
    flaky.failing = "all"
    assert RID.match(exchange(call, wx, "x")["errmsg"]).group(1) == f"{start + 2000:08x}"


def test_writes_failing_mid_request_keep_the_services_answer(flaky):
    from support import authing_login, graphql

    app = create_app(Config())
    call = InProcess(app)
    wx, app_id = apps(call)
    token = authing_login(call.client, "yuna", app_id, wx["appid"])["token"]
    flaky.failing = "writes"  # the clock and the rules read; the route's write and the journal's fail
    status, body = call("GET", "/cgi-bin/token", params={"grant_type": "client_credential", "appid": wx["appid"],
                                                         "secret": wx["secret"]})
    assert (status, body["errcode"]) == (200, -1), body
    assert graphql(call.client, app_id, token, "mutation { updateUser(input: {nickname: \"x\"}) { id } }") == {
        "data": None, "errors": [{"message": {"code": 500, "message": MESSAGE, "data": None}}]}


# --- the --state URL's parameters -------------------------------------------------------------------
@pytest.mark.parametrize("query, message", [
    ("timeout=0", "timeout must be a number of seconds above 0"),
    ("timeout=soon", "timeout must be a number of seconds above 0"),
    ("check_ms=-1", "check_ms must be a number of ms, 0 or more"),
    ("check_ms=inf", "check_ms must be a number of ms, 0 or more"),
    ("busy=1", "unknown parameter 'busy' (sqlite takes timeout and check_ms)"),
])
def test_bad_backend_parameters_are_refused(tmp_path, query, message):
    url = f"sqlite:///{tmp_path / 'mock.db'}?{query}"
    with pytest.raises(ValueError) as refused:
        create_store(url)
    assert str(refused.value) == f"{url!r}: {message}"


def test_the_readme_examples_start_on_each_backend(private_redis, tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### When the state backend fails"):]
    section = section[:section.index("\n### ")]
    commands = re.findall(r"^mockserver (.+)$", section, re.MULTILINE)
    assert len(commands) == 2, commands
    monkeypatch.chdir(tmp_path)  # the SQLite example is relative to the working directory
    for command in commands:
        argv = shlex.split(command.replace("127.0.0.1:6379", f"127.0.0.1:{private_redis.port}"))
        app = create_app(config_from_args(parse(argv)))
        backend = app.extensions["mockserver"].store.backend
        assert app.test_client().get("/__mock__/health").get_json() == {"status": "ok", "backend": backend}
        app.extensions["mockserver"].store.close()
    assert (tmp_path / "mock.db").exists()
