"""State shared across processes and kept across restarts: SQLite and Redis backends, --workers."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from mockserver import Config, create_app
from mockserver.core.store_sqlite import SqliteStore
from support.processes import MockProcess, state_url


@pytest.fixture(params=["sqlite", "redis"])
def url(request, tmp_path):
    return state_url(request.param, tmp_path, request)


def login(base, appid, user="yuna"):
    response = requests.post(f"{base}/__mock__/wechat/login", json={"appid": appid, "user": user}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["code"]


def race(bases, wx, code, attempts=50):
    """``attempts`` exchanges of one code at once, spread over the servers at ``bases``."""
    barrier = threading.Barrier(attempts)

    def exchange(i):
        base = bases[i % len(bases)]
        with requests.Session() as session:
            session.get(f"{base}/__mock__/health", timeout=10)  # connected before the start signal
            barrier.wait()
            return session.get(f"{base}/sns/jscode2session", timeout=30, params={
                "appid": wx["appid"], "secret": wx["secret"], "js_code": code,
                "grant_type": "authorization_code"}).json()

    with ThreadPoolExecutor(attempts) as pool:
        return list(pool.map(exchange, range(attempts)))


def test_state_survives_a_restart(url):
    first = create_app(Config(state=url))
    client, rt = first.test_client(), first.extensions["mockserver"]
    wx = rt.wechat.apps()[0]
    assert rt.loaded_fixture
    assert client.post("/__mock__/users", json={"alias": "mei"}).status_code == 201
    assert client.delete("/__mock__/users/jinyang").status_code == 200
    client.post("/__mock__/clock", json={"advance": 100})
    code = client.post("/__mock__/wechat/login", json={"appid": wx["appid"], "user": "mei"}).get_json()["code"]
    users = client.get("/__mock__/users").get_json()
    rt.store.close()

    again = create_app(Config(state=url))
    client, rt = again.test_client(), again.extensions["mockserver"]
    assert not rt.loaded_fixture
    assert client.get("/__mock__/users").get_json() == users
    assert client.get("/__mock__/clock").get_json()["offset"] == pytest.approx(100, abs=1)
    query = {"appid": wx["appid"], "secret": wx["secret"], "js_code": code, "grant_type": "authorization_code"}
    assert "openid" in client.get("/sns/jscode2session", query_string=query).get_json()
    assert client.get("/sns/jscode2session", query_string=query).get_json()["errcode"] == 40163
    # a restart draws a new random stream: it never mints a code the first run minted
    new_code = client.post("/__mock__/wechat/login", json={"appid": wx["appid"], "user": "mei"}).get_json()["code"]
    assert new_code != code
    client.post("/__mock__/reset")
    assert [u["alias"] for u in client.get("/__mock__/users").get_json()["users"]] == \
        [u["alias"] for u in create_app(Config()).extensions["mockserver"].wechat.users()]
    rt.store.close()


def test_kill_9_loses_no_acknowledged_write(tmp_path):
    path = tmp_path / "state.db"
    server = MockProcess("--state", f"sqlite:///{path}", "--threads", "8")
    acknowledged, cut_off, unexpected = [], [], []

    def writer(n):
        with requests.Session() as session:
            for i in range(100_000):
                alias = f"w{n}_{i}"
                try:
                    response = session.post(f"{server.url}/__mock__/users", json={"alias": alias}, timeout=10)
                except requests.RequestException:  # refused, reset, or cut in the middle of the answer
                    cut_off.append(alias)
                    return
                (acknowledged if response.status_code == 201 else unexpected).append(alias)

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in writers:
        thread.start()
    while len(acknowledged) < 300 and all(t.is_alive() for t in writers):
        time.sleep(0.01)
    os.kill(server.process.pid, signal.SIGKILL)  # in the middle of the load: writers are still writing
    server.process.wait()
    for thread in writers:
        thread.join()

    assert len(acknowledged) >= 300 and not unexpected
    assert len(cut_off) == len(writers)  # every writer was cut off by the kill, not done before it
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = SqliteStore(str(path))
    stored = {alias for alias, _ in store.items("wx.users")}
    store.close()
    assert set(acknowledged) <= stored


def test_two_processes_share_codes_users_and_clock(url):
    a, b = MockProcess("--state", url, "--threads", "25"), MockProcess("--state", url, "--threads", "25")
    try:
        assert "loaded the fixture" in a.banner and "resumed the stored state" in b.banner
        wx = requests.get(f"{a.url}/__mock__/apps", timeout=10).json()["wechat"][0]
        for _ in range(5):  # five rounds: a lost race shows up more surely than in one
            results = race([a.url, b.url], wx, login(a.url, wx["appid"]))
            assert sorted(r.get("errcode", 0) for r in results) == [0] + [40163] * 49

        assert requests.post(f"{b.url}/__mock__/users", json={"alias": "mei"}, timeout=10).status_code == 201
        assert requests.get(f"{a.url}/__mock__/users/mei", timeout=10).status_code == 200
        requests.post(f"{a.url}/__mock__/clock", json={"advance": 600}, timeout=10)
        assert requests.get(f"{b.url}/__mock__/clock", timeout=10).json()["offset"] == pytest.approx(600, abs=1)
        minted = {login(server.url, wx["appid"]) for server in (a, b) for _ in range(20)}
        assert len(minted) == 40  # each process draws its own stream: no code is minted twice
    finally:
        a.stop()
        b.stop()


def test_workers_share_one_port_and_state(tmp_path):
    server = MockProcess(env={"MOCKSERVER_STATE": f"sqlite:///{tmp_path / 'state.db'}", "MOCKSERVER_WORKERS": "3"})
    try:
        assert "workers: 3" in server.banner
        workers = children(server.process.pid, 3)
        assert len(workers) == 3
        wx = requests.get(f"{server.url}/__mock__/apps", timeout=10).json()["wechat"][0]
        results = race([server.url], wx, login(server.url, wx["appid"]))
        assert sum("openid" in r for r in results) == 1
    finally:
        status, stderr = server.stop()
    assert status == 0, stderr
    assert not any(os.path.exists(f"/proc/{pid}") for pid in workers)


def children(pid, expected):
    """Child pids of ``pid`` once there are ``expected`` of them (the banner comes before the forks)."""
    deadline = time.monotonic() + 10
    while True:
        found = {int(child) for child in open(f"/proc/{pid}/task/{pid}/children").read().split()}
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_workers_need_a_shared_state():
    result = subprocess.run([sys.executable, "-m", "mockserver", "--port", "0", "--workers", "2"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--workers above 1 needs a shared --state" in result.stderr
