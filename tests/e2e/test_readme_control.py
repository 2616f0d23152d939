"""README's stubs, latency and snapshot examples, run with curl as written against a live server;
each answer is checked against what the README's comments say."""
from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
from mockserver import MockServer
from support import ROOT

#: Every curl of an example prints its answer on a line of its own.
PRELUDE = 'curl() { command curl "$@"; echo; }\n'


def example(section: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(section)
    return re.search(r"```sh\n(.*?)```", text[start:], flags=re.S).group(1)


def run(section: str, server, tmp_path):
    app = server.app.extensions["mockserver"].wechat.apps()[0]
    env = {**os.environ, "URL": server.url, "APPID": app["appid"], "SECRET": app["secret"]}
    done = subprocess.run(["bash", "-e", "-c", PRELUDE + example(section)], env=env, cwd=tmp_path,
                          check=True, capture_output=True, text=True)
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


@pytest.fixture
def server():
    with MockServer() as running:
        yield running


def test_the_stubs_example(server, tmp_path):
    added, session, refused, listed, deleted = run("### Stubs", server, tmp_path)
    assert (added["id"], added["status"], added["times"], added["hits"], added["active"]) == ("s1", 200, 1, 0, True)
    rt = server.app.extensions["mockserver"]
    openid = rt.wechat.describe_user(rt.wechat.user("yuna"))["apps"][rt.wechat.apps()[0]["appid"]]["openid"]
    assert session == {"openid": openid, "session_key": "c3R1YmJlZC1rZXktMTIzNA=="}
    assert refused == {"error": "a WeChat answer's 'errcode' is an integer"}
    assert [(s["id"], s["hits"], s["active"]) for s in listed["stubs"]] == [("s1", 1, False)]
    assert deleted == {"deleted": "s1"}


def test_the_latency_example(server, tmp_path):
    fault, stub, refused = run("### Latency that varies", server, tmp_path)
    assert fault["latency_ms"] == {"median": 80, "p99": 900, "max": 2000} and fault["action"] == "latency"
    assert stub["latency_ms"] == {"min": 50, "max": 150} and stub["id"] == "s1"
    assert refused == {"error": "latency_ms: 'min' must not exceed 'max'"}


def test_the_snapshots_example(server, tmp_path):
    created, reset, loaded, back = run("### Snapshots", server, tmp_path)
    assert created["alias"] == "from-the-session" and reset == {"status": "reset"}
    assert loaded == {"status": "loaded"} and back["alias"] == "from-the-session"
    snapshot = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
    assert snapshot["format"] == 1 and "from-the-session" in snapshot["state"]["entries"]["wx.users"]
    # the commented line: a server started from the file has the user too
    with MockServer(fixtures=str(tmp_path / "state.json")) as started:
        assert started.app.extensions["mockserver"].wechat.user("from-the-session")
