"""README's "Listings come in pages" examples, run with curl as written, against a live server."""
from __future__ import annotations

import json
import os
import re
import subprocess

import requests

from mockserver import MockServer
from support import ROOT

SECTION = "### Listings come in pages"


def example_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    block = re.search(r"```sh\n(.*?)```", text[start:], flags=re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def test_the_examples_answer_what_their_comments_say():
    commands = example_commands()
    assert len(commands) == 4
    with MockServer() as server:
        for _ in range(12):  # a journal to page through
            subprocess.run(["curl", "-s", f"{server.url}/sns/jscode2session"], check=True, capture_output=True)
        everyone = [user["alias"] for user in requests.get(f"{server.url}/__mock__/users", timeout=10).json()["users"]]
        answers = [json.loads(subprocess.run(["bash", "-c", command], env={**os.environ, "URL": server.url},
                                             check=True, capture_output=True, text=True).stdout)
                   for command in commands]
    two, rest, authing, journal = answers
    assert len(two["users"]) == 2 and (two["total"], two["offset"], two["limit"]) == (24, 0, 2)
    assert [user["alias"] for user in two["users"]] == everyone[:2]
    assert [user["alias"] for user in rest["users"]] == everyone[20:] and len(everyone) == 24
    assert authing == {"users": [], "total": 0, "offset": 0, "limit": 50}
    assert journal["total"] == 12 and len(journal["requests"]) == 10 and journal["requests"][-1]["id"] == 12
