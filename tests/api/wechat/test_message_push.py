"""Message push, WeChat → the app's backend: URL verification, every mode and format checked with
wechatpy's own ``WeChatCrypto`` and ``parse_message``, the mock clock's due times, retries, the
journal, and one delivery per push across processes sharing a store."""
from __future__ import annotations

import json
import threading

import pytest
import xmltodict
from support import ROOT, WECHAT_HOST, RedirectAdapter
from support.processes import state_url
from support.push_receiver import PushReceiver, settled
from wechatpy import WeChatClient, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from mockserver import Config, create_app
from mockserver.core.fixtures import FixtureError
from mockserver.wechat import delivery, push as wire

TOKEN = "pushtoken42"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def configure(client, url, mode="safe", fmt="XML", **more):
    answer = client.post("/__mock__/apps", json={
        "name": "pushed", "push": {"url": url, "token": TOKEN, "aes_key": AES_KEY, "mode": mode, "format": fmt},
        **more})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def user_says(client, appid, text="hello", user="yuna"):
    answer = client.post("/__mock__/wechat/push", json={"appid": appid, "user": user, "message": text})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def opened(received, appid, fmt="XML"):
    """What the backend reads from one push, checked as wechatpy checks it: the message's fields."""
    q = received.query
    check_signature(TOKEN, q["signature"], q["timestamp"], q["nonce"])  # raises when wrong
    if "encrypt_type" not in q:
        text = received.body.decode()
    else:
        assert q["encrypt_type"] == "aes"
        outer = json.loads(received.body) if fmt == "JSON" else received.body
        text = WeChatCrypto(TOKEN, AES_KEY, appid).decrypt_message(outer, q["msg_signature"], q["timestamp"],
                                                                   q["nonce"])
    if fmt == "JSON":  # wechatpy parses XML only: the JSON fields go through the same parser
        fields = json.loads(text)
        return fields, parse_message(xmltodict.unparse({"xml": fields}))
    return xmltodict.parse(text)["xml"], parse_message(text)


# --- the URL check ---------------------------------------------------------------------------------
def test_a_push_url_is_verified_as_wechat_does_before_it_is_saved(client):
    with PushReceiver() as backend:
        app = configure(client, backend.url)
    check = backend.received[0]
    assert check.method == "GET" and check.path == "/wechat/push"
    assert set(check.query) == {"signature", "timestamp", "nonce", "echostr"}
    check_signature(TOKEN, check.query["signature"], check.query["timestamp"], check.query["nonce"])
    assert app["push"] == {"url": backend.url, "token": TOKEN, "aes_key": AES_KEY, "mode": "safe", "format": "XML"}
    assert [a["appid"] for a in client.get("/__mock__/apps").get_json()["wechat"]][-1] == app["appid"]


def test_a_url_that_does_not_echo_echostr_is_refused_and_nothing_is_saved(client):
    before = client.get("/__mock__/apps").get_json()
    with PushReceiver(echo=lambda echostr: json.dumps(echostr).encode()) as backend:  # quoted: wrong
        answer = client.post("/__mock__/apps", json={"push": {"url": backend.url, "token": TOKEN, "mode": "plain"}})
    assert answer.status_code == 400
    assert answer.get_json()["error"].startswith("push URL verification failed (the answer was '\"")
    assert client.get("/__mock__/apps").get_json() == before
    check = client.get("/__mock__/requests?path=push-verify").get_json()["requests"]
    assert [entry["outcome"] for entry in check] == ["verification failed"]


def test_an_unreachable_url_is_refused(client):
    with PushReceiver() as backend:
        url = backend.url
    answer = client.post("/__mock__/apps", json={"push": {"url": url, "token": TOKEN, "mode": "plain"}})
    assert answer.status_code == 400 and "ConnectionRefusedError" in answer.get_json()["error"]
    unnamable = client.post("/__mock__/apps", json={"push": {"url": f"http://{'a' * 70}.test/", "token": TOKEN,
                                                             "mode": "plain"}})
    assert unnamable.status_code == 400 and "UnicodeError" in unnamable.get_json()["error"]


