"""Fault rules: make chosen requests to the emulated APIs fail, slow down or break.

A rule names an endpoint (a path such as ``/sns/jscode2session`` or a route name such as
``jscode2session``), optionally narrows it with ``match`` criteria, and says what to do:

- ``errcode`` (WeChat routes): answer that errcode, with WeChat's own errmsg and a rid;
- ``authing`` (Authing routes): ``{"code", "message"}`` answered in the route's own error format;
- ``drop``: send the status line and headers, then close the connection without the promised body;
- ``malformed``: HTTP 200 with a truncated JSON body;
- ``latency_ms``: wait that long first (alone, the request is then answered normally).

``times`` bounds how often a rule fires and ``probability`` makes it fire by chance, drawn from the
server's seeded random source. Rules live in the store (namespace ``mock.faults``), so every process
sharing a store shares them; the first active rule that matches, in creation order, fires. A fired
error, drop or malformed answer replaces the route entirely: the request changes no state.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from werkzeug.exceptions import MethodNotAllowed, NotFound as NoRoute
from werkzeug.routing import Map, RequestRedirect

from ..core.clock import Clock
from ..core.errors import ControlError, NotFound
from ..core.ids import RandomSource
from ..core.store import COUNTERS, UNCHANGED, Store
from ..wechat.errors import ERRMSG

NAMESPACE = "mock.faults"
ACTIONS = ("errcode", "authing", "drop", "malformed")
MATCH_FIELDS = ("appid", "user", "code")
RULE_FIELDS = {"endpoint", "match", "errcode", "errmsg", "authing", "drop", "malformed",
               "latency_ms", "times", "probability"}
MAX_LATENCY_MS = 120_000


@dataclass
class RequestFacts:
    """What a request says about who is calling, as far as fault criteria and the journal care."""
    appids: List[str]
    user: Optional[str]  # WeChat user alias
    code: Optional[str]

    @property
    def appid(self) -> Optional[str]:
        return self.appids[0] if self.appids else None


def emulated_service(endpoint: Optional[str]) -> Optional[str]:
    """``"wechat"`` or ``"authing"`` for a route of an emulated API, else None."""
    blueprint = (endpoint or "").split(".", 1)[0]
    return blueprint if blueprint in ("wechat", "authing") else None


class FaultRules:
    def __init__(self, store: Store, clock: Clock, random: RandomSource):
        self.store = store
        self.clock = clock
        self.random = random

    # --- control plane --------------------------------------------------------------------
    def add(self, spec: Any, url_map: Map, resolve_user) -> Dict[str, Any]:
        """Validate a rule as posted and store it; ``resolve_user(ref)`` gives a user's alias."""
        if not isinstance(spec, dict):
            raise ControlError("body must be a JSON object describing the rule")
        unknown = set(spec) - RULE_FIELDS
        if unknown:
            raise ControlError(f"unknown rule fields {sorted(unknown)} (known: {sorted(RULE_FIELDS)})")
        target = resolve_endpoint(spec.get("endpoint"), url_map)
        rule: Dict[str, Any] = {"endpoint": spec["endpoint"], **target,
                                "match": self._match(spec.get("match"), resolve_user)}
        actions = [name for name in ACTIONS if spec.get(name) is not None and spec.get(name) is not False]
        if len(actions) > 1:
            raise ControlError(f"give one of {', '.join(ACTIONS)}, not {' and '.join(actions)}")
        latency = spec.get("latency_ms")
        if latency is not None and (not _number(latency) or not 0 <= latency <= MAX_LATENCY_MS):
            raise ControlError(f"'latency_ms' must be a number of milliseconds from 0 to {MAX_LATENCY_MS}")
        if not actions and latency is None:
            raise ControlError(f"say what to do: one of {', '.join(ACTIONS)} and/or latency_ms")
        rule["action"] = actions[0] if actions else "latency"
        rule["latency_ms"] = latency or 0
        rule.update(self._action(rule["action"], target["service"], spec))
        rule.update(self._frequency(spec))
        rule["hits"] = 0
        rule["created_at"] = self.clock.now()
        number = self.store.incr(COUNTERS, "faults")
        rule = {"id": f"f{number}", **rule}
        self.store.put(NAMESPACE, rule["id"], rule)
        return describe(rule)

    def list(self) -> List[Dict[str, Any]]:
        return [describe(rule) for rule in self._rules()]

    def delete(self, rule_id: str) -> None:
        if not self.store.delete(NAMESPACE, rule_id):
            raise NotFound(f"no fault rule {rule_id!r}")

    def clear(self) -> int:
        rules = self._rules()
        for rule in rules:
            self.store.delete(NAMESPACE, rule["id"])
        return len(rules)

    # --- the request path -----------------------------------------------------------------
    def fire(self, endpoint: str, rule_path: str, facts: RequestFacts) -> Optional[Dict[str, Any]]:
        """The rule that fires for this request (its hit already counted), or None."""
        for rule in self._rules():
            if not self._applies(rule, endpoint, rule_path, facts):
                continue
            if rule["probability"] is not None and self.random.random() >= rule["probability"]:
                continue

            def take(current):
                if current is None or (current["times"] is not None and current["hits"] >= current["times"]):
                    return UNCHANGED, None
                current["hits"] += 1
                return current, current

            fired = self.store.update(NAMESPACE, rule["id"], take)
            if fired is not None:
                return fired
        return None

    def _rules(self) -> List[Dict[str, Any]]:
        return sorted(self.store.values(NAMESPACE), key=lambda rule: int(rule["id"][1:]))

    @staticmethod
    def _applies(rule: Dict[str, Any], endpoint: str, rule_path: str, facts: RequestFacts) -> bool:
        if rule["times"] is not None and rule["hits"] >= rule["times"]:
            return False
        if rule["path"] is not None and rule["path"] != rule_path:
            return False
        if rule["path"] is None and rule["route"] != endpoint:
            return False
        match = rule["match"]
        if "appid" in match and match["appid"] not in facts.appids:
            return False
        if "user" in match and match["user"] != facts.user:
            return False
        if "code" in match and match["code"] != facts.code:
            return False
        return True

    # --- validation -----------------------------------------------------------------------
    @staticmethod
    def _match(match: Any, resolve_user) -> Dict[str, str]:
        if match is None:
            return {}
        if not isinstance(match, dict):
            raise ControlError("'match' must be an object with any of " + ", ".join(MATCH_FIELDS))
        unknown = set(match) - set(MATCH_FIELDS)
        if unknown:
            raise ControlError(f"unknown match criteria {sorted(unknown)} (known: {list(MATCH_FIELDS)})")
        for name, value in match.items():
            if not isinstance(value, str) or not value:
                raise ControlError(f"match.{name} must be a non-empty string")
        resolved = dict(match)
        if "user" in resolved:
            resolved["user"] = resolve_user(resolved["user"])
        return resolved

    @staticmethod
    def _action(action: str, service: str, spec: Dict[str, Any]) -> Dict[str, Any]:
        if action == "errcode":
            if service != "wechat":
                raise ControlError("'errcode' faults are for WeChat routes; use 'authing' for Authing routes")
            errcode, errmsg = spec["errcode"], spec.get("errmsg")
            if not isinstance(errcode, int) or isinstance(errcode, bool) or errcode == 0:
                raise ControlError("'errcode' must be a non-zero integer")
            if errmsg is None and errcode not in ERRMSG:
                raise ControlError(f"errcode {errcode} has no known errmsg: give 'errmsg' too")
            if errmsg is not None and (not isinstance(errmsg, str) or not errmsg):
                raise ControlError("'errmsg' must be a non-empty string")
            return {"errcode": errcode, "errmsg": errmsg if errmsg is not None else ERRMSG[errcode]}
        if spec.get("errmsg") is not None:
            raise ControlError("'errmsg' goes with 'errcode'")
        if action == "authing":
            if service != "authing":
                raise ControlError("'authing' faults are for Authing routes; use 'errcode' for WeChat routes")
            error = spec["authing"]
            if (not isinstance(error, dict) or set(error) - {"code", "message"}
                    or not isinstance(error.get("code"), int) or isinstance(error.get("code"), bool)
                    or not isinstance(error.get("message", ""), str)):
                raise ControlError("'authing' must be {\"code\": integer, \"message\": string}")
            return {"authing": {"code": error["code"], "message": error.get("message") or "系统错误"}}
        if action in ("drop", "malformed") and spec[action] is not True:
            raise ControlError(f"'{action}' must be true")
        return {}

    @staticmethod
    def _frequency(spec: Dict[str, Any]) -> Dict[str, Any]:
        times, probability = spec.get("times"), spec.get("probability")
        if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
            raise ControlError("'times' must be a positive integer")
        if probability is not None and (not _number(probability) or not 0 < probability <= 1):
            raise ControlError("'probability' must be a number in (0, 1]")
        return {"times": times, "probability": probability}


