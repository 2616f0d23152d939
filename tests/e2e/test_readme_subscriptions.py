"""README's "Subscribe messages: consent first" example, run with curl as written, against a live server."""
from __future__ import annotations

import json
import os
import re
import subprocess

from mockserver import MockServer
from support import ROOT, RID

SECTION = "### Subscribe messages: consent first"


def example_script() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    return re.search(r"```sh\n(.*?)```", text[start:], flags=re.S).group(1)


def test_the_example_sends_one_message_per_consent():
    with MockServer() as server:
        done = subprocess.run(["bash", "-e", "-c", example_script()], env={**os.environ, "URL": server.url},
                              check=True, capture_output=True, text=True)
        messages = server.app.extensions["mockserver"].wechat.messages.sent(0, 10)
    decoder = json.JSONDecoder()  # WeChat's bodies end without a newline: the two answers come back to back
    first, end = decoder.raw_decode(done.stdout)
    second, _ = decoder.raw_decode(done.stdout, end)
    assert first["errcode"] == 0 and first["errmsg"] == "ok" and isinstance(first["msgid"], int)
    assert second["errcode"] == 43101 and re.fullmatch(f"user refuse to accept the msg rid: {RID}", second["errmsg"])
    assert messages[0] == 1 and messages[1][0]["data"] == {"thing1": {"value": "已发货"}}
