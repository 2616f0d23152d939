"""DNS rebinding: a page on a domain rebound to 127.0.0.1 sends that domain as its Host; the control
plane answers only to its own names, so such a page can neither read secrets nor change state."""
from __future__ import annotations

import pytest

from mockserver import Config, create_app

REFUSED = ("the control plane answers only to its own host names, not 'rebind.attacker.example:8088' "
           "(a page on a rebound domain is refused); use 127.0.0.1 or localhost, or start the mock with "
           "--public-url naming this host")


@pytest.mark.parametrize("host", ["127.0.0.1:8088", "localhost:8088", "[::1]:8088", "10.1.2.3", "app.localhost",
                                  "api.weixin.qq.com", "core.authing.cn", "LocalHost"])
def test_its_own_names_are_answered(client, host):
    assert client.get("/__mock__/apps", headers={"Host": host}).status_code == 200


def test_a_rebound_domain_is_refused_and_changes_nothing(client, rt):
    host = {"Host": "rebind.attacker.example:8088"}
    refused = client.get("/__mock__/apps", headers=host)
    assert (refused.status_code, refused.get_json()) == (403, {"error": REFUSED})
    before = rt.clock.now()
    assert client.post("/__mock__/clock", json={"advance": 86400}, headers=host).status_code == 403
    assert client.post("/__mock__/users", json={"alias": "planted"}, headers=host).status_code == 403
    assert client.get("/__mock__/", headers=host).status_code == 403
    assert rt.clock.now() - before < 60 and client.get("/__mock__/users/planted").status_code == 404
    assert client.get("/__mock__/health", headers=host).status_code == 200  # reveals nothing
    assert client.get("/sns/jscode2session", headers=host).get_json()["errcode"] == 41002  # the emulated API


def test_the_names_it_is_told_about_are_answered():
    app = create_app(Config(host="mock.internal", public_url="https://mock.example.test:8443"))
    client = app.test_client()
    for host in ("mock.internal:8088", "mock.example.test:8443"):
        assert client.get("/__mock__/apps", headers={"Host": host}).status_code == 200
    assert client.get("/__mock__/apps", headers={"Host": "other.example.test"}).status_code == 403
