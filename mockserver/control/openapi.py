"""OpenAPI 3 description of the control plane, served at ``/__mock__/openapi.json``.

Written by hand next to the routes: the core's paths here, each service's in its own
``openapi`` part (paths, components, its fault action's fields). A test fails when a
control route is added, removed or changes methods without its description following.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from ..emulation import EmulatedService

JSON = "application/json"
ERROR = {"description": "bad request or unknown name",
         "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}


def obj(properties: Optional[Dict[str, Any]] = None, required: Optional[List[str]] = None, **extra) -> Dict[str, Any]:
    schema: Dict[str, Any] = {"type": "object", **extra}
    if properties:
        schema["properties"] = properties
    if required:
        schema["required"] = required
    return schema


def ref(name: str) -> Dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


STRING, NUMBER, INTEGER, BOOLEAN = ({"type": t} for t in ("string", "number", "integer", "boolean"))
ANY_OBJECT = obj(additionalProperties=True)


def op(summary: str, tag: str, response: Optional[Dict[str, Any]] = None, body: Optional[Dict[str, Any]] = None,
       status: str = "200", params: Optional[List[Dict[str, Any]]] = None, content: str = JSON,
       form: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    operation: Dict[str, Any] = {"summary": summary, "tags": [tag]}
    if params:
        operation["parameters"] = params
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    if form is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/x-www-form-urlencoded": {"schema": form}}}
    if status == "303":
        operation["responses"] = {"303": {"description": "back to the dashboard, which shows the outcome"}}
    else:
        operation["responses"] = {status: {"description": "OK",
                                           "content": {content: {"schema": response or ANY_OBJECT}}},
                                  "4XX": ERROR}
    return operation


def path_param(name: str, description: str) -> Dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": STRING}


def query(name: str, description: str, schema: Dict[str, Any] = STRING) -> Dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


RULE_ID = path_param("rule_id", "fault rule id, e.g. f1")
#: What every dashboard form posts: the server's form token (control/dashboard.py).
DASHBOARD_FORM = obj({"csrf": {"type": "string", "description": "the token the dashboard page puts in its forms "
                                                                "(403 without it)"}}, ["csrf"])
STUB_ID = path_param("rule_id", "stub id, e.g. s1")
#: ``?offset=&limit=`` of every listing (control/parsing.py: page_query).
PAGE_PARAMS = [query("offset", "entries to skip (default 0)", INTEGER),
               query("limit", "entries to answer, 1 to 1000 (default 100)", INTEGER)]


def paged(name: str, items: Dict[str, Any]) -> Dict[str, Any]:
    """The answer of a listing: one page under ``name``, with the total."""
    return obj({name: {"type": "array", "items": items}, "total": INTEGER, "offset": INTEGER, "limit": INTEGER},
               [name, "total", "offset", "limit"])

FAULT_RULE_FIELDS = {
    "endpoint": {"type": "string", "description": "path (/sns/jscode2session) or route name (jscode2session)"},
    "match": obj({"appid": STRING, "user": {"type": "string", "description": "alias or openid"}, "code": STRING},
                 additionalProperties=False),
    "drop": {"type": "boolean", "description": "send headers, then close the connection without the body"},
    "malformed": {"type": "boolean", "description": "HTTP 200 with a truncated JSON body"},
    "latency_ms": ref("Latency"),
    "times": {"type": "integer", "minimum": 1, "description": "fire at most this many times"},
    "probability": {"type": "number", "exclusiveMinimum": 0, "maximum": 1,
                    "description": "chance of firing, drawn from the seeded random source"},
}
#: What a stub shares with a fault rule, and its answer (control/stubs.py).
STUB_FIELDS = {
    **{name: FAULT_RULE_FIELDS[name] for name in ("endpoint", "match", "latency_ms", "times", "probability")},
    "status": {"type": "integer", "minimum": 200, "maximum": 599, "description": "HTTP status (default 200)"},
    "headers": obj(additionalProperties=STRING, description="headers of the answer (Content-Type: the service's)"),
    "body": {"description": "the JSON answer; strings may hold {{appid}}, {{user}}, {{code}} and the "
                            "service's placeholders (WeChat: {{openid}}, {{unionid}})"},
    "body_base64": {"type": "string", "format": "byte", "description": "the answer's bytes (an image route)"},
}

SCHEMAS = {
    "Error": obj({"error": STRING}, ["error"]),
    "Latency": {"description": "milliseconds to wait before answering, drawn per firing from the seeded "
                               "random source (alone, a fault rule then answers normally)", "oneOf": [
        {"type": "number", "minimum": 0, "maximum": 120000},
        obj({"min": NUMBER, "max": NUMBER}, ["min", "max"], additionalProperties=False,
            description="uniform"),
        obj({"median": NUMBER, "p99": NUMBER, "max": NUMBER}, ["median", "p99", "max"], additionalProperties=False,
            description="log-normal with that median and 99th percentile, capped at max")]},
    "Snapshot": obj({"format": INTEGER, "description": STRING, "state": obj({
        "clock": obj({"now": NUMBER}, ["now"]),
        "random": {"type": "array", "items": INTEGER, "minItems": 625, "maxItems": 625},
        "entries": obj(additionalProperties=obj(additionalProperties=True),
                       description="namespace → key → value, as the store holds them"),
        "checksum": {"type": "string", "description": "sha256 of the entries: an edited snapshot is refused"}},
        ["clock", "random", "entries", "checksum"])}, ["state"]),
    "StubIn": obj(STUB_FIELDS, ["endpoint"], additionalProperties=False),
    "Stub": obj({"id": STRING, **STUB_FIELDS, "service": STRING, "headers": obj(additionalProperties=STRING),
                 "hits": INTEGER, "active": BOOLEAN, "created_at": NUMBER},
                ["id", "endpoint", "status", "headers", "hits", "active"]),
    "Clock": obj({"now": NUMBER, "offset": NUMBER, "frozen": BOOLEAN}, ["now", "offset", "frozen"]),
    "JournalEntry": obj({
        "id": INTEGER, "time": {"type": "number", "description": "epoch seconds on the mock clock"},
        "method": STRING, "path": STRING, "route": {"type": "string", "nullable": True},
        "query": ANY_OBJECT, "headers": ANY_OBJECT, "body": {"description": "JSON/form fields or text, secrets masked"},
        "status": INTEGER, "errcode": {"type": "integer", "nullable": True,
                                       "description": "WeChat errcode or Authing code; 0 on success"},
        "latency_ms": NUMBER, "appid": {"type": "string", "nullable": True},
        "user": {"type": "string", "nullable": True}, "fault": {"type": "string", "nullable": True},
        "stub": {"type": "string", "nullable": True, "description": "the stub that answered"},
        "response": {"description": "the answer, secrets masked"},
        "truncated": {"type": "object", "nullable": True, "additionalProperties": INTEGER,
                      "description": "the parts cut to --journal-max-bytes/--journal-max-fields, "
                                     "with their original sizes in bytes (null: nothing cut)"},
    }, ["id", "time", "method", "path", "status", "errcode", "latency_ms"]),
    "Journal": obj({"count": {"type": "integer", "description": "matches in all (the same as total)"},
                    "total": INTEGER, "offset": INTEGER, "limit": INTEGER,
                    "by_path": obj(additionalProperties=INTEGER),
                    "by_errcode": obj(additionalProperties=INTEGER), "capacity": INTEGER,
                    "requests": {"type": "array", "items": ref("JournalEntry")}},
                   ["count", "total", "offset", "limit", "by_path", "by_errcode", "capacity", "requests"]),
}

PATHS: Dict[str, Dict[str, Any]] = {
    "/__mock__/": {"get": op("Dashboard (HTML)", "dashboard", {"type": "string"}, content="text/html")},
    "/__mock__/dashboard/clock": {"post": op(
        "Dashboard form: advance the clock", "dashboard", status="303",
        form=obj({**DASHBOARD_FORM["properties"], "seconds": NUMBER}, ["csrf", "seconds"]))},
    "/__mock__/dashboard/faults/{rule_id}/delete": {"post": op(
        "Dashboard form: remove a fault rule", "dashboard", status="303", params=[RULE_ID], form=DASHBOARD_FORM)},
    "/__mock__/dashboard/requests/clear": {"post": op("Dashboard form: clear the journal", "dashboard", status="303",
                                                      form=DASHBOARD_FORM)},
    "/__mock__/dashboard/reset": {"post": op("Dashboard form: reset to the fixture state", "dashboard", status="303",
                                             form=DASHBOARD_FORM)},
    "/__mock__/dashboard/faults": {"post": op(
        "Dashboard form: add a fault rule (the API's fields; match.appid/user/code; values read as JSON where "
        "they parse)", "dashboard", status="303", form=obj({**DASHBOARD_FORM["properties"], "endpoint": STRING},
                                                           ["csrf", "endpoint"], additionalProperties=True))},
    "/__mock__/dashboard/stubs": {"post": op(
        "Dashboard form: add a stub (the API's fields; body and headers as JSON)", "dashboard", status="303",
        form=obj({**DASHBOARD_FORM["properties"], "endpoint": STRING, "body": STRING}, ["csrf", "endpoint"],
                 additionalProperties=True))},
    "/__mock__/dashboard/stubs/{rule_id}/delete": {"post": op(
        "Dashboard form: remove a stub", "dashboard", status="303", params=[STUB_ID], form=DASHBOARD_FORM)},
    "/__mock__/dashboard/{section_id}/{action_name}": {"post": op(
        "Dashboard form of a service's table (create, block, delete a user, mint a code...)", "dashboard",
        status="303", form=obj({**DASHBOARD_FORM["properties"], "key": {"type": "string", "description": "the row"},
                                "choice": STRING}, ["csrf"], additionalProperties=True),
        params=[path_param("section_id", "the table, e.g. wechat-users"),
                path_param("action_name", "its action, e.g. block")])},
    "/__mock__/favicon.svg": {"get": op("The dashboard's icon", "dashboard", {"type": "string"},
                                        content="image/svg+xml")},
    "/__mock__/openapi.json": {"get": op("This description", "meta")},
    "/__mock__/health": {"get": op(
        "Liveness and the state backend (503 {status: unavailable, backend, error} while it is down)", "meta",
        obj({"status": STRING, "backend": STRING, "lost_state": obj({"noticed_at": NUMBER, "why": STRING,
                                                                      "action": STRING})}, ["status", "backend"]))},
    "/__mock__/reset": {"post": op("Back to the fixture state: data, clock, random source, faults, journal",
                                   "meta", obj({"status": STRING}))},
    "/__mock__/clock": {
        "get": op("The mock clock", "clock", ref("Clock")),
        "post": op("Move the clock", "clock", ref("Clock"), body={"oneOf": [
            obj({"advance": NUMBER}, ["advance"]), obj({"set": NUMBER}, ["set"])]}),
    },
    "/__mock__/faults": {
        "get": op("Fault rules with hit counts", "faults",
                  obj({"faults": {"type": "array", "items": ref("FaultRule")}})),
        "post": op("Add a fault rule", "faults", ref("FaultRule"), body=ref("FaultRuleIn"), status="201"),
        "delete": op("Remove every fault rule", "faults", obj({"deleted": INTEGER})),
    },
    "/__mock__/faults/{rule_id}": {"delete": op("Remove one fault rule", "faults", obj({"deleted": STRING}),
                                                params=[RULE_ID])},
    "/__mock__/stubs": {
        "get": op("Stubs with hit counts", "stubs", obj({"stubs": {"type": "array", "items": ref("Stub")}})),
        "post": op("Add a stub: matching requests get the given answer instead of the route's", "stubs",
                   ref("Stub"), body=ref("StubIn"), status="201"),
        "delete": op("Remove every stub", "stubs", obj({"deleted": INTEGER})),
    },
    "/__mock__/stubs/{rule_id}": {"delete": op("Remove one stub", "stubs", obj({"deleted": STRING}),
                                               params=[STUB_ID])},
    "/__mock__/state": {
        "get": op("The whole state as a fixture file (a snapshot): every namespace's entries, the clock's time, "
                  "where the random source stands; not the journal", "state", ref("Snapshot")),
        "put": op("Load a fixture file — a snapshot or one with the services' sections — as the current state "
                  "(a reset still goes back to the server's own fixture)", "state", obj({"status": STRING}),
                  body={"oneOf": [ref("Snapshot"), obj(additionalProperties=True,
                                                       description="an ordinary fixture (docs/fixtures.md)")]}),
    },
    "/__mock__/apps": {"get": op("The apps of every service: WeChat apps, Authing user pools, apps and connections",
                                 "apps")},
    "/__mock__/requests": {
        "get": op("The request journal, filtered, with counts", "journal", ref("Journal"), params=[
            query("path", "exact path or route name"), query("appid", "WeChat appid or Authing app id"),
            query("user", "WeChat user alias"), query("method", "HTTP method"),
            query("since", "epoch seconds (mock clock), inclusive", NUMBER),
            query("errcode", "WeChat errcode / Authing code; 0 for successes", INTEGER),
            query("status", "HTTP status", INTEGER),
            query("offset", "newest matches to skip (default 0)", INTEGER),
            query("limit", "matches to answer, the newest first skipped, oldest first shown: 1 to 1000 "
                           "(default 100)", INTEGER)]),
        "delete": op("Clear the journal", "journal", obj({"deleted": INTEGER})),
    },
}



def spec(services: Sequence[EmulatedService]) -> Dict[str, Any]:
    """The description of this app's control plane: the core's paths and each service's."""
    parts = [service.openapi() for service in services if service.openapi is not None]
    fault_fields = {name: schema for part in parts for name, schema in part.fault_fields.items()}
    actions = [service.fault_error.name for service in services] + ["drop", "malformed", "latency"]
    schemas = {
        **SCHEMAS,
        **{name: schema for part in parts for name, schema in part.schemas.items()},
        "FaultRuleIn": obj({**FAULT_RULE_FIELDS, **fault_fields}, ["endpoint"], additionalProperties=False),
        "FaultRule": obj({"id": STRING, "endpoint": STRING,
                          "service": {"type": "string", "enum": [service.name for service in services]},
                          "match": ANY_OBJECT, "action": {"type": "string", "enum": actions},
                          **fault_fields, "latency_ms": ref("Latency"),
                          "times": {"type": "integer", "nullable": True},
                          "probability": {"type": "number", "nullable": True},
                          "hits": INTEGER, "active": BOOLEAN, "created_at": NUMBER},
                         ["id", "endpoint", "action", "hits", "active"]),
    }
    paths = dict(PATHS)
    for part in parts:
        for path, operations in part.paths.items():
            paths[path] = {**paths.get(path, {}), **operations}
    return {
        "openapi": "3.0.3",
        "info": {"title": "mockserver control plane", "version": "1",
                 "description": "Drive the WeChat/Authing emulator: users and codes, clock, faults, request journal."},
        "paths": paths,
        "components": {"schemas": schemas},
    }
