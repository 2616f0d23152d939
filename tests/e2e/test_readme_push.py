"""README's "Message push" example, run as it is written, in a fresh interpreter."""
from __future__ import annotations

import re
import subprocess
import sys

from support import ROOT

SECTION = "## Message push"


def example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    return re.search(r"```python\n(.*?)```", text[start:], flags=re.S).group(1)


def test_the_example_receives_what_its_comment_says():
    done = subprocess.run([sys.executable, "-c", example()], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "text hello\n"
