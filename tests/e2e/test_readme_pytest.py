"""The examples of README's "Use it in pytest" section, run as they are written."""
from __future__ import annotations

import re

import pytest

from support import ROOT

pytest_plugins = ["pytester"]

README = ROOT / "README.md"
SECTION = "## Use it in pytest"


def examples():
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    following = text.find("\n## ", start + len(SECTION))
    section = text[start:following if following != -1 else len(text)]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_section_has_examples():
    blocks = examples()
    assert len(blocks) >= 5
    assert any("def test_" not in block for block in blocks)  # the MockServer script


@pytest.mark.parametrize("number", range(len(examples())))
def test_readme_example_runs(pytester, number):
    code = examples()[number]
    tests = len(re.findall(r"^def test_", code, flags=re.M))
    if tests:
        pytester.makepyfile(**{f"test_readme_{number}": code})
        # in a process of its own, as users run it (in-process runs re-import modules between examples)
        result = pytester.runpytest_subprocess("-p", "no:hypothesispytest")
        outcomes = result.parseoutcomes()
        assert result.ret == 0 and outcomes.get("passed", 0) >= tests, result.stdout.str()
    else:
        script = pytester.makepyfile(**{f"readme_{number}": code})
        result = pytester.runpython(script)
        assert result.ret == 0, result.stderr.str()
