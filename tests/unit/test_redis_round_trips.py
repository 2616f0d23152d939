"""A login on the Redis backend costs at most six round trips to Redis, counted at redis-py's
connection (one ``send_packed_command`` is one round trip: a pipeline or a script is one)."""
from __future__ import annotations

import pytest
from mockserver import Config, create_app
from redis.connection import Connection
from support import mint


@pytest.fixture
def round_trips(monkeypatch):
    sent = []
    original = Connection.send_packed_command

    def counting(connection, command, check_health=True):
        sent.append(command)
        return original(connection, command, check_health)
    monkeypatch.setattr(Connection, "send_packed_command", counting)
    return sent


def test_a_login_takes_at_most_six_round_trips(redis_server, round_trips):
    app = create_app(Config(state=redis_server.url()))
    client, rt = app.test_client(), app.extensions["mockserver"]
    wx = rt.wechat.apps()[0]
    query = {"appid": wx["appid"], "secret": wx["secret"], "grant_type": "authorization_code"}
    for _ in range(2):  # the first calls load the scripts into Redis
        assert "openid" in client.get("/sns/jscode2session", query_string={
            **query, "js_code": mint(client, wx["appid"], "yuna")["code"]}).get_json()
    code = mint(client, wx["appid"], "yuna")["code"]
    round_trips.clear()
    answer = client.get("/sns/jscode2session", query_string={**query, "js_code": code}).get_json()
    assert "openid" in answer
    # request state (fault rules + clock), who calls, app + code, take the code (read, commit), journal
    assert len(round_trips) <= 6, round_trips
    rt.store.close()
