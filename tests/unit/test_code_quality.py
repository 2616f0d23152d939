"""Lint and types: ``ruff`` and ``mypy`` over ``mockserver/`` (configured in pyproject.toml and
setup.cfg) report nothing. Part of the suite, so README's test command and CI run them."""
from __future__ import annotations

import subprocess
import sys

from support import ROOT


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=280)


def test_ruff_finds_nothing():
    result = run("ruff", "check", "mockserver")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing():
    result = run("mypy", "--cache-dir", str(ROOT / ".mypy_cache"))
    assert result.returncode == 0, result.stdout + result.stderr