@pytest.mark.parametrize("push, error", [
    ({"token": TOKEN}, "app: push.url must be an http:// or https:// URL"),
    ({"url": "ftp://x/y", "token": TOKEN}, "app: push.url must be an http:// or https:// URL"),
    ({"url": "http://h:port/", "token": TOKEN}, "app: push.url must be an http:// or https:// URL"),
    ({"url": "http://h/", "token": "ab"}, "app: push.token must be 3-32 letters or digits"),
    ({"url": "http://h/", "token": TOKEN, "mode": "secret"}, "app: push.mode must be one of ['plain', 'compatible', "
                                                             "'safe']"),
    ({"url": "http://h/", "token": TOKEN, "mode": "plain", "format": "xml"},
     "app: push.format must be one of ['XML', 'JSON']"),
    ({"url": "http://h/", "token": TOKEN}, "app: push.aes_key is needed in safe mode"),
    ({"url": "http://h/", "token": TOKEN, "aes_key": "short"},
     "app: push.aes_key must be 43 letters or digits (an EncodingAESKey)"),
    ({"url": "http://h/", "token": TOKEN, "secret": "x"},
     "app: unknown push fields ['secret'] (known: ['aes_key', 'format', 'mode', 'token', 'url'])"),
    ("http://h/", "app: push must be an object {url, token, aes_key, mode, format}"),
])
def test_a_bad_push_configuration_is_refused_naming_the_field(client, push, error):
    answer = client.post("/__mock__/apps", json={"push": push})
    assert answer.status_code == 400 and answer.get_json() == {"error": error}


# --- every mode and format, read by wechatpy ----------------------------------------------------------
@pytest.mark.parametrize("fmt", ["XML", "JSON"])
@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
def test_a_user_message_arrives_signed_and_encrypted_as_wechatpy_reads_it(client, mode, fmt):
    with PushReceiver() as backend:
        app = configure(client, backend.url, mode=mode, fmt=fmt)
        said = user_says(client, app["appid"], "你好 ]]> <b>")
        [received] = backend.wait_for(1)
    fields, message = opened(received, app["appid"], fmt)
    assert message.type == "text" and message.content == "你好 ]]> <b>"
    assert message.source == said["openid"] and message.target.startswith("gh_") and len(message.target) == 15
    assert message.id == said["message"]["MsgId"] and message.time == said["message"]["CreateTime"]
    assert received.headers["Content-Type"].startswith("text/xml" if fmt == "XML" else "application/json")
    outer = json.loads(received.body) if fmt == "JSON" else xmltodict.parse(received.body)["xml"]
    if mode == "safe":
        assert set(outer) == {"ToUserName", "Encrypt"}
    elif mode == "compatible":  # the plain fields and the ciphertext
        assert set(outer) == set(fields) | {"Encrypt"} and outer["Content"] == "你好 ]]> <b>"
    else:
        assert "Encrypt" not in outer and "msg_signature" not in received.query
    [entry] = client.get("/__mock__/requests?path=push").get_json()["requests"]
    assert (entry["outcome"], entry["status"], entry["response"], entry["try"]) == ("delivered", 200, "success", 1)
    assert entry["appid"] == app["appid"] and entry["user"] == "yuna" and entry["event"] == "text"


@pytest.mark.parametrize("fmt", ["XML", "JSON"])
def test_a_user_entering_the_chat_arrives_as_wechatpys_event(client, fmt):
    with PushReceiver() as backend:
        app = configure(client, backend.url, fmt=fmt)
        answer = client.post("/__mock__/wechat/push", json={
            "appid": app["appid"], "user": "yuna", "event": "user_enter_tempsession", "session_from": "order-42"})
        [received] = backend.wait_for(1)
    fields, event = opened(received, app["appid"], fmt)
    assert event.type == "event" and event.event == "user_enter_tempsession" and event.session_from == "order-42"
    assert event.source == answer.get_json()["openid"]


