"""The benchmark scripts still run against the package as it is (a smoke run, not a measurement:
the numbers are not checked, only that each script finishes and prints its rows)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from support import ROOT


@pytest.mark.parametrize("script, args, row", [
    ("bench", ["--quick", "--only", "reset", "intercept"], "per-test reset"),
    ("bench", ["--quick", "--only", "startup", "login"], "signing one RS256 JWT per flow"),
    ("bench-backends", ["--quick"], "sqlite"),
    ("bench-fixture", ["--tests", "20", "--rounds", "1"], "mockserver"),
    ("bench-scale", ["--quick", "--users", "2000"], "round trips of one login"),
])
def test_a_benchmark_script_runs(script, args, row):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / script), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-2000:]
    assert row in done.stdout, done.stdout
