"""A third emulated service, declared in a few lines here, gets faults, stubs, the journal, reset,
snapshots, dashboard tables, its fixture section and its own error format from the app without a
line changed outside it."""
from __future__ import annotations

import json
import re

import pytest
from flask import Blueprint, Response, jsonify

from mockserver import Config, create_app
from mockserver.emulation import CallerFacts, EmulatedService, FaultError, OpenApiPart, WireFormat
from mockserver.runtime import current


class EchoError(Exception):
    def __init__(self, status: int):
        self.status = status


def render(exc: EchoError) -> Response:
    response = jsonify({"status": exc.status})
    response.status_code = 418
    return response


class Echo:
    """The domain: counts pings in the store."""

    def __init__(self, store):
        self.store = store

    def ping(self) -> int:
        return self.store.update("echo.pings", "count", lambda n: ((n or 0) + 1, (n or 0) + 1))


echo_routes = Blueprint("echo", __name__)


@echo_routes.get("/echo/ping")
def ping():
    return {"status": 0, "pings": current().services["echo"].ping()}


@echo_routes.get("/echo/broken")
def broken():
    raise RuntimeError("a bug in the echo service")


ECHO = EmulatedService(
    name="echo", title="Echo",
    wire_formats=(WireFormat(("/echo/",), lambda exc: render(EchoError(exc.code or 400)),
                             lambda exc: render(EchoError(500))),),
    blueprints=(echo_routes,),
    error_handlers={EchoError: render},
    build=lambda context: Echo(context.store),
    initial_state=lambda echo, section, where, earlier: {"echo.pings": {"count": section.get("start", 0)}},
    caller=lambda echo, view: CallerFacts(appids=[view.headers.get("x-echo-app", "")], user=view.fields.get("who")),
    error_code=lambda body, status: body.get("status") if isinstance(body, dict) else None,
    fault_error=FaultError("echo", (), lambda spec: {"echo": spec["echo"]}, lambda stored: EchoError(stored["echo"])),
    malformed_body=b'{"status":',
    describe_apps=lambda echo: ["the echo app"],
    openapi=lambda: OpenApiPart({}, fault_fields={"echo": {"type": "integer"}}),
)
SERVICES = ["mockserver.wechat", "mockserver.authing", ECHO]


@pytest.fixture
def client(tmp_path):
    fixture = tmp_path / "fixture.json"
    fixture.write_text(json.dumps({"echo": {"start": 40}}))
    return create_app(Config(fixtures=str(fixture)), services=SERVICES).test_client()


def test_its_routes_fixture_section_and_reset(client):
    assert client.get("/echo/ping").get_json() == {"status": 0, "pings": 41}
    assert client.get("/echo/ping").get_json()["pings"] == 42
    assert client.post("/__mock__/reset").status_code == 200
    assert client.get("/echo/ping").get_json()["pings"] == 41
    assert client.get("/__mock__/apps").get_json()["echo"] == ["the echo app"]


def test_its_errors_in_its_own_format(client):
    assert (client.get("/echo/nowhere").status_code, client.get("/echo/nowhere").get_json()) == (418, {"status": 404})
    assert client.get("/echo/broken").get_json() == {"status": 500}


def test_its_outage_in_its_own_format(tmp_path, monkeypatch):
    """A service that declares no backend error answers a backend outage as its internal error."""
    from support.stores import FlakyStore

    store = FlakyStore()
    monkeypatch.setattr("mockserver.runtime.create_store", lambda url: store)
    fixture = tmp_path / "echo.json"
    fixture.write_text(json.dumps({"echo": {"start": 1}}))
    internal_error = WireFormat(("/echo/",), lambda exc: render(EchoError(exc.code or 400)),
                                lambda exc: render(EchoError(599)))
    echo = ECHO._replace(wire_formats=(internal_error,))
    client = create_app(Config(fixtures=str(fixture)), services=[echo]).test_client()
    store.failing = "all"
    assert (client.get("/echo/ping").status_code, client.get("/echo/ping").get_json()) == (418, {"status": 599})


