"""The journal keeps at most ``--journal-max-fields`` fields and ``--journal-max-bytes`` bytes of each
part of an exchange, whatever a client sends; an entry names the parts it cut, with their sizes."""
from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from mockserver import Config, create_app
from mockserver.cli import config_from_args, parse
from mockserver.control.journal import MASK, Bounds, bounded, is_secret
from mockserver.flags import FlagError

BOUNDS = Bounds()  # the defaults: 8192 bytes, 200 fields


def recorded(client):
    answer = client.get("/__mock__/requests")
    assert answer.status_code == 200  # the journal answers whatever it stored
    return answer.get_json()["requests"]


def size(value) -> int:
    return len(json.dumps(value))


def fields(value) -> int:
    if isinstance(value, dict):
        return len(value) + sum(fields(v) for v in value.values())
    if isinstance(value, list):
        return len(value) + sum(fields(v) for v in value)
    return 0


def within_bounds(value, bounds: Bounds = BOUNDS) -> bool:
    return size(value) <= bounds.max_bytes and fields(value) <= bounds.max_fields


def test_an_ordinary_exchange_is_kept_whole(client, wx_app):
    client.get("/cgi-bin/token", query_string={"grant_type": "client_credential", "appid": wx_app["appid"],
                                               "secret": wx_app["secret"]})
    [entry] = recorded(client)
    assert entry["truncated"] is None
    assert entry["query"] == {"grant_type": "client_credential", "appid": wx_app["appid"], "secret": MASK}
    assert entry["response"] == {"access_token": MASK, "expires_in": 7200}


def test_a_body_near_the_size_limit_is_kept_within_the_bounds(client, wx_app):
    body = json.dumps({"appid": wx_app["appid"], "secret": wx_app["secret"], "filler": ["x" * 1000] * 9000})
    assert 9_000_000 < len(body) < Config().max_body_bytes
    answer = client.post("/cgi-bin/stable_token", data=body, content_type="application/json")
    assert answer.get_json()["errcode"] == 40002  # the route read it all: no grant_type
    [entry] = recorded(client)
    assert entry["truncated"] == {"body": len(body)}
    assert entry["body"]["appid"] == wx_app["appid"] and entry["body"]["secret"] == MASK
    assert within_bounds(entry["body"]) and entry["body"]["filler"][0] == "x" * 1000
    assert size(entry) < 2 * BOUNDS.max_bytes  # the whole entry: nothing else grew
    assert wx_app["secret"] not in json.dumps(entry)


def test_a_form_of_many_fields_keeps_the_first_ones(client):
    form = "&".join(f"f{n}=1" for n in range(40_000)) + "&secret=s3"
    client.post("/sns/jscode2session", data=form, content_type="application/x-www-form-urlencoded")
    [entry] = recorded(client)
    assert entry["truncated"] == {"body": len(form)}
    assert list(entry["body"])[:3] == ["f0", "f1", "f2"] and len(entry["body"]) == BOUNDS.max_fields
    assert within_bounds(entry["body"])


def test_a_form_cut_short_still_masks_its_secrets():
    client = create_app(Config(journal_max_bytes=64, journal_max_fields=2)).test_client()
    client.post("/sns/jscode2session", data="password=hunter2&b=2&c=3", content_type="application/x-www-form-urlencoded")
    [entry] = recorded(client)
    assert entry["body"] == {"password": MASK, "b": "2"} and entry["truncated"]["body"] == 24


def test_query_headers_path_and_named_app_are_each_bounded(client):
    query = "&".join(f"k{n}={n}" for n in range(3000))
    long_app = "wx" + "a" * 20_000
    client.get(f"/sns/{'p' * 50_000}?{query}&appid={long_app}", headers={"X-Long": "h" * 100_000})
    [entry] = recorded(client)
    assert set(entry["truncated"]) == {"path", "query", "headers", "appid"}
    assert entry["truncated"]["query"] == len(query) + len("&appid=") + len(long_app)
    assert entry["truncated"]["path"] == len("/sns/") + 50_000
    assert entry["truncated"]["headers"] > 100_000
    for part in ("path", "query", "headers", "appid"):
        assert within_bounds(entry[part]), part
    assert entry["path"].startswith("/sns/ppp") and entry["appid"].startswith("wxaaa")
    assert entry["status"] == 200 and entry["errcode"] == 40066  # WeChat's answer to an unknown path