def test_a_tampered_push_fails_wechatpys_check(client):
    with PushReceiver() as backend:
        app = configure(client, backend.url)
        user_says(client, app["appid"])
        [received] = backend.wait_for(1)
    with pytest.raises(InvalidSignatureException):
        WeChatCrypto(TOKEN, AES_KEY, app["appid"]).decrypt_message(
            received.body, received.query["msg_signature"], str(int(received.query["timestamp"]) + 1),
            received.query["nonce"])


def test_the_same_seed_sends_the_same_bytes():
    bodies = []
    for _ in range(2):
        app = create_app(Config(clock_start=1_700_000_000, clock_frozen=True))
        client = app.test_client()
        with PushReceiver() as backend:
            appid = configure(client, backend.url)["appid"]
            user_says(client, appid)
            bodies.append((appid, backend.wait_for(1)[0].query, backend.wait_for(1)[0].body))
    assert bodies[0] == bodies[1]


def test_a_push_does_not_depend_on_requests_made_before_it_is_sent():
    """Its nonce and random prefix come from the seed and the push, not from the random source
    that requests in between draw from."""
    sent = []
    for logins in (0, 3):
        app = create_app(Config(clock_start=1_700_000_000, clock_frozen=True))
        client, rt = app.test_client(), app.extensions["mockserver"]
        with PushReceiver() as backend:
            appid = configure(client, backend.url)["appid"]
            message = wire.user_text("gh_000000000000", "o" + "x" * 27, 1, "later", 1)
            rt.wechat.push.push(rt.wechat.app(appid), message, due_at=rt.clock.now() + 10)
            for _ in range(logins):
                client.post("/__mock__/wechat/login", json={"appid": appid, "user": "yuna"})
            client.post("/__mock__/clock", json={"advance": 10})
            received = backend.wait_for(1)[0]
            sent.append((received.query, received.body))
    assert sent[0] == sent[1]


# --- an app without a push URL -------------------------------------------------------------------------
def test_without_a_push_url_nothing_is_delivered_and_the_journal_says_so(client, wx_app):
    said = user_says(client, wx_app["appid"])
    assert said["delivery"]["status"] == "nothing"
    [entry] = client.get("/__mock__/requests?path=push").get_json()["requests"]
    assert entry["outcome"] == "no push URL: nothing delivered" and entry["path"] == "(no push URL)"
    assert entry["status"] is None and entry["appid"] == wx_app["appid"]
    window = said["window"]
    assert window["remaining"] == 5 and window["expires_at"] - window["interacted_at"] == 48 * 3600


@pytest.mark.parametrize("body, status, error", [
    ({"user": "yuna", "message": "hi"}, 400, "'appid' is required"),
    ({"appid": "APP", "message": "hi"}, 400, "'user' is required"),
    ({"appid": "APP", "user": "yuna", "message": ""}, 400,
     "'message' must be a non-empty text of at most 2048 characters"),
    ({"appid": "APP", "user": "yuna", "message": 5}, 400,
     "'message' must be a non-empty text of at most 2048 characters"),
    ({"appid": "APP", "user": "nobody", "message": "hi"}, 404, "no WeChat user with alias or openid 'nobody'"),
    ({"appid": "wx0000000000000000", "user": "yuna", "message": "hi"}, 404,
     "no mini-program app with appid 'wx0000000000000000'"),
])
def test_a_bad_user_message_is_refused(client, wx_app, body, status, error):
    body = {k: wx_app["appid"] if v == "APP" else v for k, v in body.items()}
    answer = client.post("/__mock__/wechat/push", json=body)
    assert (answer.status_code, answer.get_json()) == (status, {"error": error})
    assert client.get("/__mock__/wechat/deliveries").get_json()["total"] == 0


