"""What fault rules and stubs share: a book of rules in one store entry, which emulated route a
rule names, the criteria it matches (route, appid, user, code), how often it fires, its latency.

A book is one entry (``{"next": number of the next rule, "rules": [...]}``), so every process
sharing a store shares it and a request reads it in the same round trip as the clock
(``Runtime.begin_emulated_request``). The first active rule that matches a request fires; its hit
is counted in one atomic ``update``, so ``times`` holds under concurrent requests.
"""
from __future__ import annotations

import functools
import json
import threading
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from werkzeug.exceptions import MethodNotAllowed, NotFound as NoRoute
from werkzeug.routing import Map, RequestRedirect

from ..core.clock import Clock
from ..core.errors import ControlError, NotFound
from ..core.ids import RandomSource
from ..core.store import UNCHANGED, Key, Store
from ..emulation import CallerFacts, EmulatedService
from . import latency

MATCH_FIELDS = ("appid", "user", "code")
#: Fields every rule may have, whatever it does.
SHARED_FIELDS = {"endpoint", "match", "latency_ms", "times", "probability"}


def encoded_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


class RuleBook:
    """Rules of one kind over the store; ``services`` say which routes are theirs.

    A subclass names its entry (``key``), its ids (``prefix``: f1, s1...), what it calls a rule
    (``kind``) and checks what a posted rule does (``_answer``).
    """
    key: Key
    prefix: str
    kind: str
    limit: Optional[int] = None  # how many rules the book holds at most
    #: How many bytes of JSON the whole book may take: every emulated request reads it.
    max_bytes = 1024 * 1024

    def __init__(self, store: Store, clock: Clock, random: RandomSource, services: Sequence[EmulatedService],
                 domains: Mapping[str, Any]):
        self.store = store
        self.clock = clock
        self.random = random
        self.services = {service.name: service for service in services}
        self.domains = domains  # each service's domain, by name (for resolve_user)
        self.owners = {blueprint.name: service for service in services for blueprint in service.blueprints}
        self._request = threading.local()  # the rules this thread's request read, if pinned

    def owner(self, endpoint: Optional[str]) -> Optional[EmulatedService]:
        """The service whose emulated API serves this route (None for the control plane)."""
        return self.owners.get((endpoint or "").split(".", 1)[0])

    def route_name(self, endpoint: Optional[str]) -> Optional[str]:
        """``service.route`` (``authing.logout``): a route's name whichever of the service's
        blueprints (API families) serves it, so rule names outlive how routes are grouped."""
        owner = self.owner(endpoint)
        return f"{owner.name}.{endpoint.split('.', 1)[1]}" if owner and endpoint else None

    # --- control plane --------------------------------------------------------------------
    def add(self, spec: Any, url_map: Map) -> Dict[str, Any]:
        """Validate a rule as posted and store it."""
        if not isinstance(spec, dict):
            raise ControlError("body must be a JSON object describing the rule")
        unknown = set(spec) - self.fields()
        if unknown:
            raise ControlError(f"unknown rule fields {sorted(unknown)} (known: {sorted(self.fields())})")
        target = self._resolve_endpoint(spec.get("endpoint"), url_map)
        rule: Dict[str, Any] = {"endpoint": spec["endpoint"], **target, "match": self._match(spec.get("match"))}
        delay = spec.get("latency_ms")
        rule.update(self._answer(spec, self.services[target["service"]], target["route"],
                                 delay is not None))
        rule["latency_ms"] = latency.parse(delay) if delay is not None else 0
        rule.update(self._frequency(spec))
        rule["hits"] = 0
        rule["created_at"] = self.clock.now()
        prefix, limit, max_bytes = self.prefix, self.limit, self.max_bytes
        if encoded_size(rule) > max_bytes:
            raise ControlError(f"a {self.kind} must encode to at most {max_bytes} bytes of JSON")

        def append(book):
            book = book or {"next": 1, "rules": []}
            if limit is not None and len(book["rules"]) >= limit:
                return UNCHANGED, "count"
            added = {"id": f"{prefix}{book['next']}", **rule}
            grown = {"next": book["next"] + 1, "rules": [*book["rules"], added]}
            if encoded_size(grown) > max_bytes:
                return UNCHANGED, "bytes"
            return grown, added
        added = self.store.update(*self.key, append)
        if added == "count":
            raise ControlError(f"there are {limit} {self.kind}s already, the most there may be: remove some first")
        if added == "bytes":
            raise ControlError(f"the {self.kind}s would take more than {max_bytes} bytes of JSON together, the most "
                               "they may (every request reads them): remove some first")
        return describe(added)

    def list(self) -> List[Dict[str, Any]]:
        return [describe(rule) for rule in self._rules()]

    def delete(self, rule_id: str) -> None:
        def remove(book):
            kept = [rule for rule in (book or {}).get("rules", []) if rule["id"] != rule_id]
            if book is None or len(kept) == len(book["rules"]):
                return UNCHANGED, False
            return {**book, "rules": kept}, True
        if not self.store.update(*self.key, remove):
            raise NotFound(f"no {self.kind} {rule_id!r}")

    def clear(self) -> int:
        def empty(book):
            if not book or not book["rules"]:
                return UNCHANGED, 0
            return {**book, "rules": []}, len(book["rules"])
        return self.store.update(*self.key, empty)

    # --- what a subclass says -------------------------------------------------------------
    def fields(self) -> set:
        """Every field a posted rule may have."""
        return set(SHARED_FIELDS)

    def _answer(self, spec: Dict[str, Any], service: EmulatedService, route: str, delayed: bool) -> Dict[str, Any]:
        """What the rule stores of what it does (``ControlError`` when the spec is wrong)."""
        raise NotImplementedError

    # --- one read per request -------------------------------------------------------------
    def begin_request(self, book: Optional[Dict[str, Any]]) -> None:
        """This thread's request uses the rules ``book`` (the stored entry, read by the runtime
        together with the clock) until ``end_request``."""
        self._request.rules = (book or {}).get("rules", [])

    def end_request(self) -> None:
        self._request.rules = None

    # --- the request path -----------------------------------------------------------------
    def fire(self, endpoint: str, rule_path: str, facts: CallerFacts) -> Optional[Dict[str, Any]]:
        """The rule that fires for this request (its hit already counted), or None."""
        route = self.route_name(endpoint)
        for rule in self._rules():
            if not self._applies(rule, route, rule_path, facts):
                continue
            if rule["probability"] is not None and self.random.random() >= rule["probability"]:
                continue

            fired = self.store.update(*self.key, functools.partial(_hit, rule_id=rule["id"]))
            if fired is not None:
                return fired
        return None

    def _rules(self) -> List[Dict[str, Any]]:
        pinned = getattr(self._request, "rules", None)
        if pinned is not None:
            return pinned
        return (self.store.get(*self.key) or {}).get("rules", [])

    @staticmethod
    def _applies(rule: Dict[str, Any], route: Optional[str], rule_path: str, facts: CallerFacts) -> bool:
        if rule["times"] is not None and rule["hits"] >= rule["times"]:
            return False
        if rule["path"] is not None and rule["path"] != rule_path:
            return False
        if rule["path"] is None and rule["route"] != route:
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
    def _match(self, match: Any) -> Dict[str, str]:
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
            resolved["user"] = self._user(resolved["user"])
        return resolved

    def _user(self, ref: str) -> str:
        """A user reference (alias, openid...) as the services name the user: the first that knows."""
        refusal: Optional[NotFound] = None
        for service in self.services.values():
            if service.resolve_user is not None:
                try:
                    return service.resolve_user(self.domains[service.name], ref)
                except NotFound as exc:
                    refusal = refusal or exc
        raise refusal or NotFound(f"no user {ref!r}")

    @staticmethod
    def _frequency(spec: Dict[str, Any]) -> Dict[str, Any]:
        times, probability = spec.get("times"), spec.get("probability")
        if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
            raise ControlError("'times' must be a positive integer")
        if probability is not None and (not _number(probability) or not 0 < probability <= 1):
            raise ControlError("'probability' must be a number in (0, 1]")
        return {"times": times, "probability": probability}

    def _resolve_endpoint(self, spec: Any, url_map: Map) -> Dict[str, Any]:
        """Which emulated route ``spec`` names: a route name (``jscode2session``), a route's path
        (``/sns/jscode2session``) or any concrete path a route serves."""
        if not isinstance(spec, str) or not spec:
            raise ControlError("'endpoint' is required: a path such as /sns/jscode2session or a route name")
        rules = [(rule, owner, self.route_name(rule.endpoint))
                 for rule in url_map.iter_rules() for owner in [self.owner(rule.endpoint)] if owner]
        for rule, owner, route in rules:
            if spec == rule.rule:
                return {"route": route, "path": rule.rule, "service": owner.name}
        for rule, owner, route in rules:
            if spec in (route, rule.endpoint, rule.endpoint.split(".", 1)[1]):
                return {"route": route, "path": None, "service": owner.name}
        if spec.startswith("/"):
            adapter = url_map.bind("mock")
            for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                try:
                    matched, _ = adapter.match(spec, method=method, return_rule=True)
                except (MethodNotAllowed, NoRoute, RequestRedirect):
                    continue
                service = self.owner(matched.endpoint)
                if service:
                    return {"route": self.route_name(matched.endpoint), "path": matched.rule,
                            "service": service.name}
                break
        known = sorted({rule.rule for rule, _, _ in rules})
        raise ControlError(f"no emulated route {spec!r}; known paths: {', '.join(known)}")


def _hit(book: Optional[Dict[str, Any]], rule_id: str) -> Tuple[Any, Optional[Dict[str, Any]]]:
    """One more hit of a rule, unless it is gone or spent meanwhile: (the new book, the rule as hit)."""
    if book is None:
        return UNCHANGED, None
    rules = book["rules"]
    for i, rule in enumerate(rules):
        if rule["id"] == rule_id:
            if rule["times"] is not None and rule["hits"] >= rule["times"]:
                return UNCHANGED, None
            hit = {**rule, "hits": rule["hits"] + 1}
            return {**book, "rules": [*rules[:i], hit, *rules[i + 1:]]}, hit
    return UNCHANGED, None


def describe(rule: Dict[str, Any]) -> Dict[str, Any]:
    """A rule as the control plane shows it."""
    shown = {k: v for k, v in rule.items() if k not in ("path", "route")}
    shown["active"] = rule["times"] is None or rule["hits"] < rule["times"]
    return shown


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
