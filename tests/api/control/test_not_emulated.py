"""Not emulated is never silent: a path no route emulates is answered in the format of the service
whose prefixes it is under, with ``X-Mock-Not-Emulated: 1``, one log warning per path, and a journal
entry marked ``"emulated": false`` — for WeChat, Authing, a service registered in a test, and paths
no service owns; the control plane's own unknown paths stay ordinary 404s."""
from __future__ import annotations

import logging

from flask import Response, jsonify

from mockserver import Config, create_app, not_emulated
from mockserver.emulation import WireFormat

NOT_EMULATED = "X-Mock-Not-Emulated"


def journal(client):
    return client.get("/__mock__/requests").get_json()["requests"]


def test_a_wechat_path_the_mock_lacks_answers_as_wechat_does_with_the_header(client):
    answer = client.post("/cgi-bin/express/business/order/add?access_token=x", json={})
    body = answer.get_json()
    assert answer.status_code == 200 and answer.headers[NOT_EMULATED] == "1"
    assert body["errcode"] == 40066 and body["errmsg"].startswith("invalid url")
    [entry] = journal(client)
    assert (entry["path"], entry["emulated"], entry["errcode"]) == ("/cgi-bin/express/business/order/add", False, 40066)


def test_emulated_paths_carry_no_header_even_when_they_refuse(client):
    refused = client.post("/cgi-bin/token")  # a known path, a wrong method: emulated
    assert refused.get_json()["errcode"] == 43001 and NOT_EMULATED not in refused.headers
    assert NOT_EMULATED not in client.get("/sns/jscode2session").headers
    assert [entry["emulated"] for entry in journal(client)] == [True, True]


def test_a_known_path_with_a_method_it_does_not_take_is_emulated(client):
    answer = client.get("/api/v3/signin-by-mobile")  # a POST route: routing answers 405
    assert answer.status_code == 405 and NOT_EMULATED not in answer.headers
    assert journal(client)[0]["emulated"] is True


def test_an_authing_path_is_answered_in_authing_s_format(client):
    answer = client.get("/api/v3/no-such-api")
    assert answer.headers[NOT_EMULATED] == "1" and answer.get_json()["apiCode"] == 404
    assert journal(client)[0]["emulated"] is False


def test_a_path_no_service_owns_is_marked_too(client):
    answer = client.get("/v1/anything")
    assert answer.status_code == 404 and answer.headers[NOT_EMULATED] == "1" and "error" in answer.get_json()
    [entry] = journal(client)
    assert (entry["path"], entry["emulated"]) == ("/v1/anything", False)


def test_the_control_plane_s_unknown_paths_are_plain_404s(client):
    answer = client.get("/__mock__/no-such-page")
    assert answer.status_code == 404 and NOT_EMULATED not in answer.headers
    assert journal(client) == []


def test_the_log_warns_once_per_path(client, caplog):
    with caplog.at_level(logging.WARNING, logger="mockserver"):
        for _ in range(3):
            client.get("/wxa/no_such_api")
        client.post("/wxa/no_such_api")
        client.get("/wxa/another_one")
    warnings = [record.getMessage() for record in caplog.records if "not emulated" in record.getMessage()]
    assert warnings == ["not emulated: GET /wxa/no_such_api (answered with X-Mock-Not-Emulated: 1)",
                        "not emulated: GET /wxa/another_one (answered with X-Mock-Not-Emulated: 1)"]


def test_past_a_thousand_paths_the_rest_go_unnamed(client, caplog, monkeypatch):
    monkeypatch.setattr(not_emulated, "WARNED_PATHS", 2)
    with caplog.at_level(logging.WARNING, logger="mockserver"):
        for n in range(5):
            assert client.get(f"/wxa/missing_{n}").headers[NOT_EMULATED] == "1"
    warnings = [record.getMessage() for record in caplog.records if "not emulated" in record.getMessage()]
    assert len(warnings) == 3 and warnings[-1].endswith("; further paths are not named")
    assert "/wxa/missing_2" in warnings[-1]


def test_each_app_warns_on_its_own(caplog):
    with caplog.at_level(logging.WARNING, logger="mockserver"):
        for _ in range(2):
            create_app(Config()).test_client().get("/wxa/no_such_api")
    assert sum("not emulated" in record.getMessage() for record in caplog.records) == 2


def test_a_service_declares_its_own_not_emulated_answer(tmp_path):
    """The answer comes from the service's wire format (``not_emulated``), the header from the app."""
    from unit.test_registry import ECHO  # a third service, declared in a few lines

    def not_emulated(exc) -> Response:
        response = jsonify({"status": 4040})
        response.status_code = 418
        return response

    default, = ECHO.wire_formats
    echo = ECHO._replace(wire_formats=(WireFormat(default.prefixes, default.http_error, default.internal_error,
                                                  not_emulated=not_emulated),))
    fixture = tmp_path / "echo.json"
    fixture.write_text('{"echo": {"start": 1}}')
    client = create_app(Config(fixtures=str(fixture)), services=[echo]).test_client()
    answer = client.get("/echo/nowhere")
    assert (answer.status_code, answer.get_json(), answer.headers[NOT_EMULATED]) == (418, {"status": 4040}, "1")
    without = create_app(Config(fixtures=str(fixture)), services=[ECHO]).test_client().get("/echo/nowhere")
    assert without.get_json() == {"status": 404} and without.headers[NOT_EMULATED] == "1"  # its http_error