# --- the background and the clock --------------------------------------------------------------------
def test_a_slow_backend_never_holds_up_the_request(client):
    hold = threading.Event()
    with PushReceiver(hold=hold) as backend:
        app = configure(client, backend.url)
        said = user_says(client, app["appid"])  # answered while the backend still holds the push
        backend.wait_for(1)
        assert said["delivery"]["status"] == "pending"
        assert client.get("/__mock__/wechat/deliveries").get_json()["deliveries"][0]["status"] == "sending"
        hold.set()
        assert settled(client, 1)[0]["status"] == "delivered"


def test_media_check_result_is_pushed_when_the_mock_clock_passes_its_due_time(live, http):
    with PushReceiver() as backend:
        app = http.post(live.url + "/__mock__/apps", json={"push": {
            "url": backend.url, "token": TOKEN, "aes_key": AES_KEY, "mode": "safe", "format": "XML"}}).json()
        client = WeChatClient(app["appid"], app["secret"])
        client._http.mount(WECHAT_HOST, RedirectAdapter(live.url))
        answer = client.wxa.check_media_async("https://example.com/cat.png", 2)
        risky = client.wxa.check_media_async("https://example.com/MOCK_RISKY.png", 2)
        assert answer["errcode"] == 0 and len(answer["trace_id"].split("-")) == 3
        pending = http.get(live.url + "/__mock__/wechat/deliveries").json()["deliveries"]
        assert [d["status"] for d in pending] == ["pending", "pending"]  # due 5 s of mock clock later
        http.post(live.url + "/__mock__/clock", json={"advance": 5})
        first, second = backend.wait_for(2)
    for received, trace_id, risk in ((first, answer["trace_id"], 0), (second, risky["trace_id"], 1)):
        fields, event = opened(received, app["appid"])
        assert event.type == "event" and event.event == "wxa_media_check"
        assert (event.trace_id, event.is_risky, event.status_code) == (trace_id, risk, 0)
        assert fields["appid"] == app["appid"]


def test_real_time_passing_makes_a_push_due_too(client, rt):
    with PushReceiver() as backend:
        app = configure(client, backend.url, mode="plain")
        message = wire.user_text("gh_000000000000", "o" + "x" * 27, rt.clock.now_int(), "later", 1)
        rt.wechat.push.push(rt.wechat.app(app["appid"]), message, due_at=rt.clock.now() + 0.2)
        [received] = backend.wait_for(1)
    assert parse_message(received.body).content == "later"


def test_pushes_go_out_in_due_time_order(client, rt):
    with PushReceiver() as backend:
        app = configure(client, backend.url, mode="plain")
        record, now = rt.wechat.app(app["appid"]), rt.clock.now()
        for text, due in (("third", 30), ("first", 10), ("second", 20), ("fourth", 30)):
            rt.wechat.push.push(record, wire.user_text("gh_000000000000", "o" + "x" * 27, 1, text, 1),
                                due_at=now + due)
        client.post("/__mock__/clock", json={"advance": 60})
        received = backend.wait_for(4)
    assert [parse_message(r.body).content for r in received] == ["first", "second", "third", "fourth"]


# --- retries and failures ---------------------------------------------------------------------------------
def test_a_failing_backend_is_tried_three_times_then_the_push_fails(client):
    with PushReceiver(answer=lambda n: (500, b"oops")) as backend:
        app = configure(client, backend.url)
        user_says(client, app["appid"])
        [record] = settled(client, 1)
    assert len(backend.posts()) == 3
    assert record["status"] == "failed" and [t["outcome"] for t in record["tries"]] == ["retried", "retried", "failed"]
    journal = client.get("/__mock__/requests?path=push").get_json()["requests"]
    assert [(e["try"], e["status"], e["outcome"]) for e in journal] == [(1, 500, "retried"), (2, 500, "retried"),
                                                                       (3, 500, "failed")]


def test_a_backend_that_fails_once_gets_the_push_on_the_second_try(client):
    with PushReceiver(answer=lambda n: (503, b"") if n == 1 else (200, b"")) as backend:
        app = configure(client, backend.url)
        user_says(client, app["appid"])
        [record] = settled(client, 1)
    assert record["status"] == "delivered" and [t["outcome"] for t in record["tries"]] == ["retried", "delivered"]
    assert len({r.query["nonce"] for r in backend.posts()}) == 2  # each try signed afresh