def describe(rule: Dict[str, Any]) -> Dict[str, Any]:
    """A rule as the control plane shows it."""
    shown = {k: v for k, v in rule.items() if k not in ("path", "route")}
    shown["active"] = rule["times"] is None or rule["hits"] < rule["times"]
    return shown


def resolve_endpoint(spec: Any, url_map: Map) -> Dict[str, Any]:
    """Which emulated route ``spec`` names: a route name (``jscode2session``), a route's path
    (``/sns/jscode2session``) or any concrete path a route serves."""
    if not isinstance(spec, str) or not spec:
        raise ControlError("'endpoint' is required: a path such as /sns/jscode2session or a route name")
    rules = [rule for rule in url_map.iter_rules() if emulated_service(rule.endpoint)]
    for rule in rules:
        if spec == rule.rule:
            return {"route": rule.endpoint, "path": rule.rule, "service": emulated_service(rule.endpoint)}
    for rule in rules:
        if spec in (rule.endpoint, rule.endpoint.split(".", 1)[1]):
            return {"route": rule.endpoint, "path": None, "service": emulated_service(rule.endpoint)}
    if spec.startswith("/"):
        adapter = url_map.bind("mock")
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            try:
                rule, _ = adapter.match(spec, method=method, return_rule=True)
            except (MethodNotAllowed, NoRoute, RequestRedirect):
                continue
            if emulated_service(rule.endpoint):
                return {"route": rule.endpoint, "path": rule.rule, "service": emulated_service(rule.endpoint)}
            break
    known = sorted({rule.rule for rule in rules})
    raise ControlError(f"no emulated route {spec!r}; known paths: {', '.join(known)}")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