def test_a_long_text_body_and_answer_are_cut(client):
    text = "line of text\n" * 80_000  # about 1 MB
    client.post("/sns/jscode2session", data=text, content_type="text/plain")
    uploaded = client.post("/api/v2/upload?folder=notes", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(text.encode()), "notes.txt", "text/plain")}).get_json()
    client.get("/files/" + uploaded["data"]["key"])
    sent, upload, served = recorded(client)
    assert sent["truncated"] == {"body": len(text)} and text.startswith(sent["body"])
    assert within_bounds(sent["body"])
    assert upload["truncated"] is None  # a file is summarised, never kept
    assert served["truncated"] == {"response": len(text)} and text.startswith(served["response"])
    assert within_bounds(served["response"])


def test_three_near_limit_bodies_keep_the_journal_small():
    app = create_app(Config(journal_size=3))
    client = app.test_client()
    body = json.dumps({"filler": "y" * 9_500_000})
    for _ in range(3):
        client.post("/cgi-bin/stable_token", data=body, content_type="application/json")
    kept = app.extensions["mockserver"].journal.entries()
    assert len(kept) == 3 and all(entry["truncated"] == {"body": len(body)} for entry in kept)
    assert sum(size(entry) for entry in kept) < 3 * 2 * BOUNDS.max_bytes  # not 3 × 9.5 MB


def test_the_dashboard_says_what_was_cut(client):
    client.post("/sns/jscode2session", data="z" * 20_000, content_type="text/plain")
    page = client.get("/__mock__/").get_data(as_text=True)
    assert "(cut short: body of 20000 bytes)" in page


def test_bounds_come_from_flags_and_variables(monkeypatch):
    config = config_from_args(parse(["--journal-max-bytes", "100", "--journal-max-fields", "3"]))
    assert (config.journal_max_bytes, config.journal_max_fields) == (100, 3)
    monkeypatch.setenv("MOCKSERVER_JOURNAL_MAX_FIELDS", "9")
    assert config_from_args(parse([])).journal_max_fields == 9
    with pytest.raises(FlagError, match="--journal-max-bytes 10: must be from 64 to 16777216"):
        parse(["--journal-max-bytes", "10"])
    with pytest.raises(FlagError, match="MOCKSERVER_JOURNAL_MAX_FIELDS=0: must be at least 1"):
        monkeypatch.setenv("MOCKSERVER_JOURNAL_MAX_FIELDS", "0")
        parse([])
    with pytest.raises(ValueError):
        create_app(Config(journal_max_bytes=10))


def masked(value):
    """What ``bounded`` keeps when nothing needs cutting: the value, secret-named fields masked."""
    if isinstance(value, dict):
        return {k: MASK if is_secret(k) and v not in (None, "") else masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=6)
    | st.dictionaries(st.sampled_from(["a", "token", "名字", 'q"\n', "secret", "n"]) | st.text(max_size=8),
                      children, max_size=6),
    max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(value=json_values, max_bytes=st.integers(64, 400), max_fields=st.integers(1, 12))
def test_bounded_keeps_within_the_bounds_and_cuts_only_when_it_must(value, max_bytes, max_fields):
    bounds = Bounds(max_bytes, max_fields)
    kept, cut = bounded(value, bounds)
    assert within_bounds(kept, bounds) or kept is None
    whole = masked(value)
    if within_bounds(whole, bounds):
        assert (kept, cut) == (whole, False)
    else:
        assert cut


def test_the_readme_limits_example_runs_as_written(live, tmp_path):
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Limits"):]
    block = section[section.index("```sh\n") + 6:section.index("```\n", section.index("```sh\n") + 6)]
    out = subprocess.run(["bash", "-c", block], cwd=tmp_path, env={**os.environ, "URL": live.url},
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == '"truncated":{"body":9437184}', out.stderr


def test_a_form_body_is_read_only_as_far_as_it_could_be_kept(client, monkeypatch):
    from mockserver.control import journal

    split, parsed = journal.parse_qsl, []

    def spy(text, **options):
        parsed.append(len(text))
        return split(text, **options)

    monkeypatch.setattr(journal, "parse_qsl", spy)
    client.post("/sns/jscode2session", data="v=" + "z" * 900_000, content_type="application/x-www-form-urlencoded")
    assert parsed == [BOUNDS.max_bytes]  # not 900 KB


def test_long_strings_and_names_are_measured_only_as_far_as_they_could_be_kept(client, monkeypatch):
    from mockserver.control import journal

    encode, measured = journal.encode_basestring_ascii, []

    def spy(text):
        measured.append(len(text))
        return encode(text)

    monkeypatch.setattr(journal, "encode_basestring_ascii", spy)
    client.post("/sns/jscode2session", data=json.dumps({"k" * 500_000: 1, "v": "x" * 500_000}),
                content_type="application/json")
    client.post("/sns/jscode2session", data=json.dumps(["x" * 900_000]), content_type="application/json")
    assert measured and max(measured) <= BOUNDS.max_bytes  # never the whole 500 KB name or string
