"""A werkzeug ``Rule`` that compiles its URL builders on first use instead of at start-up.

Werkzeug generates and compiles two Python functions per rule for ``url_for`` when the rule is
added: about half a millisecond a rule, a fifth of the mock's start-up for its sixty-odd routes,
for builders most runs never call. Matching requests does not use them.
"""
from __future__ import annotations

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    def _compile_builder(self, append_unknown: bool = True):
        compile_now = super()._compile_builder
        compiled = None

        def build(rule, *args, **kwargs):
            nonlocal compiled
            if compiled is None:
                compiled = compile_now(append_unknown)
            return compiled(rule, *args, **kwargs)

        return build