def test_a_backend_that_is_gone_fails_with_the_connection_error(client):
    with PushReceiver() as backend:
        app = configure(client, backend.url)
    user_says(client, app["appid"])
    [record] = settled(client, 1)
    assert record["status"] == "failed" and len(record["tries"]) == 3
    assert all(t["status"] is None and t["error"].startswith("ConnectionRefusedError") for t in record["tries"])


def test_a_backend_slower_than_the_timeout_is_retried(client, rt):
    hold = threading.Event()
    with PushReceiver(hold=hold) as backend:
        app = configure(client, backend.url)
        rt.wechat.push.timeout = 0.2
        user_says(client, app["appid"])
        [record] = settled(client, 1)
        hold.set()
    assert record["status"] == "failed" and [t["error"] for t in record["tries"]] == ["TimeoutError: timed out"] * 3


def test_an_answer_other_than_success_is_delivered_with_a_note(client):
    with PushReceiver(answer=lambda n: (200, b"<xml>reply</xml>")) as backend:
        app = configure(client, backend.url)
        user_says(client, app["appid"])
        [record] = settled(client, 1)
    assert record["status"] == "delivered" and record["tries"][0]["note"] == delivery.EXPECTED_ANSWER


# --- subscribe consent: the function other code calls ----------------------------------------------------
@pytest.mark.parametrize("withdrawn, event, wrapper", [
    (False, "subscribe_msg_popup_event", "SubscribeMsgPopupEvent"),
    (True, "subscribe_msg_change_event", "SubscribeMsgChangeEvent"),
])
@pytest.mark.parametrize("fmt", ["XML", "JSON"])
def test_subscribe_consent_is_pushed_in_wechats_shape(client, rt, withdrawn, event, wrapper, fmt):
    choices = [("tmplA", "accept"), ("tmplB", "reject")]
    with PushReceiver() as backend:
        app = configure(client, backend.url, fmt=fmt)
        record = rt.wechat.push_consent(app["appid"], "yuna", choices, withdrawn=withdrawn)
        [received] = backend.wait_for(1)
    fields, message = opened(received, app["appid"], fmt)
    # wechatpy 1.8.18 knows no class for these events: its parser still reads the common fields
    assert record["event"] == event and message.type == "unknown" and message.target == fields["ToUserName"]
    assert fields["Event"] == event and fields["FromUserName"] == rt.wechat.openid(rt.wechat.user("yuna"),
                                                                                   app["appid"])
    items = fields[wrapper] if fmt == "JSON" else fields[wrapper]["List"]
    assert [(i["TemplateId"], i["SubscribeStatusString"]) for i in items] == choices
    assert ("PopupScene" in items[0]) is (not withdrawn)



# --- subscribe consent: given through the control plane (and the wx shim, which posts the same) -----------
def consent(client, appid, **more):
    return client.post("/__mock__/wechat/subscriptions", json={
        "appid": appid, "user": "yuna", "template_ids": ["tmplA", "tmplB"], "accept": {"tmplA": True, "tmplB": False},
        **more})


def consent_items(received, appid, wrapper):
    fields, message = opened(received, appid)
    return fields, [(item["TemplateId"], item["SubscribeStatusString"]) for item in fields[wrapper]["List"]]


def test_a_consent_posted_to_the_control_plane_arrives_as_the_popup_event(client):
    with PushReceiver() as backend:
        app = configure(client, backend.url)
        answer = consent(client, app["appid"])
        [received] = backend.wait_for(1)
    assert answer.status_code == 200 and answer.get_json()["results"] == {"tmplA": "accept", "tmplB": "reject"}
    fields, items = consent_items(received, app["appid"], "SubscribeMsgPopupEvent")
    assert (fields["Event"], fields["FromUserName"]) == ("subscribe_msg_popup_event", answer.get_json()["openid"])
    assert items == [("tmplA", "accept"), ("tmplB", "reject")]
    assert [d["event"] for d in settled(client, 1)] == ["subscribe_msg_popup_event"]


