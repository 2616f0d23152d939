"""A bounded load test on loopback: 20,000 requests from 32 concurrent clients over the WeChat,
Authing and control-plane endpoints, against a real server process, on each state backend.

Checked: no 5xx; no lost profile update (each (user, field) has one writer client, whose last
write must be what the server holds, and loginsCount must equal the logins counted by clients);
every code exchanged at most once, though codes are raced between clients.
"""
from __future__ import annotations

import http.client
import json
import random
import threading
from collections import Counter, defaultdict

import pytest

from support.processes import start, state_url

CLIENTS = 32
TOTAL_REQUESTS = 20_000
WECHAT_FIELDS = ["nickname", "city", "province", "country", "language", "avatar_url"]
AUTHING_FIELDS = ["name", "nickname", "country", "province", "city", "address", "streetAddress", "company"]
SHARED_USERS = 4
UPDATE_USER = ("mutation updateUser($id: String, $input: UpdateUserInput!) "
               "{ updateUser(id: $id, input: $input) { id } }")
CHECK_LOGIN = ("query checkLoginStatus($token: String) "
               "{ checkLoginStatus(token: $token) { code status } }")


class BudgetSpent(Exception):
    pass


class Client:
    """One keep-alive connection with a request budget; records any 5xx."""

    def __init__(self, url, budget, failures):
        host, port = url[len("http://"):].split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.budget, self.failures = budget, failures

    def call(self, method, path, body=None, headers=None):
        if self.budget <= 0:
            raise BudgetSpent
        self.budget -= 1
        self.conn.request(method, path, body=None if body is None else json.dumps(body),
                          headers={"Content-Type": "application/json", **(headers or {})})
        response = self.conn.getresponse()
        payload = response.read()
        if response.status >= 500:
            self.failures.append((method, path, response.status, payload[:200]))
        return json.loads(payload) if payload[:1] in (b"{", b"[") else payload


@pytest.fixture(scope="module", params=["memory", "sqlite", "redis"])
def server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("load")
    state = state_url(request.param, folder, request)
    with open(folder / "server.log", "w") as stderr:  # waitress warns about its queue depth under this load
        process, url, _ = start("--port", "0", "--threads", "16", "--log-level", "warning", "--state", state,
                                stderr=stderr)
        yield url
        process.terminate()
        process.wait(timeout=10)


def test_twenty_thousand_requests_from_32_clients(server):
    setup = Client(server, 100, [])
    apps = setup.call("GET", "/__mock__/apps")
    wx, authing = apps["wechat"][0], apps["authing"]["apps"][0]
    aliases = [u["alias"] for u in setup.call("GET", "/__mock__/users")["users"][:SHARED_USERS]]
    authing_headers = {"x-authing-userpool-id": authing["userPoolId"], "x-authing-app-id": authing["appId"]}
    creds = f"appid={wx['appid']}&secret={wx['secret']}"

    failures, lock = [], threading.Lock()
    code_pool, exchanges = [], defaultdict(list)           # code -> answers
    last_wechat, last_authing = {}, {}                     # (alias, field) -> last value written
    logins, authing_ids = Counter(), {}                    # alias -> successful Authing logins
    barrier = threading.Barrier(CLIENTS)

    def worker(index):
        rng = random.Random(index)
        client = Client(server, TOTAL_REQUESTS // CLIENTS, failures)
        alias = aliases[index % SHARED_USERS]
        wechat_field = WECHAT_FIELDS[index // SHARED_USERS] if index // SHARED_USERS < len(WECHAT_FIELDS) else None
        authing_field = AUTHING_FIELDS[index // SHARED_USERS]
        token, written = None, 0
        barrier.wait()
        try:
            while True:
                step = written % 6
                written += 1
                if token is None or step == 0:  # Authing loginByCode (counts towards loginsCount)
                    code = client.call("POST", "/__mock__/wechat/login", {"appid": wx["appid"], "user": alias})["code"]
                    user = client.call("POST", "/connections/social/wechat-miniprogram/auth", {"code": code},
                                       authing_headers)
                    assert user["code"] == 200, user
                    token = user["data"]["token"]
                    with lock:
                        logins[alias] += 1
                        authing_ids[alias] = user["data"]["id"]
                elif step == 1:  # codes raced between clients
                    code = client.call("POST", "/__mock__/wechat/login", {"appid": wx["appid"], "user": alias})["code"]
                    with lock:
                        code_pool.append(code)
                        target = rng.choice(code_pool[-CLIENTS:])
                    answer = client.call("GET", f"/sns/jscode2session?{creds}&js_code={target}")
                    with lock:
                        exchanges[target].append(answer)
                elif step == 2:  # profile updates: this client is the only writer of its field
                    value = f"c{index}-{written}"
                    answer = client.call("POST", "/graphql/v2", {"query": UPDATE_USER,
                                                                 "variables": {"input": {authing_field: value}}},
                                         {**authing_headers, "Authorization": f"Bearer {token}"})
                    assert "errors" not in answer, answer
                    last_authing[(alias, authing_field)] = value
                    if wechat_field:
                        wx_value = "zh_CN" if wechat_field == "language" and written % 2 else value
                        client.call("PATCH", f"/__mock__/users/{alias}", {wechat_field: wx_value})
                        last_wechat[(alias, wechat_field)] = wx_value
                elif step == 3:  # tokens and a token-protected API
                    access = client.call("POST", "/cgi-bin/stable_token", {"grant_type": "client_credential",
                                                                           "appid": wx["appid"], "secret": wx["secret"]})
                    phone = client.call("POST", "/__mock__/wechat/phone-code", {"appid": wx["appid"], "user": alias})
                    info = client.call("POST", f"/wxa/business/getuserphonenumber?access_token={access['access_token']}",
                                       {"code": phone["code"]})
                    assert info["errcode"] in (0, 40001), info  # another client may force a refresh in between
                elif step == 4:  # reads
                    client.call("GET", "/api/v2/users/me", headers={**authing_headers, "Authorization": f"Bearer {token}"})
                    client.call("POST", "/graphql/v2", {"query": CHECK_LOGIN, "variables": {"token": token}},
                                authing_headers)
                    client.call("GET", "/oidc/.well-known/jwks.json")
                else:
                    client.call("GET", f"/__mock__/users/{alias}")
                    client.call("GET", f"/sns/jscode2session?{creds}&js_code=0{'x' * 31}")  # unknown code
        except BudgetSpent:
            pass

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    # every code exchanged at most once, even when several clients raced for it
    assert sum(len(answers) for answers in exchanges.values()) > 500
    for code, answers in exchanges.items():
        successes = [a for a in answers if "openid" in a]
        assert len(successes) == 1, (code, answers)
        assert all(a.get("errcode") == 40163 for a in answers if "openid" not in a)
    # no lost profile update
    check = Client(server, 1000, failures)
    for alias in aliases:
        authing_user = check.call("GET", f"/__mock__/authing/users/{authing_ids[alias]}")
        assert authing_user["loginsCount"] == logins[alias]
        for field in AUTHING_FIELDS:
            if (alias, field) in last_authing:
                assert authing_user[field] == last_authing[(alias, field)], (alias, field)
        wechat_user = check.call("GET", f"/__mock__/users/{alias}")
        for field in WECHAT_FIELDS:
            if (alias, field) in last_wechat:
                assert wechat_user[field] == last_wechat[(alias, field)], (alias, field)
