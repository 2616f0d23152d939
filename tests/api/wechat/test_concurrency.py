"""State under concurrent requests: a code is exchanged at most once when 50 clients race."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from support import mint


def test_fifty_threads_exchange_one_code_exactly_once(live, client, wx_app, alias):
    code = mint(client, wx_app["appid"], alias)["code"]
    url = f"{live.url}/sns/jscode2session"
    params = {"appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": code,
              "grant_type": "authorization_code"}
    start = threading.Barrier(50)

    def exchange(_):
        with requests.Session() as session:
            start.wait()
            return session.get(url, params=params, timeout=30).json()

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(exchange, range(50)))

    successes = [a for a in answers if "openid" in a]
    assert len(successes) == 1
    assert sorted(a.get("errcode") for a in answers if "openid" not in a) == [40163] * 49


def test_concurrent_token_fetches_leave_one_current_token(live, wx_app):
    params = {"grant_type": "client_credential", "appid": wx_app["appid"], "secret": wx_app["secret"]}
    with ThreadPoolExecutor(max_workers=20) as pool:
        tokens = list(pool.map(lambda _: requests.get(f"{live.url}/cgi-bin/token", params=params).json(), range(20)))
    assert len({t["access_token"] for t in tokens}) == 20
    rt = live.app.extensions["mockserver"]
    current = rt.wechat.repo.current_tokens(wx_app["appid"])["token"]
    superseded = [t["access_token"] for t in tokens if t["access_token"] != current]
    assert len(superseded) == 19
    assert all(rt.wechat.repo.token(t)["superseded"] for t in superseded)


def test_concurrent_stable_token_renewals_agree_on_one_token(live, wx_app, monkeypatch):
    body = {"grant_type": "client_credential", "appid": wx_app["appid"], "secret": wx_app["secret"]}
    rt = live.app.extensions["mockserver"]
    read = rt.wechat.repo.token

    def slow_token_read(token):  # widens the window between looking at a token and renewing it
        time.sleep(0.01)
        return read(token)

    monkeypatch.setattr(rt.wechat.repo, "token", slow_token_read)
    def stable_tokens():
        return [t for t, rec in rt.wechat.repo.tokens() if rec["kind"] == "stable"]

    for round_ in range(5):
        before = stable_tokens()
        start = threading.Barrier(16)

        def renew(_):
            with requests.Session() as session:
                start.wait()
                return session.post(f"{live.url}/cgi-bin/stable_token", json=body, timeout=30).json()

        with ThreadPoolExecutor(max_workers=16) as pool:
            tokens = {answer["access_token"] for answer in pool.map(renew, range(16))}
        assert len(tokens) == 1, round_
        current = rt.wechat.repo.current_tokens(wx_app["appid"])["stable"]
        assert tokens == {current}
        # exactly one token made, none left over (older ones go as they are pruned)
        assert set(stable_tokens()) - set(before) == {current}
        rt.clock.advance(7000)  # inside the last 5 minutes: the next round renews it