def test_its_faults(client):
    rule = client.post("/__mock__/faults", json={"endpoint": "/echo/ping", "echo": 7, "times": 1}).get_json()
    assert rule["service"] == "echo" and rule["action"] == "echo"
    assert client.get("/echo/ping").get_json() == {"status": 7}
    assert client.get("/echo/ping").get_json()["pings"] == 41  # the faulted call changed nothing
    client.post("/__mock__/faults", json={"endpoint": "ping", "malformed": True, "times": 1})
    assert client.get("/echo/ping").data == b'{"status":'
    refused = client.post("/__mock__/faults", json={"endpoint": "/echo/ping", "errcode": -1})
    assert refused.get_json() == {"error": "'errcode' faults are for WeChat routes; use 'echo' for Echo routes"}
    described = client.get("/__mock__/openapi.json").get_json()["components"]["schemas"]["FaultRuleIn"]
    assert described["properties"]["echo"] == {"type": "integer"}


def test_its_calls_in_the_journal(client):
    client.get("/echo/ping?who=ann", headers={"x-echo-app": "e1"})
    client.post("/__mock__/faults", json={"endpoint": "/echo/ping", "echo": 9})
    client.get("/echo/ping")
    first, second = client.get("/__mock__/requests").get_json()["requests"]
    assert (first["route"], first["errcode"], first["appid"], first["user"]) == ("ping", 0, "e1", "ann")
    assert (second["errcode"], second["status"], second["fault"]) == (9, 418, "f1")


def test_an_app_of_the_third_service_alone(tmp_path):
    fixture = tmp_path / "echo.json"
    fixture.write_text(json.dumps({"echo": {"start": 1}}))
    client = create_app(Config(fixtures=str(fixture)), services=[ECHO]).test_client()
    assert client.get("/echo/ping").get_json()["pings"] == 2
    assert client.get("/__mock__/apps").get_json() == {"echo": ["the echo app"]}
    assert client.get("/sns/jscode2session").status_code == 404  # no WeChat here: the control plane's 404
    with pytest.raises(ValueError, match="unknown top-level keys"):  # a fixture for services it does not run
        create_app(Config(), services=[ECHO])


def test_a_service_that_needs_another_says_so(tmp_path):
    fixture = tmp_path / "authing-only.json"
    fixture.write_text(json.dumps({"authing": {}}))
    with pytest.raises(ValueError, match="register mockserver.wechat before it"):
        create_app(Config(fixtures=str(fixture)), services=["mockserver.authing"])


def test_its_dashboard_table_stubs_and_snapshot_in_a_few_lines(tmp_path):
    """A table with a form, a stub format, and its namespace in a snapshot: declarations only."""
    from mockserver.core.errors import ControlError
    from mockserver.emulation import DashboardAction, DashboardSection, StubFormat

    def check(route, status, body, raw):
        if not isinstance(body, dict) or not isinstance(body.get("status", 0), int):
            raise ControlError("an Echo answer is an object with an integer status")
        return "application/json"

    pings = DashboardSection(
        id="echo-pings", title="Echo pings", columns=(("count", "pings"),),
        rows=lambda echo, offset, limit: (1, [{"key": "count", "count": str(echo.store.get("echo.pings", "count"))}]),
        forms=(DashboardAction("ping", "Ping", lambda echo, values: f"pinged: {echo.ping()}"),))

    echo = ECHO._replace(dashboard_sections=(pings,), stubs=StubFormat(check))
    fixture = tmp_path / "echo.json"
    fixture.write_text(json.dumps({"echo": {"start": 5}}))
    client = create_app(Config(fixtures=str(fixture)), services=[echo]).test_client()

    html = client.get("/__mock__/").get_data(as_text=True)
    assert 'href="#echo-pings">Echo pings (1)</a>' in html and '<tr data-key="count">' in html
    form_token = re.search(r'name="csrf" value="(\w+)"', html).group(1)
    done = client.post("/__mock__/dashboard/echo-pings/ping", data={"csrf": form_token})
    assert done.headers["Location"].startswith("/__mock__/?notice=pinged%3A+6&sig=")

    assert client.post("/__mock__/stubs", json={"endpoint": "/echo/ping", "body": {"status": "x"}}).get_json() == \
        {"error": "an Echo answer is an object with an integer status"}
    client.post("/__mock__/stubs", json={"endpoint": "/echo/ping", "body": {"status": 0, "pings": "{{user}}"}})
    assert client.get("/echo/ping?who=ann").get_json() == {"status": 0, "pings": "ann"}

    snapshot = client.get("/__mock__/state").get_json()
    assert snapshot["state"]["entries"]["echo.pings"] == {"count": 6}
