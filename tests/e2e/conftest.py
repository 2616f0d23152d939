"""Fixtures of the end-to-end tests: Node.js with the real npm packages installed."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess

import pytest

from support import JS_DIR

PACKAGES = json.loads((JS_DIR / "package.json").read_text())["dependencies"]  # each pinned exactly


def _installed(name: str) -> bool:
    manifest = JS_DIR / "node_modules" / name / "package.json"
    return manifest.exists() and json.loads(manifest.read_text())["version"] == PACKAGES[name]


@pytest.fixture(scope="session")
def node():
    if os.environ.get("MOCKSERVER_SKIP_NODE") == "1" and not os.environ.get("CI"):
        pytest.skip("MOCKSERVER_SKIP_NODE=1 (never honoured in CI)")
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("Node.js >= 20 and npm are needed for the Node tests "
                    "(set MOCKSERVER_SKIP_NODE=1 to skip them locally)")
    with open(JS_DIR / "package.json") as guard:  # one installer at a time (pytest-xdist)
        fcntl.flock(guard, fcntl.LOCK_EX)
        if not all(_installed(name) for name in PACKAGES):
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True,
                           stdout=subprocess.DEVNULL, timeout=600)
    return node
