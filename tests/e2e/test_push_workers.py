"""``--workers`` processes on one shared state: every push goes out once, whichever worker took the
request, and a move of the shared clock by any worker sends what became due."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from support.processes import MockProcess, state_url
from support.push_receiver import PushReceiver
from wechatpy import parse_message

USERS = 12


def settled(http, url, count):
    """The deliveries, once ``count`` are listed and none is pending or being sent."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = http.get(url + "/__mock__/wechat/deliveries", timeout=20).json()["deliveries"]
        if len(listed) >= count and all(d["status"] not in ("pending", "sending") for d in listed):
            return listed
        time.sleep(0.05)
    raise AssertionError(listed)


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_workers_send_each_push_once(kind, tmp_path, request):
    server = MockProcess(env={"MOCKSERVER_STATE": state_url(kind, tmp_path, request), "MOCKSERVER_WORKERS": "3"})
    try:
        with PushReceiver() as backend, requests.Session() as http:
            app = http.post(server.url + "/__mock__/apps", json={"push": {
                "url": backend.url, "token": "workers", "mode": "plain"}}, timeout=20).json()
            aliases = [http.post(server.url + "/__mock__/users", json={}, timeout=20).json()["alias"]
                       for _ in range(USERS)]

            def write(alias):
                with requests.Session() as own:  # a connection each: the kernel spreads them over the workers
                    return own.post(server.url + "/__mock__/wechat/push", json={
                        "appid": app["appid"], "user": alias, "message": f"from {alias}"}, timeout=20).json()
            with ThreadPoolExecutor(USERS) as pool:
                said = list(pool.map(write, aliases))
            token = http.get(server.url + "/cgi-bin/token", params={
                "grant_type": "client_credential", "appid": app["appid"], "secret": app["secret"]}, timeout=20).json()
            checked = http.post(server.url + "/wxa/media_check_async", params={"access_token": token["access_token"]},
                                json={"media_url": "https://e.com/a.png", "media_type": 2}, timeout=20).json()
            http.post(server.url + "/__mock__/clock", json={"advance": 5}, timeout=20)
            received = backend.wait_for(USERS + 1, seconds=60)
            deliveries = settled(http, server.url, USERS + 1)
    finally:
        status, stderr = server.stop()
    assert status == 0, stderr
    assert [d["status"] for d in deliveries] == ["delivered"] * (USERS + 1)
    assert len(backend.posts()) == USERS + 1  # every push settled, none sent twice
    messages = [parse_message(r.body) for r in received]
    texts = sorted(m.content for m in messages if m.type == "text")
    assert texts == sorted(f"from {alias}" for alias in aliases)
    assert sorted(m.id for m in messages if m.type == "text") == sorted(s["message"]["MsgId"] for s in said)
    assert [m.trace_id for m in messages if m.type == "event"] == [checked["trace_id"]]
