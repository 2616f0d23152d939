"""Fault rules: make chosen requests to the emulated APIs fail, slow down or break.

A rule names an endpoint (a path such as ``/sns/jscode2session`` or a route name such as
``jscode2session``), optionally narrows it with ``match`` criteria, and says what to do:

- the service's own error (``EmulatedService.fault_error``), in the service's own format: for
  WeChat routes ``errcode`` (with WeChat's errmsg and a rid), for Authing routes
  ``authing: {"code", "message"}`` (in the route's own API family's format);
- ``drop``: send the status line and headers, then close the connection without the promised body;
- ``malformed``: HTTP 200 with a truncated JSON body;
- ``latency_ms``: wait first (a number, or a range drawn per firing: ``latency.py``); alone, the
  request is then answered normally.

``times`` bounds how often a rule fires and ``probability`` makes it fire by chance, drawn from the
server's seeded random source. Rules live in the store (one entry, ``mock.faults``/``rules``); what
they share with stubs — matching, frequency, the book in the store — is ``rules.py``. A fired
error, drop or malformed answer replaces the route entirely: the request changes no state.
"""
from __future__ import annotations

from typing import Any, Dict, Sequence, Set, Tuple

from ..core.errors import ControlError
from ..emulation import EmulatedService
from .rules import SHARED_FIELDS, RuleBook

NAMESPACE = "mock.faults"
#: The one entry that holds every rule: ``{"next": number of the next rule, "rules": [...]}``.
KEY: Tuple[str, str] = (NAMESPACE, "rules")
BROKEN_ANSWERS = ("drop", "malformed")


def rule_fields(services: Sequence[EmulatedService]) -> Set[str]:
    """Every field a posted rule may have: the core's and each service's error action's."""
    return SHARED_FIELDS | set(BROKEN_ANSWERS) | {
        name for service in services for name in (service.fault_error.name, *service.fault_error.fields)}


class FaultRules(RuleBook):
    """The fault rules; ``services`` say which routes are theirs and how they fail."""
    key = KEY
    prefix = "f"
    kind = "fault rule"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._fields = rule_fields(list(self.services.values()))
        self.actions = [service.fault_error.name for service in self.services.values()] + list(BROKEN_ANSWERS)

    def fields(self) -> Set[str]:
        return self._fields

    def _answer(self, spec: Dict[str, Any], service: EmulatedService, route: str, delayed: bool) -> Dict[str, Any]:
        actions = [name for name in self.actions if spec.get(name) is not None and spec.get(name) is not False]
        if len(actions) > 1:
            raise ControlError(f"give one of {', '.join(self.actions)}, not {' and '.join(actions)}")
        if not actions and not delayed:
            raise ControlError(f"say what to do: one of {', '.join(self.actions)} and/or latency_ms")
        action = actions[0] if actions else "latency"
        return {"action": action, **self._action(action, service, spec)}

    def _action(self, action: str, service: EmulatedService, spec: Dict[str, Any]) -> Dict[str, Any]:
        """What the rule stores for its action; ``service`` owns the route."""
        own = service.fault_error
        for owner in self.services.values():
            for name in owner.fault_error.fields:
                if spec.get(name) is not None and action != owner.fault_error.name:
                    raise ControlError(f"'{name}' goes with '{owner.fault_error.name}'")
        other = next((s for s in self.services.values() if s.fault_error.name == action and s is not service), None)
        if other is not None:
            raise ControlError(f"'{action}' faults are for {other.title} routes; use '{own.name}' for "
                               f"{service.title} routes")
        if action == own.name:
            return own.parse(spec)
        if action in BROKEN_ANSWERS and spec[action] is not True:
            raise ControlError(f"'{action}' must be true")
        return {}