def test_a_consent_changed_in_the_settings_arrives_as_the_change_event(client):
    with PushReceiver() as backend:
        app = configure(client, backend.url)
        answer = consent(client, app["appid"], accept=False, in_settings=True)
        [received] = backend.wait_for(1)
    assert answer.status_code == 200
    fields, items = consent_items(received, app["appid"], "SubscribeMsgChangeEvent")
    assert fields["Event"] == "subscribe_msg_change_event" and items == [("tmplA", "reject"), ("tmplB", "reject")]


@pytest.mark.parametrize("in_settings", ["yes", 1, None, []])
def test_a_consent_with_a_non_boolean_in_settings_is_refused_and_changes_nothing(client, in_settings):
    with PushReceiver() as backend:
        app = configure(client, backend.url)
        answer = consent(client, app["appid"], in_settings=in_settings)
        held = client.get("/__mock__/wechat/subscriptions", query_string={"appid": app["appid"], "user": "yuna"})
        deliveries = client.get("/__mock__/wechat/deliveries").get_json()
    assert (answer.status_code, answer.get_json()) == (400, {"error": "'in_settings' must be true or false"})
    assert held.get_json()["consents"] == {} and deliveries["total"] == 0 and backend.posts() == []


def test_a_consent_for_an_app_without_a_push_url_is_journaled_as_nothing_delivered(client, wx_app):
    answer = client.post("/__mock__/wechat/subscriptions", json={
        "appid": wx_app["appid"], "user": "yuna", "template_ids": ["tmplA"], "accept": True})
    assert answer.status_code == 200
    [entry] = client.get("/__mock__/requests?path=push").get_json()["requests"]
    assert (entry["outcome"], entry["event"], entry["appid"], entry["user"]) == (
        "no push URL: nothing delivered", "subscribe_msg_popup_event", wx_app["appid"], "yuna")
    [record] = client.get("/__mock__/wechat/deliveries").get_json()["deliveries"]
    assert record["status"] == "nothing"

def test_push_event_sends_any_built_event_now_or_when_due(client, rt):
    with PushReceiver() as backend:
        app = configure(client, backend.url)
        now = rt.clock.now_int()
        message = wire.media_check("gh_000000000000", "o" + "y" * 27, now, app["appid"], "trace-1", "pass", 100,
                                   v2=True)
        record = rt.wechat.push_event(app["appid"], message)
        [received] = backend.wait_for(1)
    assert record["event"] == "wxa_media_check"
    fields, event = opened(received, app["appid"])
    assert event.trace_id == "trace-1" and fields["result"] == {"suggest": "pass", "label": "100"}


# --- processes sharing a store -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_processes_sharing_a_store_send_each_push_once(kind, tmp_path, request):
    url = state_url(kind, tmp_path, request)
    first, second = create_app(Config(state=url)), create_app(Config(state=url))
    rts = [app.extensions["mockserver"] for app in (first, second)]
    try:
        with PushReceiver() as backend:
            appid = configure(first.test_client(), backend.url, mode="plain")["appid"]
            record, now = rts[0].wechat.app(appid), rts[0].clock.now()
            for number in range(20):
                rts[number % 2].wechat.push.push(record, wire.user_text("gh_000000000000", "o" + "x" * 27, 1,
                                                                        f"m{number}", number), due_at=now + 100)
            second.test_client().post("/__mock__/clock", json={"advance": 200})  # wakes the second only
            racers = [threading.Thread(target=rt.wechat.push.send_due) for rt in rts]
            for racer in racers:
                racer.start()
            for racer in racers:
                racer.join()
            settled(first.test_client(), 20)
            received = backend.posts()
    finally:
        for rt in rts:
            rt.store.close()
    assert sorted(parse_message(r.body).content for r in received) == sorted(f"m{n}" for n in range(20))


