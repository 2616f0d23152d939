"""README's "Not emulated is never silent" and "Links into the mini program" examples, run with
curl and jq as written, against a live server."""
from __future__ import annotations

import json
import os
import re
import subprocess

from mockserver import MockServer
from support import ROOT


def example(section: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(section)
    return re.search(r"```sh\n(.*?)```", text[start:], flags=re.S).group(1)


def run(script: str, url: str) -> str:
    done = subprocess.run(["bash", "-e", "-c", script], env={**os.environ, "URL": url}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_not_emulated_example():
    with MockServer() as server:
        header, body = run(example("### Not emulated is never silent"), server.url).strip().splitlines()
    assert header.strip() == "X-Mock-Not-Emulated: 1"
    answer = json.loads(body)
    assert answer["errcode"] == 40066 and answer["errmsg"].startswith("invalid url")


def test_the_links_example_opens_what_its_comment_says():
    with MockServer() as server:
        link, opened = run(example("### Links into the mini program"), server.url).strip().splitlines()
    assert re.fullmatch(r"https://wxaurl\.cn/[A-Za-z0-9]{11}", link)
    answer = json.loads(opened)
    promised = re.search(r"^# (\{\"kind\":\"urllink\".*\})$", example("### Links into the mini program"), re.M)
    openid_start = re.search(r'"openid":"([^"…]+)…"', promised.group(1)).group(1)
    assert answer.pop("openid").startswith(openid_start)
    assert answer == {"kind": "urllink", "appid": "wx7bcfa6ed0b1e34bd", "path": "pages/index/index",
                      "query": "id=42&from=sms", "env_version": "release", "scene": 1194}
