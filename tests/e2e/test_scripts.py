"""README's two commands keep the user's paths: relative paths mean where the user ran them."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import requests

from support import ROOT


def test_serve_resolves_relative_paths_where_it_was_run(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
    process = subprocess.Popen([str(ROOT / "scripts" / "serve"), "--port", "0", "--state", "sqlite:///mock.db"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        url = re.search(r"listening on (http://\S+)", process.stdout.readline()).group(1)
        assert requests.get(f"{url}/__mock__/health", timeout=10).json() == {"status": "ok", "backend": "sqlite"}
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert (tmp_path / "mock.db").exists()
    assert not (ROOT / "mock.db").exists()


def test_the_test_command_takes_paths_from_where_it_was_run(tmp_path):
    (tmp_path / "test_here.py").write_text("def test_here():\n    assert True\n")
    done = subprocess.run([str(ROOT / "scripts" / "test"), "-q", "test_here.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=280, env={**os.environ, "PYTHON": sys.executable})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