# --- the fixture, and what is checked before anything is sent ------------------------------------------
def fixture_with_push(tmp_path, push):
    fixture = json.loads((ROOT / "mockserver" / "data" / "default.json").read_text(encoding="utf-8"))
    fixture["wechat"]["apps"][0]["push"] = push
    path = tmp_path / "fixture.json"
    path.write_text(json.dumps(fixture), encoding="utf-8")
    return str(path)


def test_a_fixture_app_pushes_to_its_url_unchecked(tmp_path):
    with PushReceiver() as backend:
        push = {"url": backend.url, "token": TOKEN, "aes_key": AES_KEY, "mode": "compatible", "format": "JSON"}
        app = create_app(Config(fixtures=fixture_with_push(tmp_path, push)))
        client = app.test_client()
        appid = client.get("/__mock__/apps").get_json()["wechat"][0]["appid"]
        user_says(client, appid, "from the fixture")
        [received] = backend.wait_for(1)
    assert [r.method for r in backend.received] == ["POST"]  # no URL check for a fixture's app
    assert opened(received, appid, "JSON")[1].content == "from the fixture"


def test_a_fixture_with_a_bad_push_names_the_app(tmp_path):
    with pytest.raises(FixtureError) as refused:
        create_app(Config(fixtures=fixture_with_push(tmp_path, {"url": "http://h/", "token": TOKEN, "mode": "x"})))
    assert str(refused.value).endswith("wechat.apps[0]: push.mode must be one of ['plain', 'compatible', 'safe']")


def test_an_app_that_exists_is_refused_before_its_url_is_called(client, wx_app):
    with PushReceiver() as backend:
        answer = client.post("/__mock__/apps", json={"appid": wx_app["appid"], "push": {
            "url": backend.url, "token": TOKEN, "mode": "plain"}})
    assert answer.status_code == 409 and backend.received == []


def test_moving_a_frozen_clock_sends_what_became_due():
    app = create_app(Config(clock_start=1_700_000_000, clock_frozen=True))
    client = app.test_client()
    with PushReceiver() as backend:
        created = configure(client, backend.url)
        token = client.get("/cgi-bin/token", query_string={"grant_type": "client_credential", "appid": created["appid"],
                                                           "secret": created["secret"]}).get_json()["access_token"]
        checked = client.post(f"/wxa/media_check_async?access_token={token}",
                              json={"media_url": "https://e.com/a.png", "media_type": 2}).get_json()
        client.post("/__mock__/clock", json={"advance": 4})
        assert client.get("/__mock__/wechat/deliveries").get_json()["deliveries"][0]["status"] == "pending"
        client.post("/__mock__/clock", json={"advance": 1})
        [received] = backend.wait_for(1)
    fields, event = opened(received, created["appid"])
    assert event.trace_id == checked["trace_id"] and event.time == 1_700_000_005


def test_a_clock_move_starts_no_sender_while_nothing_is_queued(client, rt):
    client.post("/__mock__/clock", json={"advance": 60})
    assert "push" not in rt.wechat.__dict__  # the sender, and its thread, are made when a push is queued


def test_a_push_queued_in_a_loaded_snapshot_goes_out_when_the_clock_reaches_it(client, rt):
    """A process that queued nothing itself (its sender never made) still sends what the state holds."""
    with PushReceiver() as backend:
        app = configure(client, backend.url, mode="plain")
        message = wire.user_text("gh_000000000000", "o" + "x" * 27, 1, "from the snapshot", 1)
        rt.wechat.push.push(rt.wechat.app(app["appid"]), message, due_at=rt.clock.now() + 3600)
        snapshot = client.get("/__mock__/state").get_data()
        fresh = create_app(Config()).test_client()
        assert fresh.put("/__mock__/state", data=snapshot, content_type="application/json").status_code == 200
        fresh.post("/__mock__/clock", json={"advance": 7200})
        [received] = backend.wait_for(1)
    assert parse_message(received.body).content == "from the snapshot"
