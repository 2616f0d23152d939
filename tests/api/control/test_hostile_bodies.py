"""Deeply nested JSON is refused as not JSON, in each service's own format, and never breaks the
journal: a body nests at most MAX_JSON_DEPTH (64) containers deep."""
from __future__ import annotations

import pytest

from mockserver.http import MAX_JSON_DEPTH


def nested(depth: int) -> str:
    """An object whose one field holds lists nested so that the whole body is ``depth`` deep."""
    return '{"x": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000, 200_000])
def test_too_deep_a_body_is_each_services_format_error(client, depth):
    body = nested(depth)
    answers = {path: client.post(path, data=body, content_type="application/json")
               for path in ("/cgi-bin/stable_token", "/api/v3/update-profile", "/graphql/v2", "/__mock__/users")}
    assert answers["/cgi-bin/stable_token"].get_json()["errcode"] == 47001
    v3 = answers["/api/v3/update-profile"].get_json()
    assert (v3["apiCode"], v3["message"]) == (400, "请求体 不是合法的 JSON")
    assert answers["/graphql/v2"].get_json()["errors"][0]["message"]["code"] == 400
    assert answers["/__mock__/users"].status_code == 400
    journal = client.get("/__mock__/requests")
    assert journal.status_code == 200
    assert all(isinstance(entry["body"], str) for entry in journal.get_json()["requests"])  # kept as text


def test_a_body_at_the_limit_is_json(client):
    answer = client.post("/cgi-bin/stable_token", data=nested(MAX_JSON_DEPTH), content_type="application/json")
    assert answer.get_json()["errcode"] == 41002  # parsed: the appid is what is missing
    [entry] = client.get("/__mock__/requests").get_json()["requests"]
    assert isinstance(entry["body"], dict)
