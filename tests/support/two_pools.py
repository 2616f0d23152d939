"""The ids of ``tests/data/two_pools.json`` (two user pools, three apps, two mini programs), the
app secrets it holds, and the dev key that signs the mock's RS256 tokens (to forge test tokens)."""
from __future__ import annotations

import json
from pathlib import Path

import mockserver

from . import DATA

FIXTURE = DATA / "two_pools.json"
WX_A, WX_B = "wxaaaaaaaaaaaaaaa1", "wxbbbbbbbbbbbbbbb1"
POOL_A, APP_A1, APP_A2 = "aaaaaaaaaaaaaaaaaaaaaaa0", "aaaaaaaaaaaaaaaaaaaaaaa1", "aaaaaaaaaaaaaaaaaaaaaaa2"
POOL_B, APP_B1 = "bbbbbbbbbbbbbbbbbbbbbbb0", "bbbbbbbbbbbbbbbbbbbbbbb1"
SECRETS = {app["id"]: app["secret"] for pool in json.loads(FIXTURE.read_text(encoding="utf-8"))["authing"]["user_pools"]
           for app in pool["apps"]}
DEV_KEY = (Path(mockserver.__file__).resolve().parent / "data" / "authing-dev-signing-key.pem").read_bytes()
