"""Latency that varies: a fault's or stub's ``latency_ms`` as a number, a uniform range or a capped
log-normal, drawn from the seeded random source (the same seed gives the same delays), on every
state backend; bad shapes are refused. No test here measures time: the waits are recorded."""
from __future__ import annotations

import statistics

import pytest
from mockserver import Config, create_app
from mockserver.control import latency, traffic
from mockserver.core.ids import RandomSource
from support.processes import state_url


@pytest.fixture
def waits(monkeypatch):
    """The seconds each request waited, instead of waiting."""
    recorded = []
    monkeypatch.setattr(traffic.time, "sleep", recorded.append)
    return recorded


def token_calls(client, wx, n):
    query = {"grant_type": "client_credential", "appid": wx["appid"], "secret": wx["secret"]}
    return [client.get("/cgi-bin/token", query_string=query).get_json() for _ in range(n)]


@pytest.mark.parametrize("backend", ["memory", "sqlite", "redis"])
@pytest.mark.parametrize("kind", ["faults", "stubs"])
def test_the_same_seed_gives_the_same_delays(backend, kind, waits, tmp_path, request):
    shape = {"median": 80, "p99": 900, "max": 1500}
    rule = {"endpoint": "/cgi-bin/token", "latency_ms": shape,
            **({"body": {"access_token": "t", "expires_in": 7200}} if kind == "stubs" else {})}
    runs = []
    for run in range(2):
        (tmp_path / str(run)).mkdir()
        app = create_app(Config(seed=7, state=state_url(backend, tmp_path / str(run), request)))
        client = app.test_client()
        assert client.post(f"/__mock__/{kind}", json=rule).status_code == 201
        waits.clear()
        answers = token_calls(client, app.extensions["mockserver"].wechat.apps()[0], 6)
        runs.append((list(waits), answers))
        app.extensions["mockserver"].store.close()
    assert runs[0] == runs[1]
    delays = runs[0][0]
    assert len(delays) == 6 and len(set(delays)) == 6 and all(0 < d <= 1.5 for d in delays)


def test_a_uniform_range_stays_in_it_and_a_fixed_delay_is_fixed(waits, client, rt):
    wx = rt.wechat.apps()[0]
    client.post("/__mock__/faults", json={"endpoint": "/cgi-bin/token", "latency_ms": {"min": 20, "max": 40}, "times": 50})
    token_calls(client, wx, 50)
    assert len(waits) == 50 and all(0.020 <= w <= 0.040 for w in waits) and len(set(waits)) == 50
    waits.clear()
    client.post("/__mock__/faults", json={"endpoint": "/cgi-bin/token", "latency_ms": 15})
    token_calls(client, wx, 3)
    assert waits == [0.015] * 3


def test_the_log_normal_has_its_median_and_p99_and_never_passes_max():
    random = RandomSource(3)
    shape = {"median": 100, "p99": 1000, "max": 1200}
    draws = sorted(latency.draw(shape, random) for _ in range(20_000))
    assert 95 <= statistics.median(draws) <= 105
    assert 900 <= draws[int(0.99 * len(draws))] <= 1100
    assert max(draws) == 1200 and min(draws) > 0
    same = RandomSource(3)
    assert [latency.draw(shape, same) for _ in range(5)] == \
        [latency.draw(shape, r) for r in [RandomSource(3)] for _ in range(5)]


SHAPES = '\'latency_ms\' must be a number of milliseconds, {"min", "max"} (uniform) or {"median", "p99", "max"} ' \
         '(log-normal, capped), each from 0 to 120000 ms'
BAD = [
    (-5, SHAPES), (120_001, SHAPES), (True, SHAPES), ("100", SHAPES), ([1, 2], SHAPES),
    ({"min": 1}, SHAPES), ({"min": 1, "max": 2, "median": 3}, SHAPES), ({"median": 1, "p99": 2}, SHAPES),
    ({"min": 50, "max": 10}, "latency_ms: 'min' must not exceed 'max'"),
    ({"min": -1, "max": 10}, "latency_ms.min must be a number of milliseconds from 0 to 120000"),
    ({"min": 0, "max": "9"}, "latency_ms.max must be a number of milliseconds from 0 to 120000"),
    ({"median": 0, "p99": 5, "max": 9}, "latency_ms: give 0 < median <= p99 <= max"),
    ({"median": 10, "p99": 5, "max": 90}, "latency_ms: give 0 < median <= p99 <= max"),
    ({"median": 10, "p99": 50, "max": 20}, "latency_ms: give 0 < median <= p99 <= max"),
    ({"median": 10, "p99": 50, "max": 200_000}, "latency_ms.max must be a number of milliseconds from 0 to 120000"),
]


@pytest.mark.parametrize("kind", ["faults", "stubs"])
@pytest.mark.parametrize("shape, error", BAD)
def test_bad_latency_shapes_are_refused(client, kind, shape, error):
    rule = {"endpoint": "/cgi-bin/token", "latency_ms": shape, **({"body": {}} if kind == "stubs" else {})}
    response = client.post(f"/__mock__/{kind}", json=rule)
    assert (response.status_code, response.get_json()) == (400, {"error": error})
    assert client.get(f"/__mock__/{kind}").get_json() == {kind: []}


def test_z99_is_the_standard_normals_99th_percentile():
    """Written out in control/latency.py (statistics loads only when a log-normal delay is drawn)."""
    assert latency.Z99 == statistics.NormalDist().inv_cdf(0.99)
